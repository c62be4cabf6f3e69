# Copyright (c) mmext contributors. All rights reserved.
"""High-level inference APIs."""
from .pose3d_inference import (init_lifter, lift_sequence, load_keypoints_2d,
                               normalize_keypoints_2d, save_keypoints_3d,
                               window_starts)

__all__ = [
    'init_lifter', 'lift_sequence', 'load_keypoints_2d',
    'normalize_keypoints_2d', 'save_keypoints_3d', 'window_starts'
]
