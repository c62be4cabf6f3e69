# Copyright (c) mmext contributors. All rights reserved.
"""COCO-17 keypoints (the 2D detectors' output) and their Human3.6M mapping.

COCO-17, as in mmpose's ``configs/_base_/datasets/coco.py`` metainfo::

    0 nose, 1 left_eye, 2 right_eye, 3 left_ear, 4 right_ear,
    5 left_shoulder, 6 right_shoulder, 7 left_elbow, 8 right_elbow,
    9 left_wrist, 10 right_wrist, 11 left_hip, 12 right_hip,
    13 left_knee, 14 right_knee, 15 left_ankle, 16 right_ankle

:data:`COCO_TO_H36M` synthesises the joints COCO lacks as MotionBERT's
``coco2h36m`` (``lib/data/dataset_action.py``) and mmpose's
``convert_keypoint_definition(..., 'coco', 'h36m')`` do; the conversion
itself is :func:`mmext.apis.video.keypoints.coco_to_h36m`.
"""
from typing import Tuple

__all__ = [
    'COCO17_NAMES', 'COCO17_BONES', 'COCO17_LEFT_JOINTS',
    'COCO17_RIGHT_JOINTS', 'COCO_TO_H36M'
]

COCO17_NAMES: Tuple[str, ...] = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle')

#: COCO-17 limbs (mmpose's coco.py ``skeleton_info``).
COCO17_BONES: Tuple[Tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12),
    (5, 6), (5, 7), (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3),
    (2, 4), (3, 5), (4, 6))
COCO17_LEFT_JOINTS: Tuple[int, ...] = (1, 3, 5, 7, 9, 11, 13, 15)
COCO17_RIGHT_JOINTS: Tuple[int, ...] = (2, 4, 6, 8, 10, 12, 14, 16)

#: H36M joint -> the COCO joints it is the mean of (one joint: a copy).
#: Spine (7) is the mean of the synthesised pelvis and thorax, i.e. of the
#: four COCO hips and shoulders with equal weights.
COCO_TO_H36M: Tuple[Tuple[int, ...], ...] = (
    (11, 12),  # 0 pelvis = mid-hips
    (12, ),  # 1 r-hip
    (14, ),  # 2 r-knee
    (16, ),  # 3 r-ankle
    (11, ),  # 4 l-hip
    (13, ),  # 5 l-knee
    (15, ),  # 6 l-ankle
    (11, 12, 5, 6),  # 7 spine = mid(pelvis, thorax)
    (5, 6),  # 8 thorax = mid-shoulders
    (0, ),  # 9 neck/nose = nose
    (1, 2),  # 10 head = mid-eyes
    (5, ),  # 11 l-shoulder
    (7, ),  # 12 l-elbow
    (9, ),  # 13 l-wrist
    (6, ),  # 14 r-shoulder
    (8, ),  # 15 r-elbow
    (10, ),  # 16 r-wrist
)
