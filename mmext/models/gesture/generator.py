# Copyright (c) mmext contributors. All rights reserved.
"""Body-and-hands co-speech gesture generator and its discriminator."""
from typing import Sequence

import torch
from einops import rearrange
from torch import Tensor, nn

from mmext.models.layers import (AxialAttention, AxialGCN,
                                 BidirectionalCrossAttention, GraphAttention,
                                 parents_to_neighbours)
from mmext.registry import MODELS

__all__ = ['GestureGenerator', 'GestureDiscriminator', 'project_bone_lengths']

_GRAPH_TYPES = ('gat', 'gcn')


class _TemporalResBlock(nn.Module):
    """``x + conv(gelu(conv(x)))`` along time, per joint."""

    def __init__(self, dims: int, kernel_size: int = 3) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(dims, dims, kernel_size, padding=pad)
        self.conv2 = nn.Conv1d(dims, dims, kernel_size, padding=pad)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(dims)

    def forward(self, x: Tensor) -> Tensor:
        b = x.shape[0]
        h = rearrange(x, 'b t j c -> (b j) c t')
        h = self.conv2(self.act(self.conv1(h)))
        h = rearrange(h, '(b j) c t -> b t j c', b=b)
        return self.norm(x + h)


def _depth_levels(parents: Sequence[int]):
    """``[(children, their parents), ...]`` index tensors per tree depth
    (depth 1 first), for a kinematic tree given by ``parents``."""
    depth = [None] * len(parents)

    def d(j, seen=()):
        if depth[j] is None:
            p = int(parents[j])
            if p < 0:
                depth[j] = 0
            elif p in seen or p == j or p >= len(parents):
                raise ValueError(f'parents: joint {j} has no path to a '
                                 f'root (parent {p})')
            else:
                depth[j] = d(p, seen + (j, )) + 1
        return depth[j]

    for j in range(len(parents)):
        d(j)
    levels = []
    for k in range(1, max(depth, default=0) + 1):
        kids = [j for j in range(len(parents)) if depth[j] == k]
        levels.append((torch.tensor(kids, dtype=torch.long),
                       torch.tensor([int(parents[j]) for j in kids],
                                    dtype=torch.long)))
    return levels


def project_bone_lengths(motion: Tensor, ref: Tensor, levels) -> Tensor:
    """Joint positions ``(B, T, J, 3)`` with every bone rescaled to its
    length in the reference pose ``ref`` ``(B, J, 3)``, keeping each
    bone's direction; roots stay where they are. ``levels`` comes from
    :func:`_depth_levels`. A bone of zero predicted length keeps its child
    on the parent."""
    out = motion.clone()
    for kids, pars in levels:
        length = (ref[:, kids] - ref[:, pars]).norm(dim=-1, keepdim=True)
        vec = motion[:, :, kids] - motion[:, :, pars]
        unit = vec / vec.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        out[:, :, kids] = out[:, :, pars] + length[:, None] * unit
    return out


