# Copyright (c) mmext contributors. All rights reserved.
"""Frame-interpolation metrics (mmext's ``METRICS``)."""
from .functional import (gaussian_window_1d, interpolation_error, psnr,
                         quantize_8bit, ssim_2d, ssim_3d)
from .vfi_metric import VFIMetric

__all__ = [
    'VFIMetric', 'psnr', 'ssim_3d', 'ssim_2d', 'quantize_8bit',
    'interpolation_error', 'gaussian_window_1d'
]
