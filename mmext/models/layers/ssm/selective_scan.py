# Copyright (c) mmext contributors. All rights reserved.
"""Selective scan (the S6 layer of Mamba), in pure PyTorch.

Mamba: Linear-Time Sequence Modeling with Selective State Spaces
(Gu & Dao, 2023, arXiv:2312.00752). For every channel ``d`` and state ``n``::

    h_t = exp(delta_t * A[d, n]) * h_{t-1} + delta_t * B_t[n] * u_t
    y_t = sum_n C_t[n] * h_t[n] + D[d] * u_t
    y_t = y_t * silu(z_t)                                   (if z is given)

The public functions take mamba_ssm's ``selective_scan_fn`` arguments and
layouts (``u``/``delta``/``z``: ``(B, D, L)``; ``B``/``C``: ``(B, N, L)``,
``(B, G, N, L)`` or time-invariant ``(D, N)``), so they are drop-in
replacements on machines without the CUDA extension.

:func:`selective_scan` is a two-level chunked scan: the sequence is cut into
``L / Q`` chunks of ``Q = chunk_size`` steps; (1) a loop over the ``Q``
positions runs the recurrence in all chunks at once from a zero state;
(2) a loop over the chunks carries the state across chunk boundaries;
(3) every position adds its chunk's incoming state times its decay from the
chunk start, ``exp(cumsum(delta * A))``. That is ``Q + L / Q`` Python steps
instead of ``L`` (about ``2 sqrt(L)`` with the default ``Q ~ sqrt(L)``) with
the same arithmetic as the sequential loop. It is stable: only exponentials
of non-positive numbers (``delta * A <= 0`` and their cumulative sums) are
taken, so decays lie in ``(0, 1]`` and nothing overflows.

Why not the SSD quadratic (segsum) form used for Mamba-2 (:mod:`.ssd`):
Mamba-1's decay differs per channel and state ``(d, n)``, so the
``Q x Q`` decay mask becomes ``(Q, Q, d, n)``: ``Q`` times the arithmetic and
memory of the recurrence. Measured on CPU it was 3-8x slower than a plain
loop; a log-depth (Hillis-Steele) scan was only about as fast as the loop,
being memory-bound with ``log Q`` passes over the ``(L, d, n)`` states.
"""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['selective_scan', 'selective_scan_naive']


