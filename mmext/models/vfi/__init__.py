# Copyright (c) mmext contributors. All rights reserved.
"""Video frame interpolation (mmext's registries, ``default_scope='mmext'``).
Imported by the VFI configs through ``custom_imports``."""
from .backbone import HybridVFIBackbone, interleave_frames, split_frames
from .losses import CensusLoss, LaplacianPyramidLoss, VGGPerceptualLoss
from .vfi_model import VFIDataPreprocessor, VFIModel, pad_to_multiple

__all__ = [
    'HybridVFIBackbone', 'interleave_frames', 'split_frames', 'VFIModel',
    'VFIDataPreprocessor', 'pad_to_multiple', 'LaplacianPyramidLoss',
    'CensusLoss', 'VGGPerceptualLoss'
]
