# Copyright (c) mmext contributors. All rights reserved.
"""The frame-interpolation evaluator: PSNR / SSIM (/ IE) per benchmark
convention, set by each benchmark's config."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmext.registry import METRICS
from . import functional as F

SSIM_FORMS = ('3d', '2d', 'none')


@METRICS.register_module()
class VFIMetric(BaseMetric):
    """PSNR and SSIM of interpolated frames, averaged over all frames.

    Each benchmark's config sets the convention (see docs/vfi/evaluation.md):

    ======================  ==========  ========  =====================
    benchmark               quantize    ssim      notes
    ======================  ==========  ========  =====================
    Vimeo90K triplet        False       '3d'
    UCF101                  True        '3d'
    SNU-FILM (4 levels)     False       '3d'
    Xiph 2K / 4K            True        '2d'      skimage SSIM
    X-TEST (x8)             True        '3d'
    Middlebury (other)      -           'none'    ``ie=True``
    ======================  ==========  ========  =====================

    Args:
        quantize (bool): Round predictions to 8 bits before the metrics.
            Defaults to False.
        ssim (str): ``'3d'`` (the benchmark scripts' ``ssim_matlab``),
            ``'2d'`` (skimage's SSIM on the 8-bit images; needs
            ``quantize=True``) or ``'none'``. Defaults to '3d'.
        ie (bool): Also report Middlebury's interpolation error.
            Defaults to False.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to None
            (mmengine uses ``default_prefix='vfi'``).
    """
    default_prefix = 'vfi'

    def __init__(self,
                 quantize: bool = False,
                 ssim: str = '3d',
                 ie: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if ssim not in SSIM_FORMS:
            raise ValueError(f'VFIMetric: ssim must be one of {SSIM_FORMS}, '
                             f'got {ssim!r}')
        if ssim == '2d' and not quantize:
            raise ValueError("VFIMetric: ssim='2d' is skimage's SSIM on 8-bit "
                             'images (the Xiph convention); set '
                             'quantize=True')
        self.quantize = bool(quantize)
        self.ssim = ssim
        self.ie = bool(ie)

    @staticmethod
    def _get(sample, key: str) -> torch.Tensor:
        value = sample.get(key) if isinstance(sample, dict) else getattr(
            sample, key, None)
        if value is None:
            raise KeyError(f'VFIMetric: data_sample has no {key!r} (the '
                           "model's predict mode must return it)")
        return torch.as_tensor(value).detach().cpu().double()

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Compute the per-frame metrics of one batch."""
        for sample in data_samples:
            pred = self._get(sample, 'pred_img')
            gt = self._get(sample, 'gt_img')
            if self.quantize:
                pred = F.quantize_8bit(pred)
            res = dict(psnr=float(F.psnr(pred, gt)[0]))
            if self.ssim == '3d':
                res['ssim'] = float(F.ssim_3d(pred, gt)[0])
            elif self.ssim == '2d':
                res['ssim'] = float(
                    F.ssim_2d(
                        torch.round(pred * 255.0),
                        torch.round(gt.clamp(0, 1) * 255.0))[0])
            if self.ie:
                res['ie'] = float(F.interpolation_error(pred, gt)[0])
            self.results.append(res)

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        """Average over every evaluated frame."""
        if not results:
            raise ValueError('VFIMetric: no frames were evaluated')
        keys = results[0].keys()
        return {
            k.upper() if k != 'ssim' else 'SSIM':
            float(np.mean([r[k] for r in results]))
            for k in keys
        }