def _prepare(u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor,
             delta_bias: Optional[Tensor], delta_softplus: bool):
    """Bring inputs to ``(b, l, d)`` / ``(b, l, d|1, n)`` float layouts."""
    if u.dim() != 3 or delta.shape != u.shape:
        raise ValueError('u and delta must both be (batch, dim, seqlen), got '
                         f'{tuple(u.shape)} and {tuple(delta.shape)}')
    if A.is_complex():
        raise NotImplementedError('complex A is not supported')
    d = u.shape[1]
    if A.dim() != 2 or A.shape[0] != d:
        raise ValueError(f'A must be (dim={d}, d_state), got {tuple(A.shape)}')
    compute_dtype = torch.promote_types(u.dtype, torch.float32)
    u = u.to(compute_dtype).transpose(1, 2)
    delta = delta.to(compute_dtype)
    if delta_bias is not None:
        delta = delta + delta_bias.to(compute_dtype)[:, None]
    if delta_softplus:
        delta = F.softplus(delta)
    delta = delta.transpose(1, 2)
    A = A.to(compute_dtype)

    def bc(x: Tensor, name: str) -> Tensor:
        x = x.to(compute_dtype)
        if x.dim() == 2:  # (d, n): time-invariant
            return x[None, None]
        if x.dim() == 3:  # (b, n, l)
            return x.transpose(1, 2)[:, :, None, :]
        if x.dim() == 4:  # (b, g, n, l)
            g = x.shape[1]
            if d % g:
                raise ValueError(f'{name} has {g} groups, which must divide '
                                 f'dim={d}')
            x = x.permute(0, 3, 1, 2)  # b l g n
            return x.repeat_interleave(d // g, dim=2)
        raise ValueError(f'{name} must be (dim, d_state), (batch, d_state, '
                         f'seqlen) or (batch, groups, d_state, seqlen), got '
                         f'{tuple(x.shape)}')

    return u, delta, A, bc(B, 'B'), bc(C, 'C')


def _finish(y: Tensor, u: Tensor, D: Optional[Tensor], z: Optional[Tensor],
            out_dtype: torch.dtype) -> Tensor:
    """Add the D skip, gate with silu(z) and return ``(b, d, l)``."""
    if D is not None:
        y = y + u * D.to(y.dtype)
    y = y.transpose(1, 2)
    if z is not None:
        y = y * F.silu(z.to(y.dtype))
    return y.to(out_dtype)


def _auto_chunk(seqlen: int, chunk_size: Optional[int]) -> int:
    """``chunk_size``, or about ``sqrt(seqlen)`` if None (fewest steps)."""
    if chunk_size is None:
        return max(1, math.isqrt(seqlen - 1) + 1) if seqlen > 1 else 1
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError('chunk_size must be a positive int or None, got '
                         f'{chunk_size!r}')
    return chunk_size


def _chunked_scan(
        u: Tensor,
        delta: Tensor,
        A: Tensor,
        B: Tensor,
        C: Tensor,
        chunk_size: Optional[int] = None,
        initial_state: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Core two-level scan on ``(b, l, d)`` inputs.

    ``B``/``C`` are ``(b|1, l|1, d|1, n)``. Returns ``y`` ``(b, l, d)`` and
    the final state ``(b, d, n)``.
    """
    b, seqlen, d = u.shape
    n = A.shape[1]
    q = min(_auto_chunk(seqlen, chunk_size), seqlen)
    pad = (-seqlen) % q
    if pad:
        # delta = 0 in the padding gives decay 1 and no input: the state is
        # unchanged and the padded outputs are cropped below.
        u = F.pad(u, (0, 0, 0, pad))
        delta = F.pad(delta, (0, 0, 0, pad))
        if B.shape[1] != 1:
            B = F.pad(B, (0, 0, 0, 0, 0, pad))
        if C.shape[1] != 1:
            C = F.pad(C, (0, 0, 0, 0, 0, pad))
    nc = (seqlen + pad) // q

    def chunks(x: Tensor) -> Tensor:
        if x.shape[1] == 1:
            return x[:, None]
        return x.reshape(x.shape[0], nc, q, *x.shape[2:])

    dA = chunks(delta)[..., None] * A  # (b, c, q, d, n), <= 0
    x = (chunks(delta * u)[..., None] * chunks(B)).expand(b, nc, q, d, n)
    # 1) all chunks at once, positions in order: state from a zero start.
    # unbind (not x[:, :, t]) so backward is one stack, not q zero-filled
    # full-size gradients.
    a = torch.exp(dA).unbind(dim=2)
    xs = x.unbind(dim=2)
    h = xs[0]
    local = [h]
    for t in range(1, q):
        h = a[t] * h + xs[t]
        local.append(h)
    local_last = h.unbind(dim=1)  # chunk-final local states
    local = torch.stack(local, dim=2)  # (b, c, q, d, n)
    # 2) decay from the chunk start: exp of a cumulative sum of dA <= 0
    decay = torch.exp(dA.cumsum(dim=2))
    decay_last = decay[:, :, -1].unbind(dim=1)
    # 3) carry the state across chunks
    h = u.new_zeros(b, d, n) if initial_state is None else initial_state.to(
        u.dtype)
    starts = []
    for k in range(nc):
        starts.append(h)
        h = decay_last[k] * h + local_last[k]
    states = local + decay * torch.stack(starts, dim=1)[:, :, None]
    y = (states * chunks(C)).sum(-1)  # (b, c, q, d)
    y = y.reshape(b, nc * q, d)[:, :seqlen]
    return y, h


def selective_scan(
        u: Tensor,
        delta: Tensor,
        A: Tensor,
        B: Tensor,
        C: Tensor,
        D: Optional[Tensor] = None,
        z: Optional[Tensor] = None,
        delta_bias: Optional[Tensor] = None,
        delta_softplus: bool = False,
        return_last_state: bool = False,
        chunk_size: Optional[int] = None
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Chunked selective scan, a pure-PyTorch ``selective_scan_fn``.

    Args:
        u (Tensor): Input, ``(batch, dim, seqlen)``.
        delta (Tensor): Step sizes before ``delta_bias``/softplus,
            ``(batch, dim, seqlen)``.
        A (Tensor): Real state matrix (diagonal), ``(dim, d_state)``; should
            be negative for a decaying state.
        B (Tensor): Input matrix, ``(batch, d_state, seqlen)``,
            ``(batch, groups, d_state, seqlen)`` or ``(dim, d_state)``.
        C (Tensor): Output matrix, same layouts as ``B``.
        D (Tensor, optional): Skip connection, ``(dim,)``.
        z (Tensor, optional): Gate, ``(batch, dim, seqlen)``; the output is
            multiplied by ``silu(z)``.
        delta_bias (Tensor, optional): ``(dim,)`` added to ``delta``.
        delta_softplus (bool): Apply softplus to ``delta`` (after the bias).
        return_last_state (bool): Also return the final state.
        chunk_size (int, optional): Chunk length. Defaults to None: about
            ``sqrt(seqlen)``, which minimises the number of loop steps.

    Returns:
        Tensor | tuple[Tensor, Tensor]: ``y`` of shape ``(batch, dim,
        seqlen)`` in ``u``'s dtype, and with ``return_last_state`` the final
        state ``(batch, dim, d_state)`` (float32 or float64).
    """
    _auto_chunk(1, chunk_size)  # validate
    out_dtype = u.dtype
    uu, delta, A, B, C = _prepare(u, delta, A, B, C, delta_bias,
                                  delta_softplus)
    y, last = _chunked_scan(uu, delta, A, B, C, chunk_size)
    out = _finish(y, uu, D, z, out_dtype)
    return (out, last) if return_last_state else out


def selective_scan_naive(
        u: Tensor,
        delta: Tensor,
        A: Tensor,
        B: Tensor,
        C: Tensor,
        D: Optional[Tensor] = None,
        z: Optional[Tensor] = None,
        delta_bias: Optional[Tensor] = None,
        delta_softplus: bool = False,
        return_last_state: bool = False
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Sequential selective scan: one step per time index (slow reference).

    Same arguments and returns as :func:`selective_scan` (without
    ``chunk_size``). Used by ``backend='naive'`` and the benchmark.
    """
    out_dtype = u.dtype
    uu, delta, A, B, C = _prepare(u, delta, A, B, C, delta_bias,
                                  delta_softplus)
    b, seqlen, d = uu.shape
    h = uu.new_zeros(b, d, A.shape[1])
    u_t, dt_t = uu.unbind(1), delta.unbind(1)
    B_t = B.expand(b, seqlen, -1, -1).unbind(1)
    C_t = C.expand(b, seqlen, -1, -1).unbind(1)
    ys = []
    for t in range(seqlen):
        h = torch.exp(dt_t[t][..., None] *
                      A) * h + (dt_t[t] * u_t[t])[..., None] * B_t[t]
        ys.append((h * C_t[t]).sum(-1))
    y = torch.stack(ys, dim=1)
    out = _finish(y, uu, D, z, out_dtype)
    return (out, h) if return_last_state else out
