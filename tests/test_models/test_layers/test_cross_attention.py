# Copyright (c) mmext contributors. All rights reserved.
import math

import pytest
import torch

from mmext.models.layers import (BidirectionalCrossAttention, CrossAttention,
                                 GraphAttention)
from mmext.models.layers.graph_attention import parents_to_neighbours


def _naive_cross_attn(m: CrossAttention, q_in, k_in, v_in):
    """softmax(Q_h K_h^T / sqrt(d)) V_h per head by explicit loops."""
    n, lq, c = q_in.shape
    h, d = m.num_heads, m.head_dim
    Q, K, V = m.q(q_in), m.k(k_in), m.v(v_in)
    out = torch.zeros(n, lq, c)
    for b in range(n):
        for head in range(h):
            sl = slice(head * d, (head + 1) * d)
            for i in range(lq):
                logits = torch.stack([
                    (Q[b, i, sl] * K[b, j, sl]).sum() / math.sqrt(d)
                    for j in range(k_in.shape[1])
                ])
                w = logits.exp() / logits.exp().sum()
                out[b, i, sl] = (w[:, None] * V[b, :, sl]).sum(0)
    return m.proj(out)


def test_cross_attention_matches_formula():
    torch.manual_seed(0)
    m = CrossAttention(16, num_heads=8).eval()
    q, kv = torch.randn(2, 3, 16), torch.randn(2, 5, 16)
    torch.testing.assert_close(
        m(q, kv, kv), _naive_cross_attn(m, q, kv, kv), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match='divisible by num_heads'):
        CrossAttention(12, num_heads=8)


def test_bidirectional_body_hand_order():
    """hand = LN(hand + CA(hand, body)); body = LN(body + CA(body, hand))
    with the updated hand."""
    torch.manual_seed(1)
    m = BidirectionalCrossAttention(16, num_heads=8).eval()
    hand, body = torch.randn(2, 4, 16), torch.randn(2, 6, 16)
    new_hand = m.norm_a(hand + _naive_cross_attn(m.attn_a, hand, body, body))
    new_body = m.norm_b(
        body + _naive_cross_attn(m.attn_b, body, new_hand, new_hand))
    out_hand, out_body = m(hand, body)
    torch.testing.assert_close(out_hand, new_hand, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_body, new_body, atol=1e-5, rtol=1e-5)


def test_graph_attention_respects_the_graph():
    torch.manual_seed(0)
    nbrs = ((1, ), (0, 2), (1, ))  # chain 0-1-2
    m = GraphAttention(8, nbrs, num_heads=2).eval()
    x = torch.randn(1, 1, 3, 8)
    y = m(x)
    x2 = x.clone()
    x2[..., 2, :] += 10.  # joint 2 is not a neighbour of joint 0
    y2 = m(x2)
    torch.testing.assert_close(y[..., 0, :], y2[..., 0, :])
    assert not torch.allclose(y[..., 1, :], y2[..., 1, :])
    # hand-computed single-head attention for joint 0 over {0, 1}
    m1 = GraphAttention(4, nbrs, num_heads=1).eval()
    x = torch.randn(1, 1, 3, 4)
    h = m1.W(x)[0, 0]
    e = [torch.nn.functional.leaky_relu(
        (m1.a_src[0] * h[0]).sum() + (m1.a_dst[0] * h[j]).sum(), 0.2)
        for j in (0, 1)]
    a = torch.stack(e).softmax(0)
    expected = m1.norm(x[0, 0, 0] + a[0] * h[0] + a[1] * h[1])
    torch.testing.assert_close(m1(x)[0, 0, 0], expected)


def test_graph_attention_matches_dense_masked_softmax_on_a_large_tree():
    """The neighbour-gather form equals the textbook dense form (masked
    J x J softmax) on a 75-joint random tree, outputs and gradients."""
    g = torch.Generator().manual_seed(3)
    parents = [-1] + [int(torch.randint(0, j, (1, ), generator=g))
                      for j in range(1, 75)]
    nbrs = parents_to_neighbours(parents)
    torch.manual_seed(3)
    m = GraphAttention(16, nbrs, num_heads=4)
    x = torch.randn(2, 3, 75, 16, requires_grad=True)
    mask = torch.eye(75, dtype=torch.bool)
    for j, p in enumerate(parents):
        if p >= 0:
            mask[j, p] = mask[p, j] = True

    def dense(x):
        h = m.W(x).reshape(2, 3, 75, 4, 4).transpose(2, 3)
        src = (h * m.a_src[:, None]).sum(-1)
        dst = (h * m.a_dst[:, None]).sum(-1)
        e = torch.nn.functional.leaky_relu(
            src[..., :, None] + dst[..., None, :], 0.2)
        alpha = e.masked_fill(~mask, float('-inf')).softmax(-1)
        out = (alpha @ h).transpose(2, 3).reshape(2, 3, 75, 16)
        return m.norm(x + out)

    y, y_ref = m(x), dense(x)
    torch.testing.assert_close(y, y_ref, atol=1e-5, rtol=1e-5)
    w = torch.randn_like(y)
    grads = torch.autograd.grad((y * w).sum(), [x, m.a_src, m.W.weight])
    grads_ref = torch.autograd.grad((y_ref * w).sum(),
                                    [x, m.a_src, m.W.weight])
    for a, b in zip(grads, grads_ref):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    assert m.nbr_index.shape[1] == int(mask.sum(1).max())
