# Copyright (c) mmext contributors. All rights reserved.
"""Multi-head cross-attention and a bidirectional two-stream block."""
from typing import Optional

import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

__all__ = ['CrossAttention', 'BidirectionalCrossAttention']


class CrossAttention(nn.Module):
    """Multi-head attention of queries ``x`` over a context sequence.

    ``CrossAttn(q, k, v) = W_o concat_h softmax(Q_h K_h^T / sqrt(d)) V_h``
    with ``Q = W_q q``, ``K = W_k k``, ``V = W_v v`` split into ``num_heads``
    heads of ``d = embed_dims / num_heads`` channels.

    Args:
        embed_dims (int): Query channels (and output channels).
        num_heads (int): Defaults to 8.
        context_dims (int, optional): Key/value channels. Defaults to
            ``embed_dims``.
        qkv_bias (bool): Defaults to True.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int = 8,
                 context_dims: Optional[int] = None,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads})')
        context_dims = context_dims or embed_dims
        self.num_heads = num_heads
        self.head_dim = embed_dims // num_heads
        self.attn_drop = attn_drop
        self.q = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
        self.k = nn.Linear(context_dims, embed_dims, bias=qkv_bias)
        self.v = nn.Linear(context_dims, embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, query: Tensor, key: Tensor,
                value: Optional[Tensor] = None) -> Tensor:
        """Attend.

        Args:
            query (Tensor): ``(N, Lq, C)``.
            key (Tensor): ``(N, Lk, Cc)``.
            value (Tensor, optional): ``(N, Lk, Cc)``; defaults to ``key``.

        Returns:
            Tensor: ``(N, Lq, C)``.
        """
        value = key if value is None else value
        q = rearrange(self.q(query), 'n l (h d) -> n h l d', h=self.num_heads)
        k = rearrange(self.k(key), 'n l (h d) -> n h l d', h=self.num_heads)
        v = rearrange(self.v(value), 'n l (h d) -> n h l d', h=self.num_heads)
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        return self.proj(rearrange(out, 'n h l d -> n l (h d)'))


class BidirectionalCrossAttention(nn.Module):
    """Two streams that attend to each other, in this order::

        a = LN_a(a + CrossAttn_a(q=a, k=b, v=b))
        b = LN_b(b + CrossAttn_b(q=b, k=a, v=a))   # uses the updated a

    For body/hand gestures ``a`` is the hand stream and ``b`` the body
    stream (docs/gesture/README.md; applied in the order written above).

    Args:
        embed_dims (int): Channels of both streams.
        num_heads (int): Defaults to 8.
    """

    def __init__(self, embed_dims: int, num_heads: int = 8) -> None:
        super().__init__()
        self.attn_a = CrossAttention(embed_dims, num_heads)
        self.attn_b = CrossAttention(embed_dims, num_heads)
        self.norm_a = nn.LayerNorm(embed_dims)
        self.norm_b = nn.LayerNorm(embed_dims)

    def forward(self, a: Tensor, b: Tensor):
        """Args: a ``(N, La, C)``, b ``(N, Lb, C)``. Returns (a, b)."""
        a = self.norm_a(a + self.attn_a(a, b, b))
        b = self.norm_b(b + self.attn_b(b, a, a))
        return a, b
