# Copyright (c) mmext contributors. All rights reserved.
"""Data structures shared by the lines (skeletons, joint tables)."""
from .skeleton import Skeleton

__all__ = ['Skeleton']
