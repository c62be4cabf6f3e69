# Copyright (c) mmext contributors. All rights reserved.
"""EMAGE's FGD motion encoder (the "AESKConv" autoencoder's encoder).

EMAGE (Liu et al., CVPR 2024) reports FGD in the latent space of a
skeleton-convolution autoencoder, ``VAESKConv`` with ``LocalEncoder``, that
it releases as ``AESKConv_240_100.bin``. This module rebuilds the encoder
from the facts of the official code (PantoMatrix/PantoMatrix at commit
c8031154992605d08009915e94a3f38bfc1e3a19, written ``c803115`` below) so
that a user's copy of that checkpoint loads by its published parameter
names:

* ``emage_evaltools/mertic.py:269-277`` (``Arg``): ``vae_layer=4``,
  ``vae_grow=[1, 1, 2, 1]``, ``vae_length=240``, ``vae_test_dim=330``,
  ``variational=False``;
* ``emage_evaltools/motion_encoder.py:12-24``: 6 channels per edge
  (rot6d), tanh, residual blocks, kernel 4, skeleton distance 2, mean
  pooling; ``:36-38`` padding ``(4 - 1) // 2 = 1``; ``:62-81`` one
  ``SkeletonResidual`` of stride 2 per layer, the last one pooling every
  chain to one edge;
* ``emage_evaltools/motion_encoder.py:188-192``: the skeleton is the
  SMPL-X ``kintree_table[0]``, with an extra virtual edge ``(0, 55)``
  first (``skeleton_DME.py:358-365``), so edge 0 carries the root's
  rotation and edge ``i`` joint ``i``'s;
* ``emage_evaltools/skeleton.py:122-205`` (``SkeletonResidual``):
  ``tanh(pool(GroupNorm(10)(conv_k4_s2(x)) + conv_k1_s2(x)))``;
* ``emage_evaltools/skeleton_DME.py:36-155`` (``SkeletonConv``: a conv
  whose weight is multiplied by a 0/1 ``mask`` that connects each edge to
  the edges within the skeleton distance, ``:415-458``), ``:205-276``
  (``SkeletonPool``: edge chains between branching joints, found depth
  first from joint 0, merged pairwise, ``weight`` a fixed averaging
  matrix).

The masks and pooling matrices are stored in the checkpoint (they are
``nn.Parameter`` s with ``requires_grad=False`` upstream); the loader
checks them against the ones built here from the parents, so a checkpoint
of another skeleton is refused instead of silently encoding with it.
"""
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmext.structures.skeleton import SMPLX_PARENTS

__all__ = [
    'EmageFGDEncoder', 'load_emage_fgd_encoder', 'axis_angle_to_rot6d',
    'edge_topology', 'edge_neighbours', 'pool_edges', 'EMAGE_FGD_UNUSED'
]

#: Prefixes of the released checkpoint that FGD does not use: the decoder,
#: and ``fc_mu`` / ``fc_logvar``, which only act when ``variational`` is
#: True (``mertic.py:277`` sets it False; ``motion_encoder.py:171-177``).
EMAGE_FGD_UNUSED = ('decoder.', 'fc_mu.', 'fc_logvar.')


def edge_topology(parents: Sequence[int]) -> List[Tuple[int, int]]:
    """Edges ``(parent, child)``: a virtual edge ``(0, J)`` for the root,
    then ``(parents[i], i)`` for ``i >= 1`` (``skeleton_DME.py:358-365``)."""
    return [(0, len(parents))] + [(int(parents[i]), i)
                                  for i in range(1, len(parents))]


def edge_neighbours(edges: Sequence[Sequence[int]],
                    dist: int) -> List[List[int]]:
    """For each edge, the (sorted) edges at most ``dist`` apart; two edges
    sharing a joint are 1 apart (``skeleton_DME.py:415-458``)."""
    n = len(edges)
    big = 100000
    d = np.full((n, n), big, dtype=np.int64)
    for i, a in enumerate(edges):
        for j, b in enumerate(edges):
            if i == j:
                d[i, j] = 0
            elif set(a[:2]) & set(b[:2]):
                d[i, j] = 1
    for k in range(n):  # Floyd-Warshall
        d = np.minimum(d, d[:, k:k + 1] + d[k:k + 1, :])
    return [np.flatnonzero(row <= dist).tolist() for row in d]


