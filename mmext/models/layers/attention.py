# Copyright (c) mmext contributors. All rights reserved.
"""Axial multi-head self-attention over one axis of a skeleton sequence."""
from typing import Optional

import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

__all__ = ['AxialAttention']

_MODES = ('spatial', 'temporal')


class AxialAttention(nn.Module):
    """Multi-head self-attention along the joint or the frame axis.

    The input is a skeleton sequence ``(B, T, J, C)``. In ``'spatial'`` mode
    every frame attends over its joints (``'b t j c -> (b t) h j d'``); in
    ``'temporal'`` mode every joint attends over the frames
    (``'b t j c -> (b j) h t d'``). The product is computed with
    :func:`torch.nn.functional.scaled_dot_product_attention`.

    Parameter names (``qkv``, ``proj``) and the channel layout of ``qkv``
    (``(three heads head_dim)``) match ``Attention`` in
    TaatiTeam/MotionAGFormer (``model/modules/attention.py``).

    Args:
        embed_dims (int): Input channels ``C``; must be divisible by
            ``num_heads``.
        out_dims (int, optional): Output channels. Defaults to ``embed_dims``.
        num_heads (int): Number of heads. Defaults to 8.
        qkv_bias (bool): Whether ``qkv`` has a bias. Defaults to False.
        qk_scale (float, optional): Logit scale; ``None`` (or 0) means
            ``head_dim ** -0.5``. Defaults to None.
        attn_drop (float): Dropout on the attention weights (training only).
            Defaults to 0.
        proj_drop (float): Dropout after ``proj``. Defaults to 0.
        mode (str): ``'spatial'`` or ``'temporal'``. Defaults to
            ``'spatial'``.
        causal (bool): In ``'temporal'`` mode, frame ``t`` attends to
            frames ``<= t`` only (``is_causal`` of the fused kernel).
            Spatial attention stays within a frame either way. Defaults
            to False.
    """

    def __init__(self,
                 embed_dims: int,
                 out_dims: Optional[int] = None,
                 num_heads: int = 8,
                 qkv_bias: bool = False,
                 qk_scale: Optional[float] = None,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 mode: str = 'spatial',
                 causal: bool = False) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(
                f'mode must be one of {_MODES}, got {mode!r}')
        if embed_dims % num_heads != 0:
            raise ValueError(
                f'embed_dims ({embed_dims}) must be divisible by num_heads '
                f'({num_heads})')
        self.num_heads = num_heads
        self.mode = mode
        self.causal = causal and mode == 'temporal'
        head_dim = embed_dims // num_heads
        # Same rule as upstream: a falsy qk_scale falls back to the default.
        self.scale = qk_scale or head_dim**-0.5
        self.attn_drop = attn_drop
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, out_dims or embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: Tensor) -> Tensor:
        """Attend along one axis.

        Args:
            x (Tensor): ``(B, T, J, C)``.

        Returns:
            Tensor: ``(B, T, J, out_dims)``.
        """
        b, t, j, _ = x.shape
        if self.mode == 'spatial':
            q, k, v = rearrange(
                self.qkv(x),
                'b t j (three h d) -> three (b t) h j d',
                three=3,
                h=self.num_heads)
        else:
            q, k, v = rearrange(
                self.qkv(x),
                'b t j (three h d) -> three (b j) h t d',
                three=3,
                h=self.num_heads)
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            dropout_p=self.attn_drop if self.training else 0.,
            is_causal=self.causal,
            scale=self.scale)
        if self.mode == 'spatial':
            out = rearrange(out, '(b t) h j d -> b t j (h d)', b=b, t=t)
        else:
            out = rearrange(out, '(b j) h t d -> b t j (h d)', b=b, j=j)
        return self.proj_drop(self.proj(out))

    def extra_repr(self) -> str:
        return (f'mode={self.mode!r}, num_heads={self.num_heads}, '
                f'causal={self.causal}')
