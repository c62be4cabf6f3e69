# Copyright (c) mmext contributors. All rights reserved.
"""Graph convolution over the joints or the frames of a skeleton sequence."""
import math
from typing import Optional, Sequence

import torch
from einops import rearrange
from torch import Tensor, nn

__all__ = [
    'H36M_NEIGHBOURS', 'skeleton_adjacency', 'temporal_band_adjacency',
    'normalize_digraph', 'topk_similarity_adjacency', 'AxialGCN'
]

#: Neighbour lists of the 17 Human3.6M joints as used by MotionAGFormer
#: (``CONNECTIONS`` in ``model/modules/graph.py``), indexed by joint:
#: 0 pelvis, 1-3 right hip/knee/ankle, 4-6 left hip/knee/ankle, 7 spine,
#: 8 thorax, 9 neck, 10 head, 11-13 left shoulder/elbow/wrist, 14-16 right
#: shoulder/elbow/wrist. Upstream's graph is *directed*: e.g. joint 4 lists
#: the pelvis but the pelvis lists only 1 and 7, and the thorax (8) does not
#: list the shoulders. It is kept as is so that checkpoints behave the same.
H36M_NEIGHBOURS = (
    (1, 7), (2, 0), (3, 1), (2, ), (5, 0), (6, 4), (5, ), (0, 8), (7, 9),
    (8, 10), (9, ), (12, 8), (13, 11), (12, ), (15, 8), (16, 14), (15, ))

_MODES = ('spatial', 'temporal')


def skeleton_adjacency(
        neighbours: Sequence[Sequence[int]] = H36M_NEIGHBOURS) -> Tensor:
    """Directed adjacency ``A[i, j] = 1`` iff ``j`` is in ``neighbours[i]``.

    Args:
        neighbours (Sequence[Sequence[int]]): Neighbour list of every node.
            Defaults to :data:`H36M_NEIGHBOURS`.

    Returns:
        Tensor: ``(J, J)`` float adjacency, no self loops.
    """
    num_nodes = len(neighbours)
    adj = torch.zeros(num_nodes, num_nodes)
    rows = [i for i, nbrs in enumerate(neighbours) for _ in nbrs]
    cols = [j for nbrs in neighbours for j in nbrs]
    adj[rows, cols] = 1.
    return adj


def temporal_band_adjacency(num_frames: int, connection_len: int) -> Tensor:
    """Connect every frame to itself and the next ``connection_len`` frames.

    Args:
        num_frames (int): Number of frames ``T``.
        connection_len (int): How many following frames are connected.

    Returns:
        Tensor: ``(T, T)`` adjacency with ``A[i, j] = 1`` for
        ``0 <= j - i <= connection_len``.
    """
    idx = torch.arange(num_frames)
    offset = idx[None, :] - idx[:, None]
    return ((offset >= 0) & (offset <= connection_len)).float()


def normalize_digraph(adj: Tensor) -> Tensor:
    """Symmetric degree normalisation ``D^-1/2 A D^-1/2`` (row degrees).

    Args:
        adj (Tensor): ``(..., N, N)`` adjacency.

    Returns:
        Tensor: ``(..., N, N)`` with ``out[i, j] = A[i, j] / sqrt(d_i d_j)``
        where ``d_i = sum_j A[i, j]``.
    """
    deg_inv_sqrt = adj.detach().sum(dim=-1).pow(-0.5)
    return deg_inv_sqrt.unsqueeze(-1) * adj * deg_inv_sqrt.unsqueeze(-2)


def topk_similarity_adjacency(x: Tensor, k: int) -> Tensor:
    """Connect every node to its ``k`` most similar nodes (dot product).

    Computed for all sequences at once; ties with the ``k``-th largest
    similarity are connected as well (as upstream does).

    Args:
        x (Tensor): ``(N, T, C)`` node features.
        k (int): Number of neighbours (including, usually, the node itself).

    Returns:
        Tensor: ``(N, T, T)`` adjacency of ``x``'s dtype, no gradient.
    """
    with torch.no_grad():
        similarity = x @ x.transpose(1, 2)  # n t c, n s c -> n t s
        threshold = similarity.topk(k, dim=-1).values[..., -1:]
        return (similarity >= threshold).to(x.dtype)