def _edge_chains(edges: Sequence[Sequence[int]]) -> List[List[int]]:
    """Edge-index chains from joint 0 down to end effectors, cut at every
    non-root joint of degree > 2, in upstream's depth-first order
    (``skeleton_DME.py:219-241``)."""
    degree: Dict[int, int] = {}
    for a, b in (e[:2] for e in edges):
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    chains = []

    def walk(joint, chain):
        if degree[joint] > 2 and joint != 0:
            chains.append(chain)
            chain = []
        if degree[joint] == 1:
            chains.append(chain)
            return
        for idx, e in enumerate(edges):
            if e[0] == joint:
                walk(e[1], chain + [idx])

    walk(0, [])
    return chains


def pool_edges(edges: Sequence[Sequence[int]], last: bool
               ) -> Tuple[List[List[int]], List[Tuple[int, int]]]:
    """Groups of edges averaged into one, and the pooled edges.

    Each chain of :func:`_edge_chains` is merged pairwise (an odd chain
    keeps its first edge alone); the last layer merges every chain whole
    and has no further edges (``skeleton_DME.py:244-254``).
    """
    groups, new_edges = [], []
    for chain in _edge_chains(edges):
        if last:
            groups.append(chain)
            continue
        if len(chain) % 2:
            groups.append([chain[0]])
            new_edges.append(tuple(edges[chain[0]][:2]))
            chain = chain[1:]
        for a, b in zip(chain[0::2], chain[1::2]):
            groups.append([a, b])
            new_edges.append((edges[a][0], edges[b][1]))
    return groups, new_edges


def _pool_matrix(groups: List[List[int]], num_edges: int,
                 channels: int) -> torch.Tensor:
    w = torch.zeros(len(groups) * channels, num_edges * channels)
    for g, group in enumerate(groups):
        for e in group:
            for c in range(channels):
                w[g * channels + c, e * channels + c] = 1. / len(group)
    return w


class _SkeletonConv(nn.Module):
    """Conv1d over ``(B, edges * C, T)`` whose weight is masked so that
    each edge's outputs see only its neighbours' inputs (upstream keys
    ``weight``, ``bias``, ``mask``)."""

    def __init__(self, neighbours: List[List[int]], in_channels: int,
                 out_channels: int, kernel_size: int, stride: int,
                 padding: int) -> None:
        super().__init__()
        n = len(neighbours)
        if in_channels % n or out_channels % n:
            raise ValueError(f'_SkeletonConv: channels {in_channels}, '
                             f'{out_channels} not divisible by {n} edges')
        cin, cout = in_channels // n, out_channels // n
        mask = torch.zeros(out_channels, in_channels, kernel_size)
        for i, nb in enumerate(neighbours):
            cols = [k * cin + c for k in nb for c in range(cin)]
            mask[i * cout:(i + 1) * cout, cols] = 1.
        self.mask = nn.Parameter(mask, requires_grad=False)
        self.weight = nn.Parameter(torch.zeros_like(mask))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.stride, self.padding = stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight * self.mask, self.bias, self.stride,
                        self.padding)


