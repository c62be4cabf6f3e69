# Copyright (c) mmext contributors. All rights reserved.
"""Co-speech gesture data: mmext's clip format, BEAT/BEAT2 converters."""
from .skeleton import Skeleton, default_angle_limits, is_hand_joint

__all__ = ['Skeleton', 'default_angle_limits', 'is_hand_joint']
