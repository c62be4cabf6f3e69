# Copyright (c) mmext contributors. All rights reserved.
"""Action-recognition models, registered into mmaction2's ``MODELS``.

Import through configs (``custom_imports=dict(imports=
['mmext.models.action'])``) or directly; importing this package imports
``mmaction.models`` after ``mmext`` has applied its upstream workarounds.
"""
import mmext  # noqa: F401  (upstream patches before mmaction.models)
from .base_head import BaseRGBPoseHead
from .hierarchical_head import (HierarchicalRGBPoseHead, coarse_log_probs,
                                ema_update_prototypes, group_matrix,
                                prototype_calibration_loss,
                                tree_consistency_loss)
from .pcan_head import (PCANHead, hrn_tree_loss, prototype_contrast_loss,
                        prototype_diversity, update_prototype_memory)
from .two_stream import SingleStreamBackbone, TwoStreamBackbone
from .x3d_tsm import X3DTSM, BlockX3DTSM, TemporalShift3D, temporal_shift_3d

__all__ = [
    'BaseRGBPoseHead', 'HierarchicalRGBPoseHead', 'group_matrix',
    'coarse_log_probs', 'tree_consistency_loss', 'prototype_calibration_loss',
    'ema_update_prototypes', 'TwoStreamBackbone', 'SingleStreamBackbone',
    'TemporalShift3D', 'temporal_shift_3d', 'BlockX3DTSM', 'X3DTSM',
    'PCANHead', 'hrn_tree_loss', 'prototype_contrast_loss',
    'prototype_diversity', 'update_prototype_memory'
]
