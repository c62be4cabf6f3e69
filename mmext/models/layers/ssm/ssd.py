# Copyright (c) mmext contributors. All rights reserved.
"""State space duality (SSD), the scan of Mamba-2, in pure PyTorch.

Transformers are SSMs: Generalized Models and Efficient Algorithms Through
Structured State Space Duality (Dao & Gu, 2024, arXiv:2405.21060). Each head
``h`` has a scalar decay ``A[h]``; heads are split into ``ngroups`` groups
sharing ``B`` and ``C``::

    H_t = exp(dt_t A) H_{t-1} + dt_t x_t B_t^T     (H_t: headdim x d_state)
    y_t = H_t C_t + D x_t

:func:`ssd_chunk_scan` is the chunked SSD algorithm: the sequence is cut into
chunks of ``chunk_size``; inside a chunk the output is the quadratic
("attention-like") form ``(C B^T o L) (dt x)`` with the decay mask
``L[i, j] = exp(sum_{j<k<=i} dt_k A)`` built by a segment sum (``segsum``,
``-inf`` above the diagonal, so only exponentials of non-positive numbers are
taken); chunk-final states are passed between chunks with the same segsum
trick at chunk granularity, and their contribution is added to each chunk.
Its arguments follow mamba_ssm's ``mamba_chunk_scan_combined``.
"""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['segsum', 'ssd_chunk_scan', 'ssd_chunk_scan_heads', 'ssd_naive']


def segsum(x: Tensor) -> Tensor:
    """Stable segment sum over the last dimension.

    Args:
        x (Tensor): ``(..., T)``.

    Returns:
        Tensor: ``(..., T, T)`` with ``out[..., i, j] = sum_{j<k<=i} x[k]``
        for ``i >= j`` and ``-inf`` for ``i < j``. Sums are accumulated per
        ``j`` (no difference of two long cumulative sums, hence no
        cancellation).
    """
    t = x.shape[-1]
    x = x[..., None].expand(*x.shape, t)  # [..., i, j] = x[i]
    strict = torch.ones(t, t, dtype=torch.bool, device=x.device).tril(-1)
    x = x.masked_fill(~strict, 0.0).cumsum(dim=-2)
    lower = torch.ones(t, t, dtype=torch.bool, device=x.device).tril(0)
    return x.masked_fill(~lower, -math.inf)


def _prepare_dt(dt: Tensor, dt_bias: Optional[Tensor], dt_softplus: bool,
                dt_limit: Tuple[float, float], dtype: torch.dtype) -> Tensor:
    dt = dt.to(dtype)
    if dt_bias is not None:
        dt = dt + dt_bias.to(dtype)
    if dt_softplus:
        dt = F.softplus(dt)
    if tuple(dt_limit) != (0.0, math.inf):
        dt = dt.clamp(min=dt_limit[0], max=dt_limit[1])
    return dt


def _check(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor) -> int:
    if x.dim() != 4:
        raise ValueError('x must be (batch, seqlen, nheads, headdim), got '
                         f'{tuple(x.shape)}')
    b, seqlen, h, _ = x.shape
    if dt.shape != (b, seqlen, h) or A.shape != (h, ):
        raise ValueError(f'dt must be {(b, seqlen, h)} and A {(h, )}, got '
                         f'{tuple(dt.shape)} and {tuple(A.shape)}')
    if B.dim() != 4 or B.shape[:2] != (b, seqlen) or B.shape != C.shape:
        raise ValueError('B and C must be (batch, seqlen, ngroups, d_state), '
                         f'got {tuple(B.shape)} and {tuple(C.shape)}')
    g = B.shape[2]
    if h % g:
        raise ValueError(f'ngroups={g} must divide nheads={h}')
    return g


def _finish(y: Tensor, x: Tensor, D: Optional[Tensor], z: Optional[Tensor],
            out_dtype: torch.dtype) -> Tensor:
    if D is not None:
        D = D.to(y.dtype)
        y = y + x * (D[:, None] if D.dim() == 1 else D)
    if z is not None:
        y = y * F.silu(z.to(y.dtype))
    return y.to(out_dtype)


