# Copyright (c) mmext contributors. All rights reserved.
"""High-level inference APIs.

``pose3d_inference`` (2D keypoints -> 3D), ``action_inference`` (video +
skeleton -> top-k actions), ``video`` (video -> 2D/3D poses),
``gesture_inference`` (speech -> gestures) and ``vfi_inference`` (frame
interpolation). Only the pose-lifting API is imported here; the others
import their toolboxes when used: ``from mmext.apis.action_inference import
...``.
"""
from .pose3d_inference import (init_lifter, lift_sequence, load_keypoints_2d,
                               normalize_keypoints_2d, save_keypoints_3d,
                               window_starts)

__all__ = [
    'init_lifter', 'lift_sequence', 'load_keypoints_2d',
    'normalize_keypoints_2d', 'save_keypoints_3d', 'window_starts'
]
