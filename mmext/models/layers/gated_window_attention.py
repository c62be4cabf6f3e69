# Copyright (c) mmext contributors. All rights reserved.
"""(Shifted) window self-attention with a per-head sigmoid output gate.

Windows and shifts follow Swin Transformer (Liu et al., ICCV 2021): tokens of
an ``H x W`` grid attend within non-overlapping windows; a shifted block
rolls the grid by ``shift`` first and masks the pairs that the roll brought
together from opposite borders.

The gate is the head-specific, elementwise sigmoid gate on the attention
output of "Gated Attention for Large Language Models: Non-linearity,
Sparsity, and Attention-Sink-Free" (Qiu et al., 2025, arXiv:2505.06708, the
"G1" position, their best variant)::

    O_h = softmax(Q_h K_h^T / sqrt(d)) V_h          (per head h)
    Y   = concat_h(O_h * sigmoid(X W_g + b_g)_h) W_o

``X`` is the (normalised) block input at each query token, so every head
gets its own gate values, one per channel (``gate='elementwise'``) or one
per head (``gate='headwise'``, also studied there).
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmext.registry import MODELS

__all__ = ['GatedWindowAttention', 'window_partition', 'window_reverse']

GATES = ('elementwise', 'headwise', 'none')


def _pair(v) -> Tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise ValueError(f'expected an int or a pair, got {v}')
    return v


def window_partition(x: Tensor, window: Tuple[int, int]) -> Tensor:
    """``(B, H, W, C) -> (B * nW, wh * ww, C)``."""
    b, h, w, c = x.shape
    wh, ww = window
    x = x.view(b, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, wh * ww, c)


def window_reverse(x: Tensor, window: Tuple[int, int], b: int, h: int,
                   w: int) -> Tensor:
    """Inverse of :func:`window_partition`."""
    wh, ww = window
    c = x.shape[-1]
    x = x.view(b, h // wh, w // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


@MODELS.register_module()
class GatedWindowAttention(nn.Module):
    """Multi-head (shifted-)window self-attention with an output gate.

    Args:
        embed_dims (int): Token width ``C``; divisible by ``num_heads``.
        num_heads (int): Heads. Defaults to 4.
        window_size (int | tuple[int, int]): Window ``(wh, ww)``.
            Defaults to 8.
        shift_size (int | tuple[int, int]): Roll before partitioning (0: no
            shift; Swin uses half the window). Defaults to 0.
        gate (str): ``'elementwise'`` (one sigmoid per head channel),
            ``'headwise'`` (one per head) or ``'none'``.
            Defaults to 'elementwise'.
        qkv_bias (bool): Bias in ``qkv``. Defaults to True.
        gate_bias_init (float): Initial gate bias (0 gives 0.5 gates).
            Defaults to 0.
        rel_pos_bias (bool): Swin's learnt relative position bias: one
            value per head and relative offset ``(dy, dx)`` within the
            window, added to the attention logits (a table of
            ``(2 wh - 1)(2 ww - 1)`` x heads, zero at init). On the VFI
            backbone's interleaved grid the offset also tells the same
            frame from the other one (odd ``dx``: the other frame).
            Defaults to False.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int = 4,
                 window_size: Union[int, Sequence[int]] = 8,
                 shift_size: Union[int, Sequence[int]] = 0,
                 gate: str = 'elementwise',
                 qkv_bias: bool = True,
                 gate_bias_init: float = 0.0,
                 rel_pos_bias: bool = False) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads})')
        if gate not in GATES:
            raise ValueError(f'gate must be one of {GATES}, got {gate!r}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.window_size = _pair(window_size)
        self.shift_size = _pair(shift_size)
        if any(s < 0 or s >= w
               for s, w in zip(self.shift_size, self.window_size)):
            raise ValueError(f'shift_size {self.shift_size} must be in '
                             f'[0, window_size {self.window_size})')
        self.gate_type = gate
        self.qkv = nn.Linear(embed_dims, 3 * embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        if gate != 'none':
            out = embed_dims if gate == 'elementwise' else num_heads
            self.gate = nn.Linear(embed_dims, out)
            nn.init.zeros_(self.gate.weight)
            nn.init.constant_(self.gate.bias, gate_bias_init)
        self.rel_pos_bias = rel_pos_bias
        if rel_pos_bias:
            wh, ww = self.window_size
            self.rel_pos_table = nn.Parameter(
                torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads))
            ys, xs = torch.meshgrid(torch.arange(wh), torch.arange(ww),
                                    indexing='ij')
            ys, xs = ys.flatten(), xs.flatten()
            index = ((ys[:, None] - ys[None] + wh - 1) * (2 * ww - 1) +
                     xs[:, None] - xs[None] + ww - 1)
            self.register_buffer('rel_pos_index', index, persistent=False)

    def _bias(self) -> Tensor:
        """``(heads, N, N)`` relative position bias of one window."""
        n = self.rel_pos_index.shape[0]
        return self.rel_pos_table[self.rel_pos_index.view(-1)].view(
            n, n, -1).permute(2, 0, 1)

    def _shift_mask(self, h: int, w: int, device) -> Optional[Tensor]:
        """Boolean ``(nW, N, N)`` mask (True: may attend) for the rolled
        grid, or None without a shift."""
        if self.shift_size == (0, 0):
            return None
        wh, ww = self.window_size
        sh, sw = self.shift_size
        region = torch.zeros(1, h, w, 1, device=device)
        cnt = 0
        for ys in (slice(0, -wh), slice(-wh, -sh or None),
                   slice(-sh or h, None)):
            for xs in (slice(0, -ww), slice(-ww, -sw or None),
                       slice(-sw or w, None)):
                region[:, ys, xs, :] = cnt
                cnt += 1
        ids = window_partition(region, self.window_size).squeeze(-1)
        return ids[:, :, None] == ids[:, None, :]

    def forward(self, x: Tensor) -> Tensor:
        """Attend within windows.

        Args:
            x (Tensor): ``(B, H, W, C)``; ``H`` and ``W`` multiples of the
                window.

        Returns:
            Tensor: ``(B, H, W, C)``.
        """
        b, h, w, c = x.shape
        wh, ww = self.window_size
        if h % wh or w % ww:
            raise ValueError(f'GatedWindowAttention: the {h}x{w} token grid '
                             f'is not a multiple of window_size '
                             f'{self.window_size} (pad the input)')
        sh, sw = self.shift_size
        if sh or sw:
            x = torch.roll(x, shifts=(-sh, -sw), dims=(1, 2))
        tokens = window_partition(x, self.window_size)  # (b nW, N, C)
        bw, n, _ = tokens.shape
        hd = c // self.num_heads
        q, k, v = self.qkv(tokens).view(bw, n, 3, self.num_heads,
                                        hd).permute(2, 0, 3, 1, 4)
        mask = self._shift_mask(h, w, x.device)
        if mask is not None:
            mask = mask.repeat(b, 1, 1)[:, None]  # (b nW, 1, N, N)
        if self.rel_pos_bias:
            bias = self._bias().to(q.dtype)[None]  # (1, heads, N, N)
            if mask is not None:
                bias = bias.masked_fill(~mask, float('-inf'))
            mask = bias
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out = out.transpose(1, 2)  # (bw, N, heads, hd)
        if self.gate_type != 'none':
            g = torch.sigmoid(self.gate(tokens))
            g = g.view(bw, n, self.num_heads, -1)  # hd or 1 per head
            out = out * g
        out = self.proj(out.reshape(bw, n, c))
        out = window_reverse(out, self.window_size, b, h, w)
        if sh or sw:
            out = torch.roll(out, shifts=(sh, sw), dims=(1, 2))
        return out
