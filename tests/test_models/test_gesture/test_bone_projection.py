# Copyright (c) mmext contributors. All rights reserved.
"""The generator's ``keep_bone_lengths`` projection, against a naive
per-joint loop and the properties it promises."""
import pytest
import torch

from mmext.models.gesture.generator import (GestureGenerator, _depth_levels,
                                            project_bone_lengths)
from mmext.structures.skeleton import Skeleton

# a small tree listed out of depth order: 0 root, chains 0-2-1 and 0-3-4
PARENTS = [-1, 2, 0, 0, 3]


def _naive(motion, ref, parents):
    """One joint at a time, parents before children (explicit recursion)."""
    out = motion.clone()
    done = set()

    def place(j):
        if j in done:
            return
        p = parents[j]
        if p >= 0:
            place(p)
            length = (ref[:, j] - ref[:, p]).norm(dim=-1)
            vec = motion[:, :, j] - motion[:, :, p]
            unit = vec / vec.norm(dim=-1, keepdim=True)
            out[:, :, j] = out[:, :, p] + length[:, None, None] * unit
        done.add(j)

    for j in range(len(parents)):
        place(j)
    return out


def test_matches_naive_loop_and_keeps_lengths():
    g = torch.Generator().manual_seed(0)
    motion = torch.rand(2, 5, 5, 3, generator=g, dtype=torch.float64)
    ref = torch.rand(2, 5, 3, generator=g, dtype=torch.float64)
    out = project_bone_lengths(motion, ref, _depth_levels(PARENTS))
    torch.testing.assert_close(out, _naive(motion, ref, PARENTS), rtol=0,
                               atol=1e-12)
    for j, p in enumerate(PARENTS):
        if p >= 0:
            torch.testing.assert_close(
                (out[:, :, j] - out[:, :, p]).norm(dim=-1),
                (ref[:, None, j] - ref[:, None, p]).norm(dim=-1).expand(2, 5),
                rtol=0, atol=1e-12)
            # the direction of every bone is the predicted one
            a = out[:, :, j] - out[:, :, p]
            b = motion[:, :, j] - motion[:, :, p]
            cos = (a * b).sum(-1) / a.norm(dim=-1) / b.norm(dim=-1)
            torch.testing.assert_close(cos, torch.ones_like(cos), rtol=0,
                                       atol=1e-12)
    torch.testing.assert_close(out[:, :, 0], motion[:, :, 0], rtol=0, atol=0)


def test_a_pose_with_the_reference_lengths_is_unchanged():
    g = torch.Generator().manual_seed(1)
    ref = torch.rand(3, 5, 3, generator=g, dtype=torch.float64)
    motion = ref[:, None].expand(3, 4, 5, 3).clone()
    out = project_bone_lengths(motion, ref, _depth_levels(PARENTS))
    torch.testing.assert_close(out, motion, rtol=0, atol=1e-12)


def test_cycle_is_refused():
    with pytest.raises(ValueError, match='no path to a root'):
        _depth_levels([-1, 2, 1])


def test_generator_step0_holds_seed_and_gradients_flow():
    sk = Skeleton.preset('beat')
    gen = GestureGenerator(sk.num_joints, sk.parents, sk.hand_indices,
                           audio_dims=8, embed_dims=16, gat_heads=2,
                           temporal_heads=2, cross_heads=2,
                           num_res_blocks=1, keep_bone_lengths=True)
    g = torch.Generator().manual_seed(2)
    seed = torch.rand(2, 4, sk.num_joints, 3, generator=g)
    audio = torch.rand(2, 12, 8, generator=g)
    out = gen(audio, seed)
    # zero-initialised head: the held seed, which has the seed's lengths
    torch.testing.assert_close(out, seed[:, -1:].expand_as(out), rtol=0,
                               atol=1e-6)
    torch.nn.init.normal_(gen.head.weight, std=0.1)
    out = gen(audio, seed)

    def lens(m):
        return torch.stack([(m[..., j, :] - m[..., p, :]).norm(dim=-1)
                            for j, p in enumerate(sk.parents) if p >= 0], -1)

    torch.testing.assert_close(lens(out), lens(seed[:, -1:]).expand(2, 12, -1),
                               rtol=0, atol=1e-5)
    out.square().sum().backward()
    assert gen.head.weight.grad.abs().sum() > 0
