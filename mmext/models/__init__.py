# Copyright (c) mmext contributors. All rights reserved.
"""Models. ``layers`` holds shared building blocks; ``pose3d`` (registered in
mmpose's registry) and ``action`` (mmaction2's registry) are imported by their
configs through ``custom_imports`` so that using one research line never
imports the other toolbox."""
from .layers import *  # noqa: F401,F403
