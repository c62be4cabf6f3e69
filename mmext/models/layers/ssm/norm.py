# Copyright (c) mmext contributors. All rights reserved.
"""Gated RMSNorm used by Mamba-2 (mamba_ssm's ``RMSNormGated`` semantics)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = ['RMSNormGated', 'rms_norm_gated']


def rms_norm_gated(x: Tensor,
                   weight: Tensor,
                   z: Optional[Tensor] = None,
                   eps: float = 1e-5,
                   group_size: Optional[int] = None,
                   norm_before_gate: bool = True) -> Tensor:
    """Gated RMS normalisation, computed in float32 (or float64).

    With ``norm_before_gate=True`` the result is ``rmsnorm(x) * silu(z)``;
    with ``False`` (Mamba-2's default) it is ``rmsnorm(x * silu(z))``. With a
    ``group_size``, the RMS is taken over consecutive groups of that many
    channels (Mamba-2 uses ``d_ssm // ngroups``).

    Args:
        x (Tensor): ``(..., C)``.
        weight (Tensor): ``(C,)`` scale.
        z (Tensor, optional): Gate like ``x``.
        eps (float): Added to the mean square.
        group_size (int, optional): Channels per normalisation group; None
            means one group of ``C``.
        norm_before_gate (bool): Order of normalisation and gating.

    Returns:
        Tensor: Like ``x``, in ``x``'s dtype.
    """
    dtype = x.dtype
    cdtype = torch.promote_types(dtype, torch.float32)
    x = x.to(cdtype)
    if z is not None:
        z = z.to(cdtype)
        if not norm_before_gate:
            x = x * F.silu(z)
    channels = x.shape[-1]
    gs = channels if group_size is None else group_size
    xg = x.reshape(*x.shape[:-1], channels // gs, gs)
    xg = xg * torch.rsqrt(xg.square().mean(dim=-1, keepdim=True) + eps)
    out = xg.reshape(x.shape) * weight.to(cdtype)
    if z is not None and norm_before_gate:
        out = out * F.silu(z)
    return out.to(dtype)


class RMSNormGated(nn.Module):
    """Gated RMSNorm with mamba_ssm's parameter layout (``weight`` only).

    Args:
        hidden_size (int): Channels ``C``.
        eps (float): Added to the mean square. Defaults to 1e-5.
        group_size (int, optional): Channels per group; must divide
            ``hidden_size``. Defaults to None (one group).
        norm_before_gate (bool): See :func:`rms_norm_gated`. Defaults to True.
        device (torch.device, optional): Parameter device.
        dtype (torch.dtype, optional): Parameter dtype.
    """

    def __init__(self,
                 hidden_size: int,
                 eps: float = 1e-5,
                 group_size: Optional[int] = None,
                 norm_before_gate: bool = True,
                 device=None,
                 dtype=None) -> None:
        super().__init__()
        if group_size is not None and (group_size < 1
                                       or hidden_size % group_size):
            raise ValueError(f'group_size={group_size} must be a positive '
                             f'divisor of hidden_size={hidden_size}')
        self.eps = eps
        self.group_size = group_size
        self.norm_before_gate = norm_before_gate
        self.weight = nn.Parameter(
            torch.ones(hidden_size, device=device, dtype=dtype))
        self.register_parameter('bias', None)

    def forward(self, x: Tensor, z: Optional[Tensor] = None) -> Tensor:
        """Normalise ``x`` (``(..., C)``), gated by ``z`` if given."""
        return rms_norm_gated(x, self.weight, z, self.eps, self.group_size,
                              self.norm_before_gate)
