# Copyright (c) mmext contributors. All rights reserved.
"""Frame-interpolation metrics exactly as the VFI benchmark scripts compute
them.

* :func:`psnr`: ``-10 log10(mean((gt - pred)^2))`` on RGB in ``[0, 1]``
  (one value per image, averaged over images by the evaluator).
* :func:`ssim_3d`: the "MATLAB-style" SSIM of the VFI benchmark scripts
  (``ssim_matlab`` in RIFE's / EMA-VFI's ``benchmark/utils/
  pytorch_msssim.py``): the ``(C, H, W)`` image is treated as *one volume*;
  an ``11 x 11 x 11`` Gaussian window (sigma 1.5, the outer product of the
  normalised 1D window) runs over channels and pixels after replicate
  padding of 5 on every side of all three axes; ``C1 = (0.01 L)^2``,
  ``C2 = (0.03 L)^2`` with ``L = 1``; the SSIM map is averaged.
  (When ``H`` or ``W`` is below 11 the scripts shrink the window to
  ``min(11, H, W)`` on all three axes but keep the padding at 5; so do we.)
* :func:`ssim_2d`: the SSIM the Xiph benchmark reports,
  ``skimage.metrics.structural_similarity(gt, pred, data_range=255,
  channel_axis=-1)`` on 8-bit images (the script's ``multichannel=True``):
  per channel, a 7 x 7 uniform window, sample covariances
  (``N / (N - 1)``), ``K1 = 0.01``, ``K2 = 0.03``, the map averaged over the
  interior (a border of 3 pixels cropped), then averaged over channels.
* :func:`quantize_8bit`: ``round(clamp(x, 0, 1) * 255) / 255``, applied to
  predictions before both metrics where a benchmark does it (UCF101, Xiph,
  X-TEST) and not where it does not (Vimeo90K, SNU-FILM).
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'psnr', 'ssim_3d', 'ssim_2d', 'quantize_8bit', 'gaussian_window_1d',
    'interpolation_error'
]


def _check_pair(pred: Tensor, gt: Tensor, name: str) -> Tuple[Tensor, Tensor]:
    if pred.shape != gt.shape:
        raise ValueError(f'{name}: pred {tuple(pred.shape)} and gt '
                         f'{tuple(gt.shape)} differ in shape')
    if pred.dim() == 3:
        pred, gt = pred[None], gt[None]
    if pred.dim() != 4:
        raise ValueError(f'{name}: expected (C, H, W) or (B, C, H, W) '
                         f'images, got {tuple(pred.shape)}')
    return pred.double(), gt.double()


def quantize_8bit(x: Tensor) -> Tensor:
    """Round an image in ``[0, 1]`` to the nearest 8-bit level.

    Args:
        x (Tensor): Image(s) in ``[0, 1]`` (values outside are clamped).

    Returns:
        Tensor: ``round(clamp(x, 0, 1) * 255) / 255``, same dtype.
    """
    return torch.round(x.clamp(0, 1) * 255.0) / 255.0


def psnr(pred: Tensor, gt: Tensor) -> Tensor:
    """PSNR in dB of RGB images in ``[0, 1]``, one value per image.

    Args:
        pred (Tensor): ``(C, H, W)`` or ``(B, C, H, W)``.
        gt (Tensor): Same shape.

    Returns:
        Tensor: ``(B,)`` float64; ``inf`` for identical images.
    """
    pred, gt = _check_pair(pred, gt, 'psnr')
    mse = ((pred - gt)**2).flatten(1).mean(1)
    return -10.0 * torch.log10(mse)


def interpolation_error(pred: Tensor, gt: Tensor) -> Tensor:
    """Middlebury interpolation error (IE): the mean absolute difference on
    the 0..255 scale, with the prediction rounded to 8 bits.

    Args:
        pred (Tensor): ``(C, H, W)`` or ``(B, C, H, W)`` in ``[0, 1]``.
        gt (Tensor): Same shape, in ``[0, 1]``.

    Returns:
        Tensor: ``(B,)`` float64.
    """
    pred, gt = _check_pair(pred, gt, 'interpolation_error')
    return (torch.round(pred * 255.0) - gt * 255.0).abs().flatten(1).mean(1)


def gaussian_window_1d(size: int, sigma: float = 1.5) -> Tensor:
    """Normalised 1D Gaussian ``exp(-(x - size // 2)^2 / (2 sigma^2))``."""
    x = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-x**2 / (2.0 * sigma**2))
    return g / g.sum()


def ssim_3d(pred: Tensor,
            gt: Tensor,
            window_size: int = 11,
            sigma: float = 1.5,
            data_range: float = 1.0) -> Tensor:
    """SSIM of the VFI benchmark scripts: a 3D Gaussian over the RGB volume.

    Args:
        pred (Tensor): ``(C, H, W)`` or ``(B, C, H, W)`` in ``[0, 1]``.
        gt (Tensor): Same shape.
        window_size (int): Window edge. Defaults to 11.
        sigma (float): Gaussian sigma. Defaults to 1.5.
        data_range (float): ``L``. Defaults to 1.0.

    Returns:
        Tensor: ``(B,)`` float64 SSIM per image.
    """
    pred, gt = _check_pair(pred, gt, 'ssim_3d')
    h, w = pred.shape[-2:]
    size = min(window_size, h, w)
    g = gaussian_window_1d(size, sigma).to(pred.device)
    # the 3D window is the outer product g x g x g: filter one axis at a
    # time (same sums, far cheaper than an 11^3 kernel)
    kernels = (g.view(1, 1, -1, 1, 1), g.view(1, 1, 1, -1, 1),
               g.view(1, 1, 1, 1, -1))
    pad = (window_size // 2, ) * 6

    def filt(x: Tensor) -> Tensor:
        y = F.pad(x[:, None], pad, mode='replicate')
        for k in kernels:
            y = F.conv3d(y, k)
        return y

    mu1, mu2 = filt(pred), filt(gt)
    s11 = filt(pred * pred) - mu1 * mu1
    s22 = filt(gt * gt) - mu2 * mu2
    s12 = filt(pred * gt) - mu1 * mu2
    c1, c2 = (0.01 * data_range)**2, (0.03 * data_range)**2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / (
        (mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2))
    return ssim_map.flatten(1).mean(1)


def ssim_2d(pred: Tensor,
            gt: Tensor,
            win_size: int = 7,
            data_range: float = 255.0) -> Tensor:
    """scikit-image's default SSIM (as the Xiph benchmark calls it), per
    channel and averaged.

    Args:
        pred (Tensor): ``(C, H, W)`` or ``(B, C, H, W)`` on the 0..255 scale
            (8-bit values as floats).
        gt (Tensor): Same shape and scale.
        win_size (int): Odd uniform window edge. Defaults to 7.
        data_range (float): Defaults to 255.

    Returns:
        Tensor: ``(B,)`` float64 SSIM per image.
    """
    pred, gt = _check_pair(pred, gt, 'ssim_2d')
    if win_size % 2 != 1:
        raise ValueError(f'ssim_2d: win_size must be odd, got {win_size}')
    h, w = pred.shape[-2:]
    if min(h, w) < win_size:
        raise ValueError(f'ssim_2d: images of {h}x{w} are smaller than the '
                         f'{win_size}x{win_size} window')
    n = win_size * win_size
    cov_norm = n / (n - 1.0)

    def filt(x: Tensor) -> Tensor:
        return F.avg_pool2d(x, win_size, stride=1)  # valid region only

    ux, uy = filt(pred), filt(gt)
    uxx, uyy, uxy = filt(pred * pred), filt(gt * gt), filt(pred * gt)
    vx = cov_norm * (uxx - ux * ux)
    vy = cov_norm * (uyy - uy * uy)
    vxy = cov_norm * (uxy - ux * uy)
    c1, c2 = (0.01 * data_range)**2, (0.03 * data_range)**2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / (
        (ux * ux + uy * uy + c1) * (vx + vy + c2))
    # skimage crops (win_size - 1) // 2 from each border of the full-size
    # map; the valid convolution above is exactly that interior.
    return s.mean(dim=(2, 3)).mean(1)
