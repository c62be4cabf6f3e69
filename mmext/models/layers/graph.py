# Copyright (c) mmext contributors. All rights reserved.
"""Graph convolution over the joints or the frames of a skeleton sequence."""
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
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


def temporal_band_adjacency(num_frames: int,
                            connection_len: int,
                            causal: bool = False) -> Tensor:
    """Connect every frame to itself and the next ``connection_len`` frames.

    Args:
        num_frames (int): Number of frames ``T``.
        connection_len (int): How many following frames are connected.
        causal (bool): Connect the *previous* ``connection_len`` frames
            instead, so that no frame sees a later one. Defaults to False.

    Returns:
        Tensor: ``(T, T)`` adjacency with ``A[i, j] = 1`` for
        ``0 <= j - i <= connection_len`` (``0 <= i - j <= connection_len``
        when causal).
    """
    idx = torch.arange(num_frames)
    offset = idx[None, :] - idx[:, None]
    if causal:
        offset = -offset
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


def topk_similarity_adjacency(x: Tensor,
                              k: int,
                              causal: bool = False) -> Tensor:
    """Connect every node to its ``k`` most similar nodes (dot product).

    Computed for all sequences at once; ties with the ``k``-th largest
    similarity are connected as well (as upstream does). The similarity is
    a no-grad ``(N, T, T)`` matrix product that lives only inside this
    function; nothing of it is kept for backward but the 0/1 adjacency.

    Args:
        x (Tensor): ``(N, T, C)`` node features.
        k (int): Number of neighbours (including, usually, the node itself).
        causal (bool): Choose the neighbours of node ``t`` among nodes
            ``s <= t`` only (all of them while ``t < k``). Defaults to
            False.

    Returns:
        Tensor: ``(N, T, T)`` adjacency of ``x``'s dtype, no gradient.
    """
    with torch.no_grad():
        similarity = x @ x.transpose(1, 2)  # n t c, n s c -> n t s
        if causal:
            t = similarity.shape[-1]
            future = torch.ones(
                t, t, dtype=torch.bool, device=x.device).triu_(1)
            similarity.masked_fill_(future, float('-inf'))
        threshold = similarity.topk(k, dim=-1).values[..., -1:]
        adj = similarity >= threshold
        if causal:
            adj &= ~future
        return adj.to(x.dtype)


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
        causal (bool): Make output frame ``t`` depend on input frames
            ``<= t`` only, in train and eval mode: the temporal graph links
            past frames only (top-k among ``s <= t``, or the previous
            ``temporal_connection_len`` frames), and in ``'spatial'`` mode
            the BatchNorm takes its train-mode statistics per frame
            (over batch and channels) instead of over all frames of the
            clip; its running statistics are the frame average of those.
            The temporal BatchNorm is per frame already. Defaults to
            False (upstream's behaviour).
    """

    def __init__(self,
                 in_dims: int,
                 out_dims: int,
                 num_nodes: int,
                 neighbour_num: int = 4,
                 mode: str = 'spatial',
                 use_temporal_similarity: bool = True,
                 temporal_connection_len: int = 1,
                 neighbours: Optional[Sequence[Sequence[int]]] = None,
                 causal: bool = False) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
        self.in_dims = in_dims
        self.out_dims = out_dims
        self.num_nodes = num_nodes
        self.mode = mode
        self.neighbour_num = neighbour_num
        self.use_temporal_similarity = use_temporal_similarity
        self.causal = causal

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
            adj = temporal_band_adjacency(num_nodes, temporal_connection_len,
                                          causal)
        # Normalised in float64 and kept so: forward casts it to the input's
        # dtype, so a float32 model gets the correctly rounded D^-1/2 A D^-1/2
        # and a float64 model the exact one (upstream normalises in the
        # compute dtype at every forward; a float32-normalised buffer put
        # 1e-8 relative errors into float64 runs).
        self.register_buffer(
            'norm_adj',
            normalize_digraph(adj.double()) if adj is not None else None,
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
            # One contiguous copy that U, V and the residual share (each
            # Linear would otherwise copy the strided view for itself and
            # keep that copy for backward).
            nodes = rearrange(x, 'b t j c -> (b j) t c').contiguous()
        if self.norm_adj is not None:
            adj = self.norm_adj.to(nodes.dtype)
            aggregate = torch.einsum('uv,nvc->nuc', adj, self.V(nodes))
        else:
            adj = normalize_digraph(
                topk_similarity_adjacency(nodes, self.neighbour_num,
                                          self.causal))
            aggregate = adj @ self.V(nodes)
        out = aggregate + self.U(nodes)
        if self.causal and self.mode == 'spatial':
            out = self._per_frame_batch_norm(out, b)
        else:
            out = self.batch_norm(out)
        if self.in_dims == self.out_dims:
            out = nodes + out
        out = self.relu(out)
        if self.mode == 'spatial':
            return rearrange(out, '(b t) j c -> b t j c', b=b)
        return rearrange(out, '(b j) t c -> b t j c', b=b)

    def _per_frame_batch_norm(self, x: Tensor, b: int) -> Tensor:
        """``batch_norm`` with train-mode statistics per frame.

        ``x`` is ``((b t), j, c)``; in training every (frame, joint) pair
        is normalised over batch and channels, so no frame's output depends
        on another frame. Eval mode uses the running statistics as usual.
        """
        bn = self.batch_norm
        if not (bn.training or bn.running_mean is None):
            return bn(x)
        bt, j, c = x.shape
        t = bt // b
        frames = x.reshape(b, t * j, c)  # channels = (frame, joint)
        out = F.batch_norm(
            frames, None, None, bn.weight.repeat(t), bn.bias.repeat(t),
            training=True, eps=bn.eps)
        if bn.track_running_stats and bn.running_mean is not None:
            with torch.no_grad():
                mean = frames.mean(dim=(0, 2)).view(t, j).mean(0)
                n = b * c
                var = frames.var(dim=(0, 2), unbiased=n > 1)
                var = var.view(t, j).mean(0)
                bn.num_batches_tracked.add_(1)
                momentum = bn.momentum if bn.momentum is not None else \
                    1. / float(bn.num_batches_tracked)
                bn.running_mean.lerp_(mean, momentum)
                bn.running_var.lerp_(var, momentum)
        return out.reshape(bt, j, c)

    def extra_repr(self) -> str:
        return (f'mode={self.mode!r}, causal={self.causal}, '
                f'num_nodes={self.num_nodes}, '
                f'use_temporal_similarity={self.use_temporal_similarity}, '
                f'neighbour_num={self.neighbour_num}')
