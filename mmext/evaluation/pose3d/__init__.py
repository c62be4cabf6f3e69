# Copyright (c) mmext contributors. All rights reserved.
"""3D pose-lifting metrics, registered in mmpose's ``METRICS``."""
from .functional import (mpjpe, n_mpjpe, p_mpjpe, pck_3d, procrustes_align,
                         scale_align, velocity_error)
from .pck3d_metric import (MPI3DHP_PCK_JOINT_GROUPS, PCK3DMetric,
                           pck_joint_groups)
from .pose3d_metric import MOTIONBERT_BLOCK_LIST, Pose3DMetric

__all__ = [
    'Pose3DMetric', 'PCK3DMetric', 'MOTIONBERT_BLOCK_LIST', 'mpjpe',
    'n_mpjpe', 'p_mpjpe', 'pck_3d', 'procrustes_align', 'scale_align',
    'velocity_error', 'MPI3DHP_PCK_JOINT_GROUPS', 'pck_joint_groups'
]