@MODELS.register_module()
class GestureGenerator(nn.Module):
    """Speech audio + seed poses -> body and finger joint positions.

    Pipeline (docs/gesture/README.md):

    1. audio encoder (two temporal convolutions over per-frame audio
       features) and seed-pose conditioning (each joint's seed trajectory
       embedded), summed with a learned joint embedding into
       ``(B, T, J, C)`` joint tokens;
    2. a graph network over the body+hands skeleton whose layers mix graph
       attention (``'gat'``) and graph convolution (``'gcn'``; 5 layers by
       default);
    3. temporal ResBlocks and temporal multi-head self-attention;
    4. bidirectional body<->hand cross-attention (8 heads) per frame:
       ``hand = LN(hand + CrossAttn(q=hand, k=body, v=body))`` then
       ``body = LN(body + CrossAttn(q=body, k=hand, v=hand))``;
    5. a linear head predicting each joint's offset from its last seed
       position, zero-initialised (step 0 holds the seed pose).

    Args:
        num_joints (int): ``J``.
        parents (Sequence[int]): Kinematic parents (``-1`` for the root).
        hand_joints (Sequence[int]): Indices of the hand group.
        audio_dims (int): Per-frame audio feature channels.
        seed_frames (int): Seed poses given. Defaults to 4.
        embed_dims (int): Defaults to 64.
        graph_layers (Sequence[str]): Defaults to
            ``('gat', 'gcn', 'gat', 'gcn', 'gat')``.
        gat_heads (int): Defaults to 4.
        num_res_blocks (int): Defaults to 2.
        temporal_heads (int): Defaults to 4.
        cross_heads (int): Defaults to 8.
        use_cross_attention (bool): Defaults to True.
        keep_bone_lengths (bool): Project the output onto the seed's bone
            lengths: root to leaves, each joint is placed at its parent's
            projected position plus the last seed frame's bone length
            along the predicted bone direction, so every frame keeps the
            speaker's bones exactly (the physics loss's bone term is then
            zero by construction). A pose with the seed's bone lengths,
            such as the zero-initialised head's held seed, is unchanged.
            Defaults to False. Why the gesture configs turn it on:
            docs/gesture/training.md, "Bone lengths by construction".
    """

    def __init__(self,
                 num_joints: int,
                 parents: Sequence[int],
                 hand_joints: Sequence[int],
                 audio_dims: int,
                 seed_frames: int = 4,
                 embed_dims: int = 64,
                 graph_layers: Sequence[str] = ('gat', 'gcn', 'gat', 'gcn',
                                                'gat'),
                 gat_heads: int = 4,
                 num_res_blocks: int = 2,
                 temporal_heads: int = 4,
                 cross_heads: int = 8,
                 use_cross_attention: bool = True,
                 keep_bone_lengths: bool = False) -> None:
        super().__init__()
        if len(parents) != num_joints:
            raise ValueError(f'GestureGenerator: len(parents)='
                             f'{len(parents)} != num_joints={num_joints}')
        bad = [g for g in graph_layers if g not in _GRAPH_TYPES]
        if bad:
            raise ValueError(f'GestureGenerator: graph_layers entries must '
                             f'be in {_GRAPH_TYPES}, got {bad}')
        hand = sorted(set(int(i) for i in hand_joints))
        if use_cross_attention and not hand:
            raise ValueError('GestureGenerator: use_cross_attention needs '
                             'hand joints (hand_joints is empty)')
        self.num_joints = num_joints
        self.seed_frames = seed_frames
        self.keep_bone_lengths = keep_bone_lengths
        self._levels = _depth_levels(parents)
        self.use_cross_attention = use_cross_attention
        self.register_buffer(
            'hand_idx', torch.tensor(hand, dtype=torch.long),
            persistent=False)
        self.register_buffer(
            'body_idx',
            torch.tensor([j for j in range(num_joints) if j not in hand],
                         dtype=torch.long),
            persistent=False)
        c = embed_dims
        self.audio_encoder = nn.Sequential(
            nn.Conv1d(audio_dims, c, 5, padding=2), nn.GELU(),
            nn.Conv1d(c, c, 5, padding=2))
        self.seed_encoder = nn.Linear(seed_frames * 3, c)
        self.joint_embed = nn.Parameter(torch.zeros(num_joints, c))
        nn.init.normal_(self.joint_embed, std=0.02)
        nbrs = parents_to_neighbours(parents)
        self.graph = nn.ModuleList([
            GraphAttention(c, nbrs, num_heads=gat_heads) if kind == 'gat' else
            AxialGCN(c, c, num_joints, mode='spatial', neighbours=nbrs)
            for kind in graph_layers
        ])
        self.res_blocks = nn.ModuleList(
            [_TemporalResBlock(c) for _ in range(num_res_blocks)])
        self.temporal_attn = AxialAttention(
            c, num_heads=temporal_heads, qkv_bias=True, mode='temporal')
        self.temporal_norm = nn.LayerNorm(c)
        self.cross = BidirectionalCrossAttention(
            c, cross_heads) if use_cross_attention else None
        self.head = nn.Linear(c, 3)
        # Zero-initialised head: step 0 outputs the last seed pose held
        # still (the hold-seed baseline) instead of a random offset of
        # ~0.8 m, and training starts from there (as ControlNet's
        # zero convolutions and ReZero start residual branches at 0).
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, audio: Tensor, seed: Tensor) -> Tensor:
        """Generate.

        Args:
            audio (Tensor): ``(B, T, audio_dims)`` per-frame features.
            seed (Tensor): ``(B, S, J, 3)`` seed poses.

        Returns:
            Tensor: ``(B, T, J, 3)`` joint positions.
        """
        b, t, _ = audio.shape
        if seed.shape[1:] != (self.seed_frames, self.num_joints, 3):
            raise ValueError(
                f'GestureGenerator: seed must be (B, {self.seed_frames}, '
                f'{self.num_joints}, 3), got {tuple(seed.shape)}')
        a = self.audio_encoder(audio.transpose(1, 2)).transpose(1, 2)
        s = self.seed_encoder(rearrange(seed, 'b s j c -> b j (s c)'))
        x = a[:, :, None] + s[:, None] + self.joint_embed
        for layer in self.graph:
            x = layer(x)
        for block in self.res_blocks:
            x = block(x)
        x = self.temporal_norm(x + self.temporal_attn(x))
        if self.cross is not None:
            tokens = rearrange(x, 'b t j c -> (b t) j c')
            hand, body = self.cross(tokens[:, self.hand_idx],
                                    tokens[:, self.body_idx])
            tokens = torch.empty_like(tokens)
            tokens[:, self.hand_idx] = hand
            tokens[:, self.body_idx] = body
            x = rearrange(tokens, '(b t) j c -> b t j c', b=b)
        out = seed[:, -1:].to(x.dtype) + self.head(x)
        if self.keep_bone_lengths:
            out = project_bone_lengths(out.float(), seed[:, -1].float(),
                                       self._levels).to(out.dtype)
        return out


@MODELS.register_module()
class GestureDiscriminator(nn.Module):
    """Temporal-convolution discriminator over pose sequences.

    Input: joint positions and velocities per frame, flattened; strided
    1D convolutions with LeakyReLU; output one logit per temporal patch.

    Args:
        num_joints (int): ``J``.
        embed_dims (int): Defaults to 128.
        num_layers (int): Strided conv layers. Defaults to 3.
    """

    def __init__(self,
                 num_joints: int,
                 embed_dims: int = 128,
                 num_layers: int = 3) -> None:
        super().__init__()
        layers = []
        in_dims = num_joints * 6
        for i in range(num_layers):
            layers += [
                nn.Conv1d(in_dims, embed_dims, 4, stride=2, padding=1),
                nn.LeakyReLU(0.2)
            ]
            in_dims = embed_dims
        layers.append(nn.Conv1d(in_dims, 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, motion: Tensor) -> Tensor:
        """Args: motion ``(B, T, J, 3)``. Returns ``(B, T')`` logits."""
        vel = torch.cat([torch.zeros_like(motion[:, :1]),
                         motion.diff(dim=1)], dim=1)
        x = rearrange(torch.cat([motion, vel], -1), 'b t j c -> b (j c) t')
        return self.net(x).squeeze(1)
