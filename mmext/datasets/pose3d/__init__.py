# Copyright (c) mmext contributors. All rights reserved.
"""3D pose-lifting datasets, registered in mmpose's ``DATASETS``."""
from .base_lifting_dataset import BaseLiftingClipDataset
from .h36m_motionbert_dataset import H36MMotionBERTDataset
from .mpi_inf_3dhp_dataset import MPIINF3DHPDataset
from .utils import (denormalize_screen, normalize_screen, partition_sequence,
                    split_clips)

__all__ = [
    'BaseLiftingClipDataset', 'H36MMotionBERTDataset', 'MPIINF3DHPDataset',
    'denormalize_screen', 'normalize_screen', 'partition_sequence',
    'split_clips'
]
