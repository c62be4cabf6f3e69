# Copyright (c) mmext contributors. All rights reserved.
"""Backward warping by a dense optical flow (bilinear sampling)."""
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['backward_warp', 'resize_flow', 'local_correlation']


def backward_warp(x: Tensor, flow: Tensor,
                  padding_mode: str = 'border') -> Tensor:
    """Sample ``x`` at ``p + flow(p)`` for every output pixel ``p``.

    ``out[:, :, y, x] = x[:, :, y + flow[:, 1, y, x], x + flow[:, 0, y, x]]``
    with bilinear interpolation (pixel centres on the integer grid,
    ``align_corners=True``) and border replication outside the image, as in
    the flow-based VFI models (RIFE, EMA-VFI).

    Args:
        x (Tensor): ``(B, C, H, W)`` image or features.
        flow (Tensor): ``(B, 2, H, W)`` displacement in pixels, channel 0
            horizontal (x), channel 1 vertical (y).
        padding_mode (str): ``grid_sample`` padding. Defaults to 'border'.

    Returns:
        Tensor: ``(B, C, H, W)``.
    """
    if x.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'backward_warp: expected x (B, C, H, W) and flow '
                         f'(B, 2, H, W), got {tuple(x.shape)} and '
                         f'{tuple(flow.shape)}')
    if x.shape[-2:] != flow.shape[-2:] or x.shape[0] != flow.shape[0]:
        raise ValueError(f'backward_warp: x {tuple(x.shape)} and flow '
                         f'{tuple(flow.shape)} differ in batch or size')
    b, _, h, w = x.shape
    ys = torch.arange(h, device=x.device, dtype=flow.dtype)
    xs = torch.arange(w, device=x.device, dtype=flow.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    px = gx[None] + flow[:, 0]
    py = gy[None] + flow[:, 1]
    # normalise to [-1, 1] (align_corners=True: -1 and 1 are pixel centres)
    nx = 2.0 * px / max(w - 1, 1) - 1.0
    ny = 2.0 * py / max(h - 1, 1) - 1.0
    grid = torch.stack((nx, ny), dim=-1).to(x.dtype)
    return F.grid_sample(
        x, grid, mode='bilinear', padding_mode=padding_mode,
        align_corners=True)


def resize_flow(flow: Tensor, size) -> Tensor:
    """Bilinearly resize a flow field and rescale its vectors to match.

    Args:
        flow (Tensor): ``(B, 2, h, w)``.
        size (tuple[int, int]): Target ``(H, W)``.

    Returns:
        Tensor: ``(B, 2, H, W)`` with x scaled by ``W / w``, y by ``H / h``.
    """
    h, w = flow.shape[-2:]
    out = F.interpolate(flow, size=size, mode='bilinear', align_corners=False)
    scale = torch.tensor([size[1] / w, size[0] / h], dtype=flow.dtype,
                         device=flow.device)
    return out * scale.view(1, 2, 1, 1)


def local_correlation(f0: Tensor, f1: Tensor, radius: int) -> Tensor:
    """Local cost volume (FlowNet-C / PWC-Net correlation):
    ``c[d](p) = <f0(p), f1(p + d)> / C`` for every displacement
    ``d = (dy, dx)`` with ``|dy|, |dx| <= radius`` (zero padding outside
    ``f1``), in row-major order of ``d``.

    Args:
        f0 (Tensor): ``(B, C, H, W)``.
        f1 (Tensor): ``(B, C, H, W)``.
        radius (int): Largest displacement in pixels of the maps.

    Returns:
        Tensor: ``(B, (2 radius + 1)^2, H, W)``.
    """
    if f0.shape != f1.shape or f0.dim() != 4:
        raise ValueError(f'local_correlation: f0 and f1 must be equal '
                         f'(B, C, H, W) maps, got {tuple(f0.shape)} and '
                         f'{tuple(f1.shape)}')
    h, w = f0.shape[-2:]
    r = radius
    p = F.pad(f1, (r, r, r, r))
    out = [(f0 * p[..., r + dy:r + dy + h, r + dx:r + dx + w]).mean(1)
           for dy in range(-r, r + 1) for dx in range(-r, r + 1)]
    return torch.stack(out, 1)
