# Copyright (c) mmext contributors. All rights reserved.
"""Mamba (v1) block: the selective SSM mixer of Gu & Dao (2023).

Mamba: Linear-Time Sequence Modeling with Selective State Spaces
(arXiv:2312.00752). Constructor arguments, parameter names, shapes and
initialisation follow ``mamba_ssm.modules.mamba_simple.Mamba`` (Apache-2.0),
so state dicts load in both directions.
"""
import math
from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmext.registry import MODELS
from .backend import check_backend, resolve_backend
from .selective_scan import (_chunked_scan, _finish, _prepare,
                             selective_scan_naive)

__all__ = ['Mamba', 'inverse_softplus_dt_init']


def inverse_softplus_dt_init(size: int,
                             dt_min: float,
                             dt_max: float,
                             dt_init_floor: float,
                             device=None,
                             dtype=None) -> Tensor:
    """Sample a dt bias so that ``softplus(bias)`` is log-uniform.

    ``dt ~ exp(U(log dt_min, log dt_max))`` clamped below by
    ``dt_init_floor``; returns ``dt + log(-expm1(-dt))``, the inverse of
    softplus (as in mamba_ssm).

    Args:
        size (int): Number of values.
        dt_min (float): Lower end of the log-uniform range.
        dt_max (float): Upper end.
        dt_init_floor (float): Minimum dt.
        device (torch.device, optional): Device.
        dtype (torch.dtype, optional): Dtype.

    Returns:
        Tensor: ``(size,)`` bias.
    """
    dt = torch.exp(
        torch.rand(size, device=device, dtype=dtype) *
        (math.log(dt_max) - math.log(dt_min)) +
        math.log(dt_min)).clamp(min=dt_init_floor)
    return dt + torch.log(-torch.expm1(-dt))


def causal_depthwise_conv1d(x: Tensor, weight: Tensor,
                            bias: Optional[Tensor]) -> Tensor:
    """Causal depthwise conv over time.

    Args:
        x (Tensor): ``(B, L, C)``.
        weight (Tensor): ``(C, 1, K)`` (``nn.Conv1d`` layout).
        bias (Tensor, optional): ``(C,)``.

    Returns:
        Tensor: ``(B, L, C)``; output ``t`` sees inputs ``t-K+1 .. t``.
    """
    k = weight.shape[-1]
    y = F.conv1d(
        F.pad(x.transpose(1, 2), (k - 1, 0)),
        weight,
        bias,
        groups=weight.shape[0])
    return y.transpose(1, 2)


