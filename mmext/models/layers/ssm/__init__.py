# Copyright (c) mmext contributors. All rights reserved.
"""State space model (SSM) layers: Mamba (Gu & Dao, 2023) and Mamba-2 / SSD
(Dao & Gu, 2024) in pure PyTorch, using mamba_ssm's CUDA/Triton kernels for
CUDA inputs when that package imports. See docs/layers/ssm.md."""
from .backend import BACKENDS
from .mamba import Mamba
from .mamba2 import Mamba2
from .multi_direction import BiMamba, MultiDirectionalSSM
from .norm import RMSNormGated, rms_norm_gated
from .selective_scan import selective_scan, selective_scan_naive
from .ssd import segsum, ssd_chunk_scan, ssd_chunk_scan_heads, ssd_naive

__all__ = [
    'Mamba', 'Mamba2', 'MultiDirectionalSSM', 'BiMamba', 'RMSNormGated',
    'rms_norm_gated', 'selective_scan', 'selective_scan_naive',
    'ssd_chunk_scan', 'ssd_chunk_scan_heads', 'ssd_naive', 'segsum',
    'BACKENDS'
]
