# Copyright (c) mmext contributors. All rights reserved.
"""Shared VFI layers: Sinkhorn-Knopp / mHC, gated window attention, backward
warping."""
import pytest
import torch
import torch.nn.functional as F

from mmext.models.layers import (GatedWindowAttention, ManifoldHyperConnection,
                                 backward_warp, expand_streams,
                                 local_correlation, reduce_streams,
                                 resize_flow, sinkhorn_knopp)


def test_sinkhorn_gives_doubly_stochastic():
    torch.manual_seed(0)
    logits = torch.randn(5, 4, 4, dtype=torch.float64)
    m = sinkhorn_knopp(logits, num_iters=20)
    assert (m >= 0).all()
    torch.testing.assert_close(m.sum(-1), torch.ones(5, 4,
                                                     dtype=torch.float64))
    torch.testing.assert_close(
        m.sum(-2), torch.ones(5, 4, dtype=torch.float64), atol=1e-4,
        rtol=0)
    # more iterations converge further; large logits stay finite
    m200 = sinkhorn_knopp(logits * 50, num_iters=200)
    assert torch.isfinite(m200).all()
    # an already doubly stochastic exp() is a fixed point
    flat = sinkhorn_knopp(torch.zeros(3, 3))
    torch.testing.assert_close(flat, torch.full((3, 3), 1 / 3))


def test_mhc_single_stream_identity_is_plain_residual():
    torch.manual_seed(0)
    hc = ManifoldHyperConnection(8, num_streams=1)
    with torch.no_grad():
        hc.alpha_pre.zero_()
        hc.alpha_post.zero_()
        hc.alpha_res.zero_()
        hc.b_pre.fill_(30.)  # sigmoid(30) == 1 in float32
        hc.b_post.zero_()  # 2 sigmoid(0) == 1
    lin = torch.nn.Linear(8, 8)
    x = torch.randn(2, 5, 8)
    out = hc(expand_streams(x, 1), lin)
    torch.testing.assert_close(reduce_streams(out), x + lin(x), rtol=0,
                               atol=0)


def test_mhc_streams_and_mappings():
    torch.manual_seed(0)
    hc = ManifoldHyperConnection(6, num_streams=4)
    assert hc.alpha_res.item() == pytest.approx(0.01)
    s = torch.randn(2, 3, 4, 6)
    h_pre, h_post, h_res = hc.mappings(s)
    assert h_pre.shape == (2, 3, 4) and h_res.shape == (2, 3, 4, 4)
    assert ((h_post > 0) & (h_post < 2)).all()
    torch.testing.assert_close(h_res.sum(-2), torch.ones(2, 3, 4),
                               atol=1e-4, rtol=0)
    # by hand: out_i = sum_j Hres_ij s_j + Hpost_i F(sum_k Hpre_k s_k)
    out = hc(s, torch.tanh)
    inp = (h_pre[..., None] * s).sum(-2)
    ref = (h_res[..., None] * s[..., None, :, :]).sum(-2) + \
        h_post[..., None] * torch.tanh(inp)[..., None, :]
    torch.testing.assert_close(out, ref)
    out.sum().backward()
    assert hc.alpha_res.grad is not None and hc.phi.weight.grad is not None
    with pytest.raises(ValueError, match=r'must end in \(4, 6\)'):
        hc(torch.randn(2, 3, 6), torch.tanh)


def test_mhc_hc_init_reads_and_writes_stream_k_mod_n():
    """The HC reference initialisation (Zhu et al., arXiv:2409.19606,
    Appendix J, Algorithm 2: ``init_alpha0[layer_id % rate] = 1``): with
    the gates at zero, connection k reads stream k mod n, and writes it
    1.5x while the write weights average to 1."""
    s = torch.randn(2, 3, 4, 6)
    for k in range(6):
        hc = ManifoldHyperConnection(6, num_streams=4, layer_index=k)
        with torch.no_grad():
            for a in (hc.alpha_pre, hc.alpha_post, hc.alpha_res):
                a.zero_()
        with torch.no_grad():
            h_pre, h_post, _ = hc.mappings(s)
        j = k % 4
        assert h_pre[0, 0, j] == pytest.approx(torch.sigmoid(
            torch.tensor(4.)).item())
        assert h_pre[0, 0, (j + 1) % 4] == pytest.approx(
            torch.sigmoid(torch.tensor(-4.)).item())
        assert h_post[0, 0, j] == pytest.approx(1.5)
        assert h_post[0, 0, (j + 1) % 4] == pytest.approx(2.5 / 3)
        torch.testing.assert_close(h_post.mean(-1), torch.ones(2, 3))
    with pytest.raises(ValueError, match='init must be one of'):
        ManifoldHyperConnection(6, init='copies')
    with pytest.raises(ValueError, match=r'write_init must be in \(0, 2\)'):
        ManifoldHyperConnection(6, write_init=2.0)


