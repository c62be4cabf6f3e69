# Copyright (c) mmext contributors. All rights reserved.
"""Gesture metrics (FGD, BC, L1 diversity, physics)."""
from . import functional
from .gesture_metric import (BASELINES, GestureMetric, MotionAEMetric,
                             default_bc_joints, default_wrist_joints,
                             hold_seed)

__all__ = [
    'functional', 'GestureMetric', 'MotionAEMetric', 'default_bc_joints',
    'default_wrist_joints', 'hold_seed', 'BASELINES'
]
