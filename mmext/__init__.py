# Copyright (c) mmext contributors. All rights reserved.
"""mmext: an OpenMMLab toolbox extension for human-motion and video research.

Importing ``mmext`` applies the upstream workarounds in
:mod:`mmext.upstream_patches` (once) and nothing else heavy: the research
lines (``mmext.models.pose3d``, ``mmext.models.action`` ...) are imported by
their configs through ``custom_imports``.
"""
from . import upstream_patches
from .version import __version__, version_info

upstream_patches.apply_all()

__all__ = ['__version__', 'version_info']