def _stream_spread(out):
    """Mean |stream i - stream 0| over the mean |stream|."""
    return ((out - out[..., :1, :]).abs().mean() / out.abs().mean()).item()


def test_mhc_streams_differ_after_one_block():
    """Streams that start as copies stay copies with a uniform read/write
    (``init='uniform'``: 1e-3) and part by a real amount with the HC
    initialisation."""
    torch.manual_seed(0)
    x = torch.randn(2, 8, 16)
    block = torch.nn.Sequential(torch.nn.LayerNorm(16),
                                torch.nn.Linear(16, 16))
    spreads = {}
    for init in ('hc', 'uniform'):
        torch.manual_seed(1)
        hc = ManifoldHyperConnection(16, num_streams=4, init=init)
        spreads[init] = _stream_spread(hc(expand_streams(x, 4), block))
    assert spreads['uniform'] < 5e-3
    assert spreads['hc'] > 0.1


def _full_attention(attn, x):
    """Plain multi-head attention over all tokens with attn's weights."""
    b, h, w, c = x.shape
    t = x.reshape(b, h * w, c)
    q, k, v = attn.qkv(t).chunk(3, dim=-1)
    nh, hd = attn.num_heads, c // attn.num_heads

    def heads(z):
        return z.view(b, -1, nh, hd).transpose(1, 2)

    a = torch.softmax(heads(q) @ heads(k).transpose(-1, -2) / hd**0.5, -1)
    o = (a @ heads(v)).transpose(1, 2).reshape(b, h * w, c)
    return attn.proj(o).view(b, h, w, c)


