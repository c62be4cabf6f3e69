# Copyright (c) mmext contributors. All rights reserved.
"""Mamba-2 block: the SSD mixer of Dao & Gu (2024).

Transformers are SSMs: Generalized Models and Efficient Algorithms Through
Structured State Space Duality (arXiv:2405.21060). Constructor arguments,
parameter names, shapes and initialisation follow
``mamba_ssm.modules.mamba2.Mamba2`` (Apache-2.0), so state dicts load in both
directions.
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmext.registry import MODELS
from .backend import check_backend, resolve_backend
from .mamba import causal_depthwise_conv1d, inverse_softplus_dt_init
from .norm import RMSNormGated
from .ssd import _prepare_dt, ssd_chunk_scan_heads, ssd_naive

__all__ = ['Mamba2']


@MODELS.register_module()
class Mamba2(nn.Module):
    """Mamba-2 (SSD) mixer: ``(B, L, D) -> (B, L, D)``.

    ``in_proj`` gives ``[z0, x0, z, xBC, dt]`` (``z0``/``x0`` only when
    ``d_ssm < d_inner``: a gated MLP on the remaining channels); ``xBC`` goes
    through a causal depthwise conv + SiLU and is split into ``x`` (heads of
    ``headdim``), ``B`` and ``C`` (``ngroups`` groups of ``d_state``); the SSD
    scan uses ``dt = softplus(dt + dt_bias)`` (clamped to ``dt_limit``) and
    a scalar ``A = -exp(A_log)`` per head; then the gated RMSNorm
    (``rmsnorm(y * silu(z))`` for ``norm_before_gate=False``, groups of
    ``d_ssm // ngroups`` channels) and ``out_proj``.

    Parameters match mamba_ssm's ``Mamba2`` (for ``d_model=64, d_state=64,
    d_conv=4, expand=2, headdim=32``): ``dt_bias`` (4,), ``A_log`` (4,),
    ``D`` (4,), ``in_proj.weight`` (388, 64), ``conv1d.weight`` (256, 1, 4),
    ``conv1d.bias`` (256,), ``norm.weight`` (128,), ``out_proj.weight``
    (64, 128).

    Args:
        d_model (int): Model width ``D``.
        d_state (int): State size N per group. Defaults to 128.
        d_conv (int): Causal conv kernel size. Defaults to 4.
        conv_init (float, optional): If set, conv weights ~ U(-v, v).
        expand (int): ``d_inner = expand * d_model``. Defaults to 2.
        headdim (int): Channels per head P. Defaults to 64.
        d_ssm (int, optional): Channels that go through the SSM (the rest of
            ``d_inner`` is a gated MLP). Defaults to None (= ``d_inner``).
        ngroups (int): Groups sharing B and C; must divide the number of
            heads. Defaults to 1.
        A_init_range (tuple[float, float]): ``A ~ U(range)``, stored as
            ``log``. Defaults to (1, 16).
        D_has_hdim (bool): ``D`` per channel ``(d_ssm,)`` instead of per head.
            Defaults to False.
        rmsnorm (bool): Use the gated RMSNorm (else gate ``y * silu(z)``).
            Defaults to True.
        norm_before_gate (bool): Norm order, see
            :func:`~.norm.rms_norm_gated`. Defaults to False.
        dt_min (float): Smallest initial dt. Defaults to 0.001.
        dt_max (float): Largest initial dt. Defaults to 0.1.
        dt_init_floor (float): Minimum initial dt. Defaults to 1e-4.
        dt_limit (tuple[float, float]): Clamp of dt in the forward pass.
            Defaults to (0.0, inf).
        bias (bool): Bias in in_proj/out_proj. Defaults to False.
        conv_bias (bool): Bias in conv1d. Defaults to True.
        chunk_size (int): SSD chunk length. Defaults to 256.
        use_mem_eff_path (bool): Accepted for compatibility; the fused
            ``mamba_split_conv1d_scan_combined`` (which needs causal_conv1d)
            is not used. Defaults to True.
        layer_idx (int, optional): Accepted for compatibility.
        process_group (optional): Tensor parallelism is not supported; must
            be None.
        sequence_parallel (bool): Accepted for compatibility.
        device (torch.device, optional): Parameter device.
        dtype (torch.dtype, optional): Parameter dtype.
        backend (str): ``'auto'`` (mamba_ssm's Triton
            ``mamba_chunk_scan_combined`` for CUDA inputs when importable,
            else PyTorch), ``'torch'``, ``'mamba_ssm'`` (error if
            unavailable) or ``'naive'`` (sequential reference loop).
            Defaults to 'auto'.
    """

    def __init__(self,
                 d_model: int,
                 d_state: int = 128,
                 d_conv: int = 4,
                 conv_init: Optional[float] = None,
                 expand: int = 2,
                 headdim: int = 64,
                 d_ssm: Optional[int] = None,
                 ngroups: int = 1,
                 A_init_range: Sequence[float] = (1, 16),
                 D_has_hdim: bool = False,
                 rmsnorm: bool = True,
                 norm_before_gate: bool = False,
                 dt_min: float = 0.001,
                 dt_max: float = 0.1,
                 dt_init_floor: float = 1e-4,
                 dt_limit: Sequence[float] = (0.0, float('inf')),
                 bias: bool = False,
                 conv_bias: bool = True,
                 chunk_size: int = 256,
                 use_mem_eff_path: bool = True,
                 layer_idx: Optional[int] = None,
                 process_group=None,
                 sequence_parallel: bool = True,
                 device=None,
                 dtype=None,
                 backend: str = 'auto') -> None:
        super().__init__()
        factory_kwargs = dict(device=device, dtype=dtype)
        for name, value in (('d_model', d_model), ('d_state', d_state),
                            ('d_conv', d_conv), ('headdim', headdim),
                            ('ngroups', ngroups), ('chunk_size', chunk_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        if process_group is not None:
            raise NotImplementedError(
                'Mamba2: process_group (tensor parallelism) is not supported; '
                'pass process_group=None')
        self.backend = check_backend(backend)
        self.d_model = d_model
        self.d_state = d_state
        self.d_conv = d_conv
        self.conv_init = conv_init
        self.expand = expand
        self.d_inner = expand * d_model
        self.headdim = headdim
        self.d_ssm = self.d_inner if d_ssm is None else d_ssm
        if not 0 < self.d_ssm <= self.d_inner or self.d_ssm % headdim:
            raise ValueError(
                f'd_ssm={self.d_ssm} must be in (0, d_inner={self.d_inner}] '
                f'and a multiple of headdim={headdim}')
        self.nheads = self.d_ssm // headdim
        if self.nheads % ngroups:
            raise ValueError(f'ngroups={ngroups} must divide the number of '
                             f'heads d_ssm // headdim = {self.nheads}')
        if not 0 < A_init_range[0] <= A_init_range[1]:
            raise ValueError('A_init_range must satisfy 0 < low <= high, got '
                             f'{tuple(A_init_range)}')
        if not 0 <= dt_limit[0] <= dt_limit[1]:
            raise ValueError('dt_limit must satisfy 0 <= low <= high, got '
                             f'{tuple(dt_limit)}')
        self.ngroups = ngroups
        self.D_has_hdim = D_has_hdim
        self.rmsnorm = rmsnorm
        self.norm_before_gate = norm_before_gate
        self.dt_limit = (float(dt_limit[0]), float(dt_limit[1]))
        self.activation = 'silu'
        self.chunk_size = chunk_size
        self.use_mem_eff_path = use_mem_eff_path
        self.layer_idx = layer_idx

        # in_proj order: [z0, x0, z, x, B, C, dt]
        d_in_proj = (2 * self.d_inner + 2 * ngroups * d_state + self.nheads)
        self.in_proj = nn.Linear(
            d_model, d_in_proj, bias=bias, **factory_kwargs)
        conv_dim = self.d_ssm + 2 * ngroups * d_state
        self.conv1d = nn.Conv1d(
            conv_dim,
            conv_dim,
            kernel_size=d_conv,
            groups=conv_dim,
            padding=d_conv - 1,
            bias=conv_bias,
            **factory_kwargs)
        if conv_init is not None:
            nn.init.uniform_(self.conv1d.weight, -conv_init, conv_init)
        self.act = nn.SiLU()

        self.dt_bias = nn.Parameter(
            inverse_softplus_dt_init(self.nheads, dt_min, dt_max,
                                     dt_init_floor, **factory_kwargs))
        self.dt_bias._no_weight_decay = True
        A = torch.empty(
            self.nheads, dtype=torch.float32,
            device=device).uniform_(*A_init_range)
        self.A_log = nn.Parameter(torch.log(A).to(dtype=dtype))
        self.A_log._no_weight_decay = True
        self.D = nn.Parameter(
            torch.ones(
                self.d_ssm if D_has_hdim else self.nheads, device=device))
        self.D._no_weight_decay = True
        if rmsnorm:
            self.norm = RMSNormGated(
                self.d_ssm,
                eps=1e-5,
                norm_before_gate=norm_before_gate,
                group_size=self.d_ssm // ngroups,
                **factory_kwargs)
        self.out_proj = nn.Linear(
            self.d_inner, d_model, bias=bias, **factory_kwargs)

    def forward(self, u: Tensor) -> Tensor:
        """Mix along the sequence.

        Args:
            u (Tensor): ``(B, L, D)``.

        Returns:
            Tensor: ``(B, L, D)``.
        """
        if u.dim() != 3 or u.shape[-1] != self.d_model:
            raise ValueError(f'Mamba2 expects (B, L, {self.d_model}) inputs, '
                             f'got {tuple(u.shape)}')
        path, kernels = resolve_backend(self.backend, 'mamba2',
                                        type(self).__name__, u.device)
        if path == 'torch':
            return self._forward_heads(u)
        g, n, p = self.ngroups, self.d_state, self.headdim
        d_mlp = self.d_inner - self.d_ssm
        z0, x0, z, xBC, dt = torch.split(
            self.in_proj(u),
            [d_mlp, d_mlp, self.d_ssm, self.d_ssm + 2 * g * n, self.nheads],
            dim=-1)
        xBC = self.act(
            causal_depthwise_conv1d(xBC, self.conv1d.weight, self.conv1d.bias))
        x, B, C = torch.split(xBC, [self.d_ssm, g * n, g * n], dim=-1)
        b, seqlen = u.shape[:2]
        x = x.reshape(b, seqlen, self.nheads, p)
        B = B.reshape(b, seqlen, g, n)
        C = C.reshape(b, seqlen, g, n)
        A = self._A()
        D = self.D.reshape(self.nheads, p) if self.D_has_hdim else self.D
        zh = None if self.rmsnorm else z.reshape(b, seqlen, self.nheads, p)
        if path == 'mamba_ssm':
            kw = {} if self.dt_limit == (0.0, math.inf) else dict(
                dt_limit=self.dt_limit)
            y = kernels['mamba_chunk_scan_combined'](
                x.contiguous(),
                dt.contiguous(),
                A,
                B.contiguous(),
                C.contiguous(),
                chunk_size=self.chunk_size,
                D=D,
                z=zh.contiguous() if zh is not None else None,
                dt_bias=self.dt_bias,
                dt_softplus=True,
                **kw)
        else:  # 'naive'
            y = ssd_naive(
                x,
                dt,
                A,
                B,
                C,
                self.chunk_size,
                D=D,
                z=zh,
                dt_bias=self.dt_bias,
                dt_softplus=True,
                dt_limit=self.dt_limit)
        y = y.reshape(b, seqlen, self.d_ssm)
        if self.rmsnorm:
            if path == 'mamba_ssm':
                y = kernels['rmsnorm_fn'](
                    y.contiguous(),
                    self.norm.weight,
                    None,
                    z=z.contiguous(),
                    eps=self.norm.eps,
                    group_size=self.norm.group_size,
                    norm_before_gate=self.norm_before_gate)
            else:
                y = self.norm(y, z)
        if d_mlp > 0:
            y = torch.cat([F.silu(z0) * x0, y], dim=-1)
        return self.out_proj(y)

    def _A(self) -> Tensor:
        # at least float32 (fp16 A_log could give -inf), float64 kept
        return -torch.exp(
            self.A_log.to(
                torch.promote_types(self.A_log.dtype, torch.float32)))

    def _forward_heads(self, u: Tensor) -> Tensor:
        """The pure-PyTorch path in the layouts its kernels want: the
        convolution's channels come out of ``in_proj`` channel-major (one
        matrix product ``W u^T``, no transpose copy), and the scan runs
        head-major (:func:`~.ssd.ssd_chunk_scan_heads`). The same
        operations as the ``'naive'`` backend's path, in another memory
        order (tested against it and against an independent reference)."""
        g, n, p, h = self.ngroups, self.d_state, self.headdim, self.nheads
        d_mlp = self.d_inner - self.d_ssm
        d_conv_in = self.d_ssm + 2 * g * n
        b, seqlen = u.shape[:2]
        cdtype = torch.promote_types(u.dtype, torch.float32)
        w, bias = self.in_proj.weight, self.in_proj.bias
        lo = 2 * d_mlp + self.d_ssm  # in_proj rows: z0 x0 z | xBC | dt
        w_conv = w[lo:lo + d_conv_in]
        w_rest = torch.cat([w[:lo], w[lo + d_conv_in:]])
        b_conv = b_rest = None
        if bias is not None:
            b_conv = bias[lo:lo + d_conv_in]
            b_rest = torch.cat([bias[:lo], bias[lo + d_conv_in:]])
        xbc = torch.matmul(w_conv, u.transpose(1, 2))  # b c l
        if b_conv is not None:
            xbc = xbc + b_conv[:, None]
        k = self.d_conv
        xbc = F.conv1d(
            xbc, self.conv1d.weight, self.conv1d.bias, padding=k - 1,
            groups=d_conv_in)[..., :seqlen]
        xbc = self.act(xbc)
        rest = F.linear(u, w_rest, b_rest)
        z0, x0, z, dt = torch.split(rest, [d_mlp, d_mlp, self.d_ssm, h],
                                    dim=-1)
        x = xbc[:, :self.d_ssm].reshape(b, h, p, seqlen).transpose(
            -1, -2).to(cdtype).contiguous()  # b h l p
        B = xbc[:, self.d_ssm:self.d_ssm + g * n].reshape(
            b, g, n, seqlen).transpose(-1, -2).to(cdtype).contiguous()
        C = xbc[:, self.d_ssm + g * n:].reshape(b, g, n, seqlen).transpose(
            -1, -2).to(cdtype).contiguous()
        dt = _prepare_dt(dt, self.dt_bias, True, self.dt_limit,
                         cdtype).transpose(1, 2).contiguous()  # b h l
        D = self.D.reshape(h, p) if self.D_has_hdim else self.D
        y, _ = ssd_chunk_scan_heads(x, dt, self._A(), B, C, self.chunk_size,
                                    D=D)
        y = y.transpose(1, 2).reshape(b, seqlen, self.d_ssm)
        if self.rmsnorm:
            y = self.norm(y.to(u.dtype), z)
        else:
            y = (y * F.silu(z.to(y.dtype))).to(u.dtype)
        if d_mlp > 0:
            y = torch.cat([F.silu(z0) * x0, y], dim=-1)
        return self.out_proj(y)

    def extra_repr(self) -> str:
        return (f'd_model={self.d_model}, d_state={self.d_state}, '
                f'nheads={self.nheads}, headdim={self.headdim}, '
                f'ngroups={self.ngroups}, chunk_size={self.chunk_size}, '
                f"backend='{self.backend}'")