class AxialGCN(nn.Module):
    """Graph convolution along the joint or the frame axis.

    ``out = relu(x + BN(A_norm @ V(x) + U(x)))`` (the residual ``x`` only
    when ``in_dims == out_dims``), where ``BN`` is a ``BatchNorm1d`` over the
    *nodes* (joints in ``'spatial'`` mode, frames in ``'temporal'`` mode).
    The spatial graph is the skeleton; the temporal graph links each frame
    either to its ``neighbour_num`` most similar frames of the same joint
    (``use_temporal_similarity=True``) or to the next
    ``temporal_connection_len`` frames.

    Parameter names (``U``, ``V``, ``batch_norm``) and the initialisation
    match ``GCN`` in TaatiTeam/MotionAGFormer (``model/modules/graph.py``);
    the fixed adjacency is a non-persistent buffer, as upstream keeps it
    out of the state_dict.

    Args:
        in_dims (int): Input channels.
        out_dims (int): Output channels.
        num_nodes (int): Joints (spatial) or frames (temporal); fixes the
            size of ``batch_norm``.
        neighbour_num (int): ``k`` of the top-k temporal similarity graph.
            Defaults to 4.
        mode (str): ``'spatial'`` or ``'temporal'``. Defaults to
            ``'spatial'``.
        use_temporal_similarity (bool): Temporal graph from top-k
            similarity (True) or a fixed band (False). Defaults to True.
        temporal_connection_len (int): Band width of the fixed temporal
            graph. Defaults to 1.
        neighbours (Sequence[Sequence[int]], optional): Neighbour lists of
            the spatial graph. Defaults to :data:`H36M_NEIGHBOURS`.
    """

    def __init__(self,
                 in_dims: int,
                 out_dims: int,
                 num_nodes: int,
                 neighbour_num: int = 4,
                 mode: str = 'spatial',
                 use_temporal_similarity: bool = True,
                 temporal_connection_len: int = 1,
                 neighbours: Optional[Sequence[Sequence[int]]] = None) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
        self.in_dims = in_dims
        self.out_dims = out_dims
        self.num_nodes = num_nodes
        self.mode = mode
        self.neighbour_num = neighbour_num
        self.use_temporal_similarity = use_temporal_similarity

        self.U = nn.Linear(in_dims, out_dims)
        self.V = nn.Linear(in_dims, out_dims)
        self.batch_norm = nn.BatchNorm1d(num_nodes)
        self.relu = nn.ReLU()
        nn.init.normal_(self.U.weight, 0., math.sqrt(2. / in_dims))
        nn.init.normal_(self.V.weight, 0., math.sqrt(2. / in_dims))

        adj = None
        if mode == 'spatial':
            adj = skeleton_adjacency(neighbours or H36M_NEIGHBOURS)
            if adj.shape[0] != num_nodes:
                raise ValueError(
                    f'the spatial graph has {adj.shape[0]} nodes but '
                    f'num_nodes={num_nodes}')
        elif use_temporal_similarity:
            if not 1 <= neighbour_num <= num_nodes:
                raise ValueError(
                    f'neighbour_num must be in [1, num_nodes={num_nodes}], '
                    f'got {neighbour_num}')
        else:
            adj = temporal_band_adjacency(num_nodes, temporal_connection_len)
        self.register_buffer(
            'norm_adj',
            normalize_digraph(adj) if adj is not None else None,
            persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        """Aggregate neighbours.

        Args:
            x (Tensor): ``(B, T, J, in_dims)``.

        Returns:
            Tensor: ``(B, T, J, out_dims)``.
        """
        b, t, j, _ = x.shape
        if self.mode == 'spatial':
            nodes = rearrange(x, 'b t j c -> (b t) j c')
        else:
            nodes = rearrange(x, 'b t j c -> (b j) t c')
        if self.norm_adj is not None:
            adj = self.norm_adj.to(nodes.dtype)
            aggregate = torch.einsum('uv,nvc->nuc', adj, self.V(nodes))
        else:
            adj = normalize_digraph(
                topk_similarity_adjacency(nodes, self.neighbour_num))
            aggregate = adj @ self.V(nodes)
        out = self.batch_norm(aggregate + self.U(nodes))
        if self.in_dims == self.out_dims:
            out = nodes + out
        out = self.relu(out)
        if self.mode == 'spatial':
            return rearrange(out, '(b t) j c -> b t j c', b=b)
        return rearrange(out, '(b j) t c -> b t j c', b=b)

    def extra_repr(self) -> str:
        return (f'mode={self.mode!r}, num_nodes={self.num_nodes}, '
                f'use_temporal_similarity={self.use_temporal_similarity}, '
                f'neighbour_num={self.neighbour_num}')