@pytest.mark.parametrize('gate', ['elementwise', 'headwise'])
def test_one_window_open_gate_equals_full_attention(gate):
    torch.manual_seed(0)
    attn = GatedWindowAttention(16, num_heads=4, window_size=(4, 6),
                                gate=gate)
    with torch.no_grad():
        attn.gate.bias.fill_(30.)  # open gate: sigmoid == 1
    x = torch.randn(2, 4, 6, 16)
    torch.testing.assert_close(attn(x), _full_attention(attn, x),
                               rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        attn.gate.bias.fill_(-30.)  # closed gate: only the proj bias
    torch.testing.assert_close(attn(x),
                               attn.proj.bias.expand(2, 4, 6, 16))


def test_windows_and_shift_masking():
    torch.manual_seed(0)
    attn = GatedWindowAttention(8, num_heads=2, window_size=4, shift_size=2)
    x = torch.randn(1, 8, 8, 8)
    y = attn(x)
    # a token's output depends only on tokens of its (shifted) window:
    # perturb one token and check which outputs move
    x2 = x.clone()
    x2[0, 0, 0] += 1.0
    moved = (attn(x2) - y).abs().sum(-1)[0] > 1e-6
    # token (0, 0) is rolled to (6, 6); its window holds the original
    # rows/cols {0, 1} only (the wrapped part is masked from rows 6, 7)
    expected = torch.zeros(8, 8, dtype=torch.bool)
    expected[:2, :2] = True
    assert torch.equal(moved, expected)
    with pytest.raises(ValueError, match='not a multiple of window_size'):
        attn(torch.randn(1, 6, 8, 8))
    with pytest.raises(ValueError, match='gate must be one of'):
        GatedWindowAttention(8, gate='tanh')


def test_backward_warp_known_flow():
    img = torch.arange(2 * 5 * 6, dtype=torch.float32).view(1, 2, 5, 6)
    flow = torch.zeros(1, 2, 5, 6)
    flow[:, 0] = 1.0  # out(y, x) = img(y, x + 1)
    flow[:, 1] = -1.0  # ... and (y - 1)
    out = backward_warp(img, flow)
    torch.testing.assert_close(out[:, :, 1:, :-1], img[:, :, :-1, 1:])
    # border replication outside the image
    torch.testing.assert_close(out[:, :, 0, :-1], img[:, :, 0, 1:])
    # a half-pixel shift averages the two neighbours
    half = torch.zeros(1, 2, 5, 6)
    half[:, 0] = 0.5
    out = backward_warp(img, half)
    torch.testing.assert_close(out[..., :-1],
                               0.5 * (img[..., :-1] + img[..., 1:]))
    # zero flow is the identity; resize_flow scales vectors
    torch.testing.assert_close(backward_warp(img, flow * 0), img)
    big = resize_flow(torch.ones(1, 2, 4, 4), (8, 12))
    torch.testing.assert_close(big[:, 0], torch.full((1, 8, 12), 3.))
    torch.testing.assert_close(big[:, 1], torch.full((1, 8, 12), 2.))
    with pytest.raises(ValueError, match='differ in batch or size'):
        backward_warp(img, F.pad(flow, (0, 1)))


def test_local_correlation_against_a_loop():
    torch.manual_seed(0)
    f0, f1 = torch.randn(2, 3, 5, 6), torch.randn(2, 3, 5, 6)
    c = local_correlation(f0, f1, 2)
    assert c.shape == (2, 25, 5, 6)
    ref = torch.zeros_like(c)
    k = 0
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            for y in range(5):
                for x in range(6):
                    if 0 <= y + dy < 5 and 0 <= x + dx < 6:
                        ref[:, k, y, x] = (f0[:, :, y, x] *
                                           f1[:, :, y + dy, x + dx]).mean(1)
            k += 1
    torch.testing.assert_close(c, ref)
    # a pure shift peaks at its displacement
    # (f1(y, x) = f0(y - 1, x + 2), so f0(p) = f1(p + (1, -2)))
    g0 = torch.randn(2, 64, 5, 6)
    g1 = torch.roll(g0, shifts=(1, -2), dims=(2, 3))
    c = local_correlation(g0, g1, 2)[..., 1:3, 2:4]
    assert (c.argmax(1) == (1 + 2) * 5 + (-2 + 2)).all()


def test_relative_position_bias():
    """The bias table adds its value for the pair's offset to the logits
    (against explicit attention); zero at init changes nothing; shifted
    windows keep their mask."""
    torch.manual_seed(0)
    x = torch.randn(2, 4, 6, 8)
    plain = GatedWindowAttention(8, num_heads=2, window_size=(2, 3),
                                 gate='none')
    biased = GatedWindowAttention(8, num_heads=2, window_size=(2, 3),
                                  gate='none', rel_pos_bias=True)
    biased.load_state_dict(plain.state_dict(), strict=False)
    torch.testing.assert_close(biased(x), plain(x))
    with torch.no_grad():
        biased.rel_pos_table.normal_()
    win = x[:, :2, :3].reshape(2, 6, 8)  # the first window
    q, k, v = biased.qkv(win).view(2, 6, 3, 2, 4).permute(2, 0, 3, 1, 4)
    pos = [(y, xx) for y in range(2) for xx in range(3)]
    bias = torch.stack([torch.stack([
        biased.rel_pos_table[(a[0] - b[0] + 1) * 5 + a[1] - b[1] + 2]
        for b in pos]) for a in pos]).permute(2, 0, 1)
    att = torch.softmax(q @ k.transpose(-1, -2) / 2 + bias, -1)
    ref = biased.proj((att @ v).transpose(1, 2).reshape(2, 6, 8))
    torch.testing.assert_close(biased(x)[:, :2, :3].reshape(2, 6, 8), ref)
    shifted = GatedWindowAttention(8, num_heads=2, window_size=(2, 3),
                                   shift_size=(1, 1), rel_pos_bias=True)
    assert torch.isfinite(shifted(x)).all()