@MODELS.register_module()
class Mamba(nn.Module):
    """Mamba (selective SSM) mixer: ``(B, L, D) -> (B, L, D)``.

    in_proj -> (x, z); x: causal depthwise conv1d + SiLU; ``x_proj(x)`` gives
    (dt, B, C); ``dt = softplus(dt_proj(dt))``; selective scan with the ``D``
    skip; gate with ``silu(z)``; out_proj.

    Parameters match mamba_ssm's ``Mamba`` (for ``d_model=64``): ``A_log``
    (128, 16), ``D`` (128,), ``in_proj.weight`` (256, 64), ``conv1d.weight``
    (128, 1, 4), ``conv1d.bias`` (128,), ``x_proj.weight`` (36, 128),
    ``dt_proj.weight`` (128, 4), ``dt_proj.bias`` (128,),
    ``out_proj.weight`` (64, 128).

    Args:
        d_model (int): Model width ``D``.
        d_state (int): SSM state size N. Defaults to 16.
        d_conv (int): Causal conv kernel size. Defaults to 4.
        expand (int): ``d_inner = expand * d_model``. Defaults to 2.
        dt_rank (int | str): Rank of the dt projection; ``'auto'`` means
            ``ceil(d_model / 16)``. Defaults to 'auto'.
        dt_min (float): Smallest initial dt. Defaults to 0.001.
        dt_max (float): Largest initial dt. Defaults to 0.1.
        dt_init (str): ``'random'`` (uniform) or ``'constant'`` init of
            ``dt_proj.weight``. Defaults to 'random'.
        dt_scale (float): Scale of the dt_proj init. Defaults to 1.0.
        dt_init_floor (float): Minimum initial dt. Defaults to 1e-4.
        conv_bias (bool): Bias in conv1d. Defaults to True.
        bias (bool): Bias in in_proj/out_proj. Defaults to False.
        use_fast_path (bool): Accepted for mamba_ssm compatibility; the fused
            ``mamba_inner_fn`` is not used (the scan kernel is, see
            ``backend``). Defaults to True.
        layer_idx (int, optional): Accepted for compatibility.
        device (torch.device, optional): Parameter device.
        dtype (torch.dtype, optional): Parameter dtype (``A_log`` and ``D``
            stay float32, as in mamba_ssm).
        chunk_size (int, optional): Chunk length of the PyTorch scan; None
            picks about ``sqrt(L)`` per input. Defaults to None.
        backend (str): ``'auto'`` (mamba_ssm's ``selective_scan_fn`` for CUDA
            inputs when the compiled extension imports, else PyTorch),
            ``'torch'``, ``'mamba_ssm'`` (error if unavailable) or
            ``'naive'`` (sequential reference loop). Defaults to 'auto'.
    """

    def __init__(self,
                 d_model: int,
                 d_state: int = 16,
                 d_conv: int = 4,
                 expand: int = 2,
                 dt_rank: Union[int, str] = 'auto',
                 dt_min: float = 0.001,
                 dt_max: float = 0.1,
                 dt_init: str = 'random',
                 dt_scale: float = 1.0,
                 dt_init_floor: float = 1e-4,
                 conv_bias: bool = True,
                 bias: bool = False,
                 use_fast_path: bool = True,
                 layer_idx: Optional[int] = None,
                 device=None,
                 dtype=None,
                 chunk_size: Optional[int] = None,
                 backend: str = 'auto') -> None:
        super().__init__()
        factory_kwargs = dict(device=device, dtype=dtype)
        for name, value in (('d_model', d_model), ('d_state', d_state),
                            ('d_conv', d_conv)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        if chunk_size is not None and (not isinstance(chunk_size, int)
                                       or chunk_size < 1):
            raise ValueError('chunk_size must be a positive int or None, '
                             f'got {chunk_size!r}')
        if dt_init not in ('random', 'constant'):
            raise ValueError("dt_init must be one of ('random', 'constant'), "
                             f'got {dt_init!r}')
        if dt_rank != 'auto' and not (isinstance(dt_rank, int)
                                      and dt_rank > 0):
            raise ValueError("dt_rank must be 'auto' or a positive int, got "
                             f'{dt_rank!r}')
        if not 0 < dt_min <= dt_max:
            raise ValueError('dt_min and dt_max must satisfy 0 < dt_min <= '
                             f'dt_max, got {dt_min} and {dt_max}')
        self.backend = check_backend(backend)
        self.d_model = d_model
        self.d_state = d_state
        self.d_conv = d_conv
        self.expand = expand
        self.d_inner = int(expand * d_model)
        self.dt_rank = (
            math.ceil(d_model / 16) if dt_rank == 'auto' else dt_rank)
        self.use_fast_path = use_fast_path
        self.layer_idx = layer_idx
        self.chunk_size = chunk_size

        self.in_proj = nn.Linear(
            d_model, self.d_inner * 2, bias=bias, **factory_kwargs)
        self.conv1d = nn.Conv1d(
            self.d_inner,
            self.d_inner,
            kernel_size=d_conv,
            groups=self.d_inner,
            padding=d_conv - 1,
            bias=conv_bias,
            **factory_kwargs)
        self.act = nn.SiLU()
        self.x_proj = nn.Linear(
            self.d_inner,
            self.dt_rank + 2 * d_state,
            bias=False,
            **factory_kwargs)
        self.dt_proj = nn.Linear(
            self.dt_rank, self.d_inner, bias=True, **factory_kwargs)

        # dt_proj init preserving variance (mamba_ssm's scheme)
        dt_init_std = self.dt_rank**-0.5 * dt_scale
        if dt_init == 'constant':
            nn.init.constant_(self.dt_proj.weight, dt_init_std)
        else:
            nn.init.uniform_(self.dt_proj.weight, -dt_init_std, dt_init_std)
        with torch.no_grad():
            self.dt_proj.bias.copy_(
                inverse_softplus_dt_init(self.d_inner, dt_min, dt_max,
                                         dt_init_floor, **factory_kwargs))
        self.dt_proj.bias._no_reinit = True

        # S4D-real init: A[d, n] = -(n + 1); kept in float32
        A = torch.arange(
            1, d_state + 1, dtype=torch.float32,
            device=device).repeat(self.d_inner, 1)
        self.A_log = nn.Parameter(torch.log(A))
        self.A_log._no_weight_decay = True
        self.D = nn.Parameter(torch.ones(self.d_inner, device=device))
        self.D._no_weight_decay = True
        self.out_proj = nn.Linear(
            self.d_inner, d_model, bias=bias, **factory_kwargs)

    def forward(self, hidden_states: Tensor) -> Tensor:
        """Mix along the sequence.

        Args:
            hidden_states (Tensor): ``(B, L, D)``.

        Returns:
            Tensor: ``(B, L, D)``.
        """
        if hidden_states.dim() != 3 or hidden_states.shape[-1] != \
                self.d_model:
            raise ValueError(f'Mamba expects (B, L, {self.d_model}) inputs, '
                             f'got {tuple(hidden_states.shape)}')
        path, kernels = resolve_backend(self.backend, 'mamba',
                                        type(self).__name__,
                                        hidden_states.device)
        x, z = self.in_proj(hidden_states).chunk(2, dim=-1)  # (B, L, E)
        x = self.act(
            causal_depthwise_conv1d(x, self.conv1d.weight, self.conv1d.bias))
        dt, B, C = torch.split(
            self.x_proj(x), [self.dt_rank, self.d_state, self.d_state], dim=-1)
        dt = F.linear(dt, self.dt_proj.weight)  # bias added in the scan
        # at least float32 (fp16 A_log could give -inf), float64 kept
        A = -torch.exp(
            self.A_log.to(
                torch.promote_types(self.A_log.dtype, torch.float32)))
        if path == 'mamba_ssm':
            y = kernels['selective_scan_fn'](
                x.transpose(1, 2).contiguous(),
                dt.transpose(1, 2).contiguous(),
                A,
                B.transpose(1, 2).contiguous(),
                C.transpose(1, 2).contiguous(),
                self.D.float(),
                z=z.transpose(1, 2).contiguous(),
                delta_bias=self.dt_proj.bias.float(),
                delta_softplus=True).transpose(1, 2)
        elif path == 'naive':
            y = selective_scan_naive(
                x.transpose(1, 2),
                dt.transpose(1, 2),
                A,
                B.transpose(1, 2),
                C.transpose(1, 2),
                self.D,
                z=z.transpose(1, 2),
                delta_bias=self.dt_proj.bias,
                delta_softplus=True).transpose(1, 2)
        else:
            # _prepare/_finish work in (B, D, L); they only transpose views.
            u, delta, A, Bp, Cp = _prepare(
                x.transpose(1, 2), dt.transpose(1, 2), A, B.transpose(1, 2),
                C.transpose(1, 2), self.dt_proj.bias, True)
            y, _ = _chunked_scan(u, delta, A, Bp, Cp, self.chunk_size)
            y = _finish(y, u, self.D, z.transpose(1, 2),
                        x.dtype).transpose(1, 2)
        return self.out_proj(y)

    def extra_repr(self) -> str:
        return (f'd_model={self.d_model}, d_state={self.d_state}, '
                f'd_conv={self.d_conv}, expand={self.expand}, '
                f"dt_rank={self.dt_rank}, backend='{self.backend}'")
