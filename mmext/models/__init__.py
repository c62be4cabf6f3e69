# Copyright (c) mmext contributors. All rights reserved.
"""Models, by research line.

``layers`` holds the shared building blocks. ``gesture`` and ``vfi`` register
into mmext's own ``MODELS`` and are imported here: mmengine imports
``mmext.models`` (the registry's location) the first time a name is looked up
under ``default_scope='mmext'``, so ``MODELS.build(dict(type='GestureGAN'))``
works from Python without ``custom_imports``. ``pose3d`` (mmpose's registry)
and ``action`` (mmaction2's) are imported by their configs through
``custom_imports``, so that using one research line never imports the other
toolbox (docs/contributing.md, "Which registry").
"""
from . import gesture, vfi  # noqa: F401  (register into mmext's MODELS)
from .layers import *  # noqa: F401,F403
