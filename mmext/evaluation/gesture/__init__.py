# Copyright (c) mmext contributors. All rights reserved.
"""Gesture metrics (FGD, BC, L1 diversity, physics)."""
from . import functional
from .baselines import (baseline_table, format_table, predict_windows,
                        write_results)
from .emage_fgd import emage_fgd, emage_fgd_latents
from .gesture_metric import (BASELINES, GestureMetric, MotionAEMetric,
                             default_bc_joints, default_wrist_joints,
                             hold_seed)
from .sequence import evaluate_sequences, sequence_clips

__all__ = [
    'functional', 'GestureMetric', 'MotionAEMetric', 'default_bc_joints',
    'default_wrist_joints', 'hold_seed', 'BASELINES', 'baseline_table',
    'format_table', 'predict_windows', 'write_results', 'evaluate_sequences',
    'sequence_clips', 'emage_fgd', 'emage_fgd_latents'
]
