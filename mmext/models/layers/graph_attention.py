# Copyright (c) mmext contributors. All rights reserved.
"""Graph attention (GAT) over the joints of a skeleton."""
from typing import Sequence

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from .graph import skeleton_adjacency

__all__ = ['GraphAttention', 'parents_to_neighbours']


def parents_to_neighbours(parents: Sequence[int]):
    """Undirected neighbour lists of a kinematic tree given by parents
    (``-1`` for the root)."""
    nbrs = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            nbrs[j].append(p)
            nbrs[p].append(j)
    return tuple(tuple(n) for n in nbrs)


class GraphAttention(nn.Module):
    """Multi-head graph attention (Velickovic et al., ICLR 2018) on joints.

    For every head ``e_ij = LeakyReLU(a_src . W h_i + a_dst . W h_j)`` for
    ``j`` in the neighbourhood of ``i`` (self included), ``alpha =
    softmax_j(e_ij)``, ``h'_i = sum_j alpha_ij W h_j``; heads are
    concatenated, followed by a residual connection and LayerNorm.

    The scores and the softmax run over each joint's neighbour list
    (padded to the largest degree ``K``; 4-6 against ``J`` = 75 joints for
    BEAT) instead of a masked ``J x J`` matrix; the neighbours' scores are
    picked with a 0/1 matrix product (exact) and the weights are scattered
    back into a ``J x J`` matrix for the aggregation, which stays one
    batched matrix product. Equal to the dense masked form within float
    rounding (tested on a 75-joint tree, outputs and gradients).

    Args:
        embed_dims (int): Channels (in = out).
        neighbours (Sequence[Sequence[int]]): Neighbour list per joint.
        num_heads (int): Defaults to 4.
        negative_slope (float): LeakyReLU slope. Defaults to 0.2.
    """

    def __init__(self,
                 embed_dims: int,
                 neighbours: Sequence[Sequence[int]],
                 num_heads: int = 4,
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads})')
        self.num_heads = num_heads
        self.negative_slope = negative_slope
        head_dim = embed_dims // num_heads
        self.W = nn.Linear(embed_dims, embed_dims, bias=False)
        self.a_src = nn.Parameter(torch.empty(num_heads, head_dim))
        self.a_dst = nn.Parameter(torch.empty(num_heads, head_dim))
        nn.init.xavier_uniform_(self.a_src)
        nn.init.xavier_uniform_(self.a_dst)
        self.norm = nn.LayerNorm(embed_dims)
        adj = skeleton_adjacency(neighbours)
        adj = adj + torch.eye(adj.shape[0])
        # neighbourhood of every joint (self included), padded to K
        rows = [torch.nonzero(r > 0).flatten() for r in adj]
        k = max(len(r) for r in rows)
        index = torch.zeros(len(rows), k, dtype=torch.long)
        valid = torch.zeros(len(rows), k, dtype=torch.bool)
        for i, r in enumerate(rows):
            index[i, :len(r)] = r
            valid[i, :len(r)] = True
        # select[j', i * K + k] = 1 iff index[i, k] = j' (and it is valid)
        select = torch.zeros(len(rows), len(rows) * k)
        cols = torch.arange(len(rows) * k).view(len(rows), k)
        select[index[valid], cols[valid]] = 1.
        self.register_buffer('nbr_index', index, persistent=False)
        self.register_buffer('nbr_valid', valid, persistent=False)
        self.register_buffer('nbr_select', select, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x ``(B, T, J, C)``. Returns ``(B, T, J, C)``."""
        h = rearrange(self.W(x), 'b t j (h d) -> b t h j d', h=self.num_heads)
        src = torch.einsum('bthjd,hd->bthj', h, self.a_src)
        dst = torch.einsum('bthjd,hd->bthj', h, self.a_dst)
        num_joints, k = self.nbr_index.shape
        dst = (dst @ self.nbr_select.to(dst.dtype)).unflatten(
            -1, (num_joints, k))  # dst[..., i, k] = dst[..., index[i, k]]
        e = F.leaky_relu(src.unsqueeze(-1) + dst, self.negative_slope)
        e = e.masked_fill(~self.nbr_valid, float('-inf'))
        alpha = e.softmax(dim=-1)  # (b, t, h, j, k); 0 on the padding
        dense = alpha.new_zeros(alpha.shape[:-1] + (num_joints, ))
        dense = dense.scatter_add(-1, self.nbr_index.expand(alpha.shape),
                                  alpha)
        out = rearrange(dense @ h, 'b t h j d -> b t j (h d)')
        return self.norm(x + out)