# chunks per block of the state passing in :func:`_pass_states`
STATE_BLOCK = 64


def _pass_states(states: Tensor, chunk_dA: Tensor, init: Tensor,
                 block: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Carry the chunk states across chunk boundaries.

    ``S_0 = init`` and ``S_k = exp(chunk_dA[k - 1]) S_(k-1) + states[k - 1]``:
    ``S_k`` is the state entering chunk ``k``. Within a block of ``block``
    chunks this is the segsum (quadratic) form of the reference SSD code;
    blocks are chained one after the other, so the cost is
    ``O(c * block)`` instead of ``O(c^2)`` for ``c`` chunks (at 1024^2
    pixels a VFI row scan has thousands of chunks). With ``c <= block``
    it is exactly the single quadratic step.

    Args:
        states (Tensor): ``(b, h, c, p, n)`` end-of-chunk states from a
            zero start.
        chunk_dA (Tensor): ``(b, h, c)`` log-decay over each chunk.
        init (Tensor): ``(b, h, p, n)`` state entering chunk 0.
        block (int, optional): Chunks per block. Defaults to
            ``STATE_BLOCK``.

    Returns:
        tuple[Tensor, Tensor]: the state entering every chunk
        ``(b, h, c, p, n)`` and the final state ``(b, h, p, n)``.
    """
    block = block or STATE_BLOCK
    b, h, c, p, n = states.shape
    carry, entering = init, []
    for k0 in range(0, c, block):
        k1 = min(k0 + block, c)
        ext = torch.cat([carry[:, :, None], states[:, :, k0:k1]], dim=2)
        decay = torch.exp(segsum(F.pad(chunk_dA[..., k0:k1], (1, 0))))
        out = (decay @ ext.flatten(3)).view(b, h, k1 - k0 + 1, p, n)
        entering.append(out[:, :, :-1])
        carry = out[:, :, -1]
    prev = entering[0] if len(entering) == 1 else torch.cat(entering, dim=2)
    return prev, carry


def ssd_chunk_scan_heads(
    x: Tensor,
    dt: Tensor,
    A: Tensor,
    B: Tensor,
    C: Tensor,
    chunk_size: int,
    D: Optional[Tensor] = None,
    initial_states: Optional[Tensor] = None,
) -> Tuple[Tensor, Tensor]:
    """The chunked SSD scan on head-major tensors (the work of
    :func:`ssd_chunk_scan`, whose layout is mamba_ssm's).

    Head-major (``(batch, heads, seqlen, ...)``) is the layout in which
    every contraction is one batched matrix product over contiguous
    chunks, so :class:`~.mamba2.Mamba2` produces its inputs in it
    directly. Inside a chunk the decay from position ``j`` to ``i >= j``
    is ``exp(cs_i - cs_j)`` of the chunk's cumulative log-decay ``cs``
    (the difference mamba_ssm's Triton ``_chunk_scan_fwd_kernel`` takes,
    ``mamba_ssm/ops/triton/ssd_chunk_scan.py``), masked to ``i >= j``
    before the exponential: four passes over the ``chunk_size^2`` mask.
    ``cs`` spans one chunk only, so the difference loses at most a few
    ulps of ``|cs|``; the state passing between chunks keeps the
    cancellation-free :func:`segsum`.

    Args:
        x (Tensor): ``(batch, nheads, seqlen, headdim)``.
        dt (Tensor): ``(batch, nheads, seqlen)``, final (after bias,
            softplus and clamp).
        A (Tensor): ``(nheads,)``.
        B (Tensor): ``(batch, ngroups, seqlen, d_state)``; heads
            ``k * nheads / ngroups ..`` use group ``k``.
        C (Tensor): Like ``B``.
        chunk_size (int): Chunk length (any; the tail is padded with
            ``dt = 0``).
        D (Tensor, optional): Skip, ``(nheads,)`` or ``(nheads, headdim)``.
        initial_states (Tensor, optional): ``(batch, nheads, headdim,
            d_state)``.

    Returns:
        tuple[Tensor, Tensor]: ``y`` ``(batch, nheads, seqlen, headdim)``
        and the final states ``(batch, nheads, headdim, d_state)``, in the
        inputs' dtype.
    """
    b, h, seqlen, p = x.shape
    g, n = B.shape[1], B.shape[-1]
    e = h // g  # heads per group
    q = min(chunk_size, seqlen)
    pad = (-seqlen) % q
    x_in = x
    if pad:
        x = F.pad(x, (0, 0, 0, pad))
        dt = F.pad(dt, (0, pad))
        B = F.pad(B, (0, 0, 0, pad))
        C = F.pad(C, (0, 0, 0, pad))
    c = (seqlen + pad) // q
    xdt = (x * dt[..., None]).view(b, g, e, c, q, p)
    Bc = B.reshape(b, g, c, q, n)
    Cc = C.reshape(b, g, c, q, n)
    dA_cs = (dt * A[:, None]).view(b, h, c, q).cumsum(dim=-1)

    # 1) intra-chunk: (C B^T o L) (dt x), L[i, j] = exp(cs_i - cs_j), i >= j
    upper = torch.ones(q, q, dtype=torch.bool, device=x.device).triu(1)
    decay = (dA_cs[..., :, None] - dA_cs[..., None, :]).masked_fill_(
        upper, -math.inf).exp_()  # b h c q q
    cb = (Cc @ Bc.transpose(-1, -2))[:, :, None]  # b g 1 c q q
    y = (decay.view(b, g, e, c, q, q) * cb) @ xdt  # b g e c q p

    # 2) state of each chunk at its end, starting from zero
    decay_to_end = torch.exp(dA_cs[..., -1:] - dA_cs)  # b h c q
    states = (xdt * decay_to_end.view(b, g, e, c, q, 1)).transpose(
        -1, -2) @ Bc[:, :, None]  # b g e c p n

    # 3) pass states between chunks
    if initial_states is None:
        init = states.new_zeros(b, h, p, n)
    else:
        init = initial_states.to(states.dtype).reshape(b, h, p, n)
    prev_states, final = _pass_states(states.view(b, h, c, p, n),
                                      dA_cs[..., -1], init)

    # 4) contribution of the incoming state to each position
    y_in = Cc[:, :, None] @ prev_states.view(b, g, e, c, p, n).transpose(
        -1, -2)  # b g e c q p
    y = torch.addcmul(y, y_in, torch.exp(dA_cs).view(b, g, e, c, q, 1))
    y = y.view(b, h, c * q, p)[:, :, :seqlen]
    if D is not None:
        D = D.to(y.dtype)
        y = torch.addcmul(y, x_in, D.view(h, 1, 1) if D.dim() == 1 else
                          D.view(h, 1, p))
    return y, final


def ssd_chunk_scan(
    x: Tensor,
    dt: Tensor,
    A: Tensor,
    B: Tensor,
    C: Tensor,
    chunk_size: int,
    D: Optional[Tensor] = None,
    z: Optional[Tensor] = None,
    dt_bias: Optional[Tensor] = None,
    initial_states: Optional[Tensor] = None,
    dt_softplus: bool = False,
    dt_limit: Tuple[float, float] = (0.0, math.inf),
    return_final_states: bool = False,
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Chunked SSD scan, a pure-PyTorch ``mamba_chunk_scan_combined``.

    The inputs are moved to the head-major layout once and scanned by
    :func:`ssd_chunk_scan_heads`.

    Args:
        x (Tensor): ``(batch, seqlen, nheads, headdim)``.
        dt (Tensor): ``(batch, seqlen, nheads)``, before bias/softplus.
        A (Tensor): ``(nheads,)`` scalar decay per head (negative).
        B (Tensor): ``(batch, seqlen, ngroups, d_state)``.
        C (Tensor): ``(batch, seqlen, ngroups, d_state)``.
        chunk_size (int): Chunk length. ``seqlen`` need not be a multiple of
            it: the tail is padded with ``dt = 0`` (decay 1, no input), which
            changes neither the outputs kept nor the final state.
        D (Tensor, optional): Skip, ``(nheads,)`` or ``(nheads, headdim)``.
        z (Tensor, optional): Gate like ``x``; output multiplied by silu(z).
        dt_bias (Tensor, optional): ``(nheads,)`` added to ``dt``.
        initial_states (Tensor, optional):
            ``(batch, nheads, headdim, d_state)``.
        dt_softplus (bool): Apply softplus to ``dt`` after the bias.
        dt_limit (tuple[float, float]): Clamp range of ``dt`` (after
            softplus). Defaults to ``(0.0, inf)`` (no clamp).
        return_final_states (bool): Also return the final states.

    Returns:
        Tensor | tuple[Tensor, Tensor]: ``y`` like ``x`` (``x``'s dtype) and
        optionally the final states ``(batch, nheads, headdim, d_state)``.
    """
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(
            f'chunk_size must be a positive int, got {chunk_size!r}')
    _check(x, dt, A, B, C)
    out_dtype = x.dtype
    cdtype = torch.promote_types(x.dtype, torch.float32)
    dt = _prepare_dt(dt, dt_bias, dt_softplus, dt_limit, cdtype)
    y, final = ssd_chunk_scan_heads(
        x.to(cdtype).transpose(1, 2).contiguous(),
        dt.transpose(1, 2).contiguous(), A.to(cdtype),
        B.to(cdtype).transpose(1, 2).contiguous(),
        C.to(cdtype).transpose(1, 2).contiguous(), chunk_size,
        D=D, initial_states=initial_states)
    out = _finish(y.transpose(1, 2), x, None, z, out_dtype)
    if return_final_states:
        return out, final
    return out


def ssd_naive(
    x: Tensor,
    dt: Tensor,
    A: Tensor,
    B: Tensor,
    C: Tensor,
    chunk_size: Optional[int] = None,
    D: Optional[Tensor] = None,
    z: Optional[Tensor] = None,
    dt_bias: Optional[Tensor] = None,
    initial_states: Optional[Tensor] = None,
    dt_softplus: bool = False,
    dt_limit: Tuple[float, float] = (0.0, math.inf),
    return_final_states: bool = False,
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Sequential SSD recurrence, one step per time index (slow reference).

    Same arguments and returns as :func:`ssd_chunk_scan`; ``chunk_size`` is
    ignored. Used by ``backend='naive'`` and the benchmark.
    """
    g = _check(x, dt, A, B, C)
    out_dtype = x.dtype
    cdtype = torch.promote_types(x.dtype, torch.float32)
    b, seqlen, h, p = x.shape
    xf = x.to(cdtype)
    dt = _prepare_dt(dt, dt_bias, dt_softplus, dt_limit, cdtype)
    A = A.to(cdtype)
    Bh = B.to(cdtype).repeat_interleave(h // g, dim=2)  # b l h n
    Ch = C.to(cdtype).repeat_interleave(h // g, dim=2)
    if initial_states is None:
        state = xf.new_zeros(b, h, p, B.shape[-1])
    else:
        state = initial_states.to(cdtype)
    x_t, dt_t = xf.unbind(1), dt.unbind(1)
    B_t, C_t = Bh.unbind(1), Ch.unbind(1)
    ys = []
    for t in range(seqlen):
        decay = torch.exp(dt_t[t] * A)[..., None, None]
        state = decay * state + (dt_t[t][..., None] *
                                 x_t[t])[..., None] * B_t[t][:, :, None, :]
        ys.append((state * C_t[t][:, :, None, :]).sum(-1))
    y = torch.stack(ys, dim=1)
    out = _finish(y, xf, D, z, out_dtype)
    return (out, state) if return_final_states else out