class _SkeletonPool(nn.Module):
    """Fixed averaging of edge groups (upstream key ``weight``)."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(self.weight, x)


class _SkeletonResidual(nn.Module):
    """``tanh(pool(GroupNorm(10)(conv_k4_s2(x)) + conv_k1_s2(x)))``
    (``skeleton.py:122-205``); the pool is omitted when it would keep the
    number of edges, as upstream does (``skeleton.py:197-198``)."""

    def __init__(self, edges, neighbours, in_channels: int,
                 out_channels: int, kernel_size: int, last: bool) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            _SkeletonConv(neighbours, in_channels, out_channels,
                          kernel_size, 2, (kernel_size - 1) // 2),
            nn.GroupNorm(10, out_channels))
        self.shortcut = _SkeletonConv(neighbours, in_channels, out_channels,
                                      1, 2, 0)
        groups, self.new_edges = pool_edges(edges, last)
        if last:
            self.new_edges = []
        per_edge = out_channels // len(neighbours)
        common = []
        if len(groups) != len(edges):
            common.append(
                _SkeletonPool(_pool_matrix(groups, len(edges), per_edge)))
        common.append(nn.Tanh())
        self.common = nn.Sequential(*common)
        self.out_edges = len(groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.common(self.residual(x) + self.shortcut(x))


class _LocalEncoder(nn.Module):

    def __init__(self, parents, grow, channel_base, kernel_size,
                 skeleton_dist) -> None:
        super().__init__()
        edges = edge_topology(parents)
        base = [channel_base]
        for g in grow:
            base.append(base[-1] * g)
        self.layers = nn.ModuleList()
        for i in range(len(grow)):
            nb = edge_neighbours(edges, skeleton_dist)
            block = _SkeletonResidual(edges, nb, base[i] * len(edges),
                                      base[i + 1] * len(edges), kernel_size,
                                      last=i == len(grow) - 1)
            self.layers.append(nn.Sequential(block))
            out_edges = block.out_edges
            edges = block.new_edges
        self.out_channels = base[-1] * out_edges

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class EmageFGDEncoder(nn.Module):
    """The encoder of EMAGE's FGD autoencoder (``VAESKConv.encoder``).

    Input rot6d ``(B, T, J * 6)`` (J = 55 SMPL-X joints in
    ``kintree_table`` order, 6 numbers per joint as
    :func:`axis_angle_to_rot6d`), output latent frames
    ``(B, T / 16, 240)`` (``VAESKConv.map2latent`` with
    ``variational=False``; ``T`` a multiple of 16). Its ``state_dict`` has
    upstream's keys (``encoder.layers.<i>.0.residual.0.weight`` ...).

    Args:
        parents (sequence of int): The skeleton's parent list (upstream
            reads ``kintree_table[0]`` of the SMPL-X model file,
            ``motion_encoder.py:190``). Defaults to
            :data:`~mmext.structures.skeleton.SMPLX_PARENTS`.
        grow (sequence of int): Channel growth per layer
            (``vae_grow``). Defaults to ``(1, 1, 2, 1)``.
        channel_base (int): Channels per edge of the input (6, rot6d).
        kernel_size (int): Temporal kernel. Defaults to 4.
        skeleton_dist (int): Neighbourhood radius in edges. Defaults to 2.
    """

    def __init__(self, parents: Sequence[int] = SMPLX_PARENTS,
                 grow: Sequence[int] = (1, 1, 2, 1), channel_base: int = 6,
                 kernel_size: int = 4, skeleton_dist: int = 2) -> None:
        super().__init__()
        self.parents = tuple(int(p) for p in parents)
        self.in_channels = channel_base * len(self.parents)
        self.temporal_stride = 2**len(grow)
        self.encoder = _LocalEncoder(self.parents, tuple(grow), channel_base,
                                     kernel_size, skeleton_dist)
        self.latent_dims = self.encoder.out_channels

    def forward(self, rot6d: torch.Tensor) -> torch.Tensor:
        if rot6d.ndim != 3 or rot6d.shape[-1] != self.in_channels:
            raise ValueError(f'EmageFGDEncoder: input must be (B, T, '
                             f'{self.in_channels}) rot6d, got '
                             f'{tuple(rot6d.shape)}')
        if rot6d.shape[1] % self.temporal_stride:
            raise ValueError(f'EmageFGDEncoder: T={rot6d.shape[1]} is not a '
                             f'multiple of {self.temporal_stride}')
        return self.encoder(rot6d.permute(0, 2, 1)).permute(0, 2, 1)


def structure_keys(state: Dict[str, torch.Tensor]) -> List[str]:
    """The keys of fixed, topology-defined tensors (masks, pool matrices)."""
    return [k for k in state
            if k.endswith('.mask') or '.common.0.weight' in k]


def _strip(state: dict) -> dict:
    """Upstream's checkpoint: ``{'model_state': {...}}``, keys possibly
    prefixed ``module.`` (``mertic.py:303-308``)."""
    for key in ('model_state', 'state_dict'):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    return {(k[len('module.'):] if k.startswith('module.') else k): v
            for k, v in state.items()}


def _first(keys: List[str], n: int = 3) -> str:
    more = f' (+{len(keys) - n} more)' if len(keys) > n else ''
    return ', '.join(keys[:n]) + more


def load_emage_fgd_encoder(checkpoint: str,
                           parents: Sequence[int] = SMPLX_PARENTS,
                           map_location: str = 'cpu') -> EmageFGDEncoder:
    """Build :class:`EmageFGDEncoder` and load the user's copy of EMAGE's
    ``AESKConv_240_100.bin`` (weights-only, with
    :func:`mmext.engine.checkpoint.safe_load`; nothing is downloaded).

    The checkpoint may be upstream's ``{'model_state': ...}``, a
    ``{'state_dict': ...}`` or a bare state dict, with or without a
    ``module.`` prefix. Its decoder and ``fc_mu`` / ``fc_logvar`` are not
    used (:data:`EMAGE_FGD_UNUSED`). Every encoder key must be present with
    the right shape, and its masks and pooling matrices must equal those
    built from ``parents``; otherwise a ``ValueError`` of one line names
    the file and the first offending keys. The encoder takes the
    checkpoint's floating-point precision.
    """
    from mmext.engine.checkpoint import safe_load
    model = EmageFGDEncoder(parents)
    raw = safe_load(checkpoint, map_location=map_location)
    if not isinstance(raw, dict):
        raise ValueError(f'{checkpoint}: not EMAGE\'s AESKConv FGD '
                         f'checkpoint (a {type(raw).__name__}, expected a '
                         'state dict)')
    state = {k: v for k, v in _strip(raw).items()
             if not k.startswith(EMAGE_FGD_UNUSED)}
    want = model.state_dict()
    missing = [k for k in want if k not in state]
    unexpected = [k for k in state if k not in want]
    shape = [f'{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})'
             for k, v in want.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    problems = []
    for name, keys in (('missing', missing), ('unexpected', unexpected),
                       ('wrong shape', shape)):
        if keys:
            problems.append(f'{len(keys)} {name}: {_first(keys)}')
    if not problems:
        differ = [k for k in structure_keys(want)
                  if not torch.equal(state[k].to(want[k].dtype), want[k])]
        if differ:
            problems.append(
                f'{len(differ)} skeleton masks/pooling matrices differ '
                f'from those of the given SMPL-X parents: {_first(differ)}')
    if problems:
        raise ValueError(
            f'{checkpoint}: does not fit EMAGE\'s AESKConv FGD encoder '
            f'(VAESKConv, PantoMatrix c803115): ' + '; '.join(problems))
    # keep the checkpoint's precision (float64 fixtures stay float64)
    model.to(state[next(iter(want))].dtype).load_state_dict(state)
    return model.eval()


def axis_angle_to_rot6d(axis_angle: torch.Tensor) -> torch.Tensor:
    """Axis-angle ``(..., 3)`` to EMAGE's rot6d ``(..., 6)``: the first two
    ROWS of the rotation matrix, ``[R00, R01, R02, R10, R11, R12]``.

    As upstream's ``emage_utils/rotation_conversions.py`` (pytorch3d's):
    axis-angle to a unit quaternion with ``sin(a/2)/a`` replaced by
    ``1/2 - a^2/48`` below ``|a| < 1e-6`` (``:448-477``), the quaternion to
    a matrix (``:36-64``), then ``matrix[..., :2, :]`` flattened
    (``:535-550``; ``axis_angle_to_rotation_6d``, ``:553-566``).
    """
    angle = torch.linalg.vector_norm(axis_angle, dim=-1, keepdim=True)
    small = angle.abs() < 1e-6
    safe = torch.where(small, torch.ones_like(angle), angle)
    scale = torch.where(small, 0.5 - angle * angle / 48,
                        torch.sin(0.5 * safe) / safe)
    r = torch.cos(0.5 * angle)[..., 0]
    i, j, k = (axis_angle * scale).unbind(-1)
    two_s = 2. / (r * r + i * i + j * j + k * k)
    rows = (1 - two_s * (j * j + k * k), two_s * (i * j - k * r),
            two_s * (i * k + j * r), two_s * (i * j + k * r),
            1 - two_s * (i * i + k * k), two_s * (j * k - i * r))
    return torch.stack(rows, -1)


def draw_uniform(name: str, shape: Sequence[int],
                 low: float = -1., high: float = 1.,
                 seed: Optional[int] = None) -> torch.Tensor:
    """Float64 uniform draws fixed by ``name`` (CRC32 seed), identical on
    every CPU: the weights of the official-code fixture."""
    gen = torch.Generator().manual_seed(
        zlib.crc32(name.encode()) if seed is None else seed)
    return low + (high - low) * torch.rand(
        tuple(shape), generator=gen, dtype=torch.float64)
