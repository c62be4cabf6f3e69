# Copyright (c) mmext contributors. All rights reserved.
from .pose3d import render_skeleton_3d  # noqa: F401
