# Copyright (c) mmext contributors. All rights reserved.
"""Tests of the SSM layers against naive float64 recurrences written here.

The references below are independent of mmext's code: explicit loops over
time (and over conv taps), float64.
"""
import importlib.util
import math

import pytest
import torch
import torch.nn.functional as F

from mmext.models.layers.ssm import (BiMamba, Mamba, Mamba2,
                                     MultiDirectionalSSM, RMSNormGated)
from mmext.models.layers.ssm import backend as ssm_backend
from mmext.models.layers.ssm import (rms_norm_gated, segsum, selective_scan,
                                     selective_scan_naive, ssd_chunk_scan,
                                     ssd_naive)
from mmext.registry import MODELS

torch.set_num_threads(1)
DT = torch.float64
HAS_MAMBA_SSM = importlib.util.find_spec('mamba_ssm') is not None


def assert_close(a, b, tol=1e-12):
    err = (a - b).abs().max().item() if a.numel() else 0.0
    assert err <= tol * (1 + b.abs().max().item()), f'max abs err {err}'


# ----------------------------------------------------------------------------
# Independent references
# ----------------------------------------------------------------------------
def ref_scan(u, dt, A, B, C, D=None, z=None):
    """Naive selective scan. u, dt, z: (b, l, d); A: (d, n); B, C:
    (b, l, d, n) (already broadcast per channel). Returns y (b, l, d), h."""
    b, seqlen, d = u.shape
    h = torch.zeros(b, d, A.shape[1], dtype=u.dtype)
    ys = []
    for t in range(seqlen):
        h = torch.exp(dt[:, t, :, None] * A) * h + \
            dt[:, t, :, None] * B[:, t] * u[:, t, :, None]
        y = (C[:, t] * h).sum(-1)
        if D is not None:
            y = y + D * u[:, t]
        if z is not None:
            y = y * z[:, t] * torch.sigmoid(z[:, t])
        ys.append(y)
    return torch.stack(ys, 1), h


def ref_ssd(x, dt, A, B, C, D=None, z=None, init=None):
    """Naive SSD. x, z: (b, l, h, p); dt: (b, l, h) final step sizes;
    A: (h,); B, C: (b, l, g, n); D: (h,) or (h, p)."""
    b, seqlen, nh, p = x.shape
    g, n = B.shape[2], B.shape[3]
    state = torch.zeros(b, nh, p, n, dtype=x.dtype) if init is None else init
    ys = []
    for t in range(seqlen):
        y_t = []
        new_state = []
        for hh in range(nh):
            grp = hh // (nh // g)
            s = torch.exp(dt[:, t, hh] * A[hh])[:, None, None] * state[:, hh]
            s = s + dt[:, t, hh, None, None] * x[:, t, hh, :, None] * \
                B[:, t, grp, None, :]
            new_state.append(s)
            y = (s * C[:, t, grp, None, :]).sum(-1)
            if D is not None:
                y = y + D[hh] * x[:, t, hh]  # D[hh]: scalar or (p,)
            y_t.append(y)
        state = torch.stack(new_state, 1)
        ys.append(torch.stack(y_t, 1))
    y = torch.stack(ys, 1)
    if z is not None:
        y = y * z * torch.sigmoid(z)
    return y, state


def ref_causal_conv(x, weight, bias):
    """x (b, l, c); weight (c, 1, k). Loop over taps."""
    k = weight.shape[-1]
    out = torch.zeros_like(x) + (0 if bias is None else bias)
    for j in range(k):
        shift = k - 1 - j  # tap j sees x[t - shift]
        if shift >= x.shape[1]:
            continue
        xs = F.pad(x, (0, 0, shift, 0))[:, :x.shape[1]]
        out = out + weight[:, 0, j] * xs
    return out


def silu(v):
    return v * torch.sigmoid(v)


def ref_mamba(m, u):
    """mamba_ssm's reference forward, written with m's weights."""
    p = dict(m.named_parameters())
    xz = u @ p['in_proj.weight'].T
    if 'in_proj.bias' in p:
        xz = xz + p['in_proj.bias']
    x, z = xz[..., :m.d_inner], xz[..., m.d_inner:]
    x = silu(ref_causal_conv(x, p['conv1d.weight'], p['conv1d.bias']))
    xdbl = x @ p['x_proj.weight'].T
    r, n = m.dt_rank, m.d_state
    dt, B, C = xdbl[..., :r], xdbl[..., r:r + n], xdbl[..., r + n:]
    dt = F.softplus(dt @ p['dt_proj.weight'].T + p['dt_proj.bias'])
    A = -torch.exp(p['A_log'])
    y, _ = ref_scan(x, dt, A, B[:, :, None], C[:, :, None], p['D'], z)
    y = y @ p['out_proj.weight'].T
    return y + p['out_proj.bias'] if 'out_proj.bias' in p else y


def ref_gated_rmsnorm(x, w, z, eps, group_size, norm_before_gate):
    if not norm_before_gate:
        x = x * silu(z)
    shape = x.shape
    xg = x.reshape(*shape[:-1], shape[-1] // group_size, group_size)
    xg = xg / torch.sqrt((xg**2).mean(-1, keepdim=True) + eps)
    out = xg.reshape(shape) * w
    if norm_before_gate:
        out = out * silu(z)
    return out


def ref_mamba2(m, u):
    p = dict(m.named_parameters())
    b, seqlen, _ = u.shape
    g, n, hd, nh = m.ngroups, m.d_state, m.headdim, m.nheads
    d_mlp = m.d_inner - m.d_ssm
    zx = u @ p['in_proj.weight'].T
    if 'in_proj.bias' in p:
        zx = zx + p['in_proj.bias']
    sizes = [d_mlp, d_mlp, m.d_ssm, m.d_ssm + 2 * g * n, nh]
    z0, x0, z, xBC, dt = torch.split(zx, sizes, dim=-1)
    xBC = silu(ref_causal_conv(xBC, p['conv1d.weight'], p['conv1d.bias']))
    x = xBC[..., :m.d_ssm].reshape(b, seqlen, nh, hd)
    B = xBC[..., m.d_ssm:m.d_ssm + g * n].reshape(b, seqlen, g, n)
    C = xBC[..., m.d_ssm + g * n:].reshape(b, seqlen, g, n)
    dt = F.softplus(dt + p['dt_bias']).clamp(*m.dt_limit)
    D = p['D'].reshape(nh, hd) if m.D_has_hdim else p['D']
    y, _ = ref_ssd(x, dt, -torch.exp(p['A_log']), B, C, D)
    y = y.reshape(b, seqlen, m.d_ssm)
    if m.rmsnorm:
        y = ref_gated_rmsnorm(y, p['norm.weight'], z, 1e-5, m.d_ssm // g,
                              m.norm_before_gate)
    else:
        y = y * silu(z)
    if d_mlp:
        y = torch.cat([silu(z0) * x0, y], -1)
    y = y @ p['out_proj.weight'].T
    return y + p['out_proj.bias'] if 'out_proj.bias' in p else y


def randomize(m, seed=0):
    """Non-trivial weights (D != 1, norm weight != 1) in float64."""
    torch.manual_seed(seed)
    m.double()
    with torch.no_grad():
        for name, prm in m.named_parameters():
            if name in ('D', 'norm.weight'):
                prm.copy_(torch.randn_like(prm))
    return m


# ----------------------------------------------------------------------------
# Parameters, init and state dict interchange
# ----------------------------------------------------------------------------
def test_mamba_parameter_names_shapes_and_init():
    m = Mamba(d_model=64)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {
        'A_log': (128, 16),
        'D': (128, ),
        'in_proj.weight': (256, 64),
        'conv1d.weight': (128, 1, 4),
        'conv1d.bias': (128, ),
        'x_proj.weight': (36, 128),
        'dt_proj.weight': (128, 4),
        'dt_proj.bias': (128, ),
        'out_proj.weight': (64, 128)
    }
    assert torch.equal(m.A_log,
                       torch.log(torch.arange(1., 17.)).expand(128, 16))
    assert torch.equal(m.D, torch.ones(128))
    dt = F.softplus(m.dt_proj.bias)
    assert dt.min() >= 0.001 - 1e-6 and dt.max() <= 0.1 + 1e-6
    assert m.dt_proj.weight.abs().max() <= 4**-0.5
    assert m.A_log._no_weight_decay and m.dt_proj.bias._no_reinit


def test_mamba2_parameter_names_shapes_and_init():
    m = Mamba2(d_model=64, d_state=64, d_conv=4, expand=2, headdim=32)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {
        'dt_bias': (4, ),
        'A_log': (4, ),
        'D': (4, ),
        'in_proj.weight': (388, 64),
        'conv1d.weight': (256, 1, 4),
        'conv1d.bias': (256, ),
        'norm.weight': (128, ),
        'out_proj.weight': (64, 128)
    }
    A = torch.exp(m.A_log)
    assert A.min() >= 1 and A.max() <= 16
    dt = F.softplus(m.dt_bias)
    assert dt.min() >= 0.001 - 1e-6 and dt.max() <= 0.1 + 1e-6
    m2 = Mamba2(
        d_model=64,
        d_state=64,
        headdim=32,
        D_has_hdim=True,
        d_ssm=96,
        ngroups=3,
        conv_init=0.1)
    assert m2.D.shape == (96, ) and m2.norm.group_size == 32
    assert m2.in_proj.weight.shape == (2 * 128 + 2 * 3 * 64 + 3, 64)
    assert m2.conv1d.weight.abs().max() <= 0.1


def test_state_dict_round_trip():
    x = torch.randn(2, 9, 16)
    for cls, kw in ((Mamba, {}), (Mamba2, dict(d_state=8, headdim=8))):
        torch.manual_seed(0)
        a = cls(d_model=16, **kw)
        torch.manual_seed(1)
        b = cls(d_model=16, **kw)
        assert not torch.allclose(a(x), b(x))
        b.load_state_dict(a.state_dict(), strict=True)
        assert torch.equal(a(x), b(x))


# ----------------------------------------------------------------------------
# Selective scan (Mamba v1)
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('seqlen', [1, 7, 16, 33, 100])
@pytest.mark.parametrize('b_layout', ['bnl', 'bgnl', 'dn'])
def test_selective_scan_matches_naive(seqlen, b_layout):
    torch.manual_seed(seqlen)
    b, d, n, g = 2, 4, 3, 2
    u = torch.randn(b, d, seqlen, dtype=DT)
    delta = torch.randn(b, d, seqlen, dtype=DT)
    bias = torch.randn(d, dtype=DT) * 0.5
    A = -torch.rand(d, n, dtype=DT) * 4 - 0.1
    D, z = torch.randn(d, dtype=DT), torch.randn(b, d, seqlen, dtype=DT)
    if b_layout == 'bnl':
        B, C = torch.randn(2, b, n, seqlen, dtype=DT)
        Bd = B.permute(0, 2, 1)[:, :, None].expand(b, seqlen, d, n)
        Cd = C.permute(0, 2, 1)[:, :, None].expand(b, seqlen, d, n)
    elif b_layout == 'bgnl':
        B, C = torch.randn(2, b, g, n, seqlen, dtype=DT)
        Bd = B.permute(0, 3, 1, 2).repeat_interleave(d // g, 2)
        Cd = C.permute(0, 3, 1, 2).repeat_interleave(d // g, 2)
    else:
        B, C = torch.randn(2, d, n, dtype=DT)
        Bd, Cd = B.expand(b, seqlen, d, n), C.expand(b, seqlen, d, n)
    dt = F.softplus(delta + bias[:, None]).transpose(1, 2)
    y_ref, h_ref = ref_scan(
        u.transpose(1, 2), dt, A, Bd, Cd, D, z.transpose(1, 2))
    y, h = selective_scan(
        u,
        delta,
        A,
        B,
        C,
        D,
        z,
        delta_bias=bias,
        delta_softplus=True,
        return_last_state=True,
        chunk_size=16)
    assert y.shape == (b, d, seqlen) and y.dtype == DT
    assert_close(y.transpose(1, 2), y_ref)
    assert_close(h, h_ref)
    y2, h2 = selective_scan_naive(
        u,
        delta,
        A,
        B,
        C,
        D,
        z,
        delta_bias=bias,
        delta_softplus=True,
        return_last_state=True)
    assert_close(y2.transpose(1, 2), y_ref)
    assert_close(h2, h_ref)


def test_selective_scan_chunk_size_invariance():
    torch.manual_seed(0)
    u, delta = torch.randn(2, 1, 3, 37, dtype=DT)
    A = -torch.rand(3, 2, dtype=DT)
    B, C = torch.randn(2, 1, 2, 37, dtype=DT)
    ys = [
        selective_scan(u, delta, A, B, C, delta_softplus=True, chunk_size=q)
        for q in (None, 1, 5, 16, 37, 64)
    ]
    for y in ys[1:]:
        assert_close(y, ys[0])


def test_selective_scan_gradients():
    torch.manual_seed(0)
    b, d, n, seqlen = 1, 2, 3, 6
    args = [
        torch.randn(b, d, seqlen, dtype=DT),
        torch.randn(b, d, seqlen, dtype=DT), -torch.rand(d, n, dtype=DT) - 0.1,
        torch.randn(b, n, seqlen, dtype=DT),
        torch.randn(b, n, seqlen, dtype=DT),
        torch.randn(d, dtype=DT),
        torch.randn(b, d, seqlen, dtype=DT)
    ]
    args = [a.requires_grad_() for a in args]
    assert torch.autograd.gradcheck(
        lambda *a: selective_scan(*a, delta_softplus=True, chunk_size=4), args)

    # a longer sequence: gradients equal those of the naive recurrence
    torch.manual_seed(1)
    seqlen = 33
    u, delta, z = torch.randn(3, 2, 4, seqlen, dtype=DT)
    A = -torch.rand(4, 3, dtype=DT) - 0.1
    B, C = torch.randn(2, 2, 3, seqlen, dtype=DT)
    inputs = [t.requires_grad_() for t in (u, delta, A, B, C, z)]
    w = torch.randn(2, 4, seqlen, dtype=DT)

    def grads(fn):
        for t in inputs:
            t.grad = None
        u, delta, A, B, C, z = inputs
        out = fn(u, delta, A, B, C, z)
        (out * w).sum().backward()
        return [t.grad.clone() for t in inputs]

    g1 = grads(lambda u, delta, A, B, C, z: selective_scan(
        u, delta, A, B, C, z=z, delta_softplus=True, chunk_size=8))
    g2 = grads(lambda u, delta, A, B, C, z: ref_scan(
        u.transpose(1, 2),
        F.softplus(delta).transpose(1, 2),
        A,
        B.permute(0, 2, 1)[:, :, None],
        C.permute(0, 2, 1)[:, :, None],
        z=z.transpose(1, 2))[0].transpose(1, 2))
    for a, b in zip(g1, g2):
        assert_close(a, b, 1e-9)


def test_selective_scan_stable_for_large_decay():
    """dt * A down to -1e4: no overflow, no NaN in values or gradients."""
    torch.manual_seed(0)
    u = torch.randn(1, 2, 40)
    delta = torch.full((1, 2, 40), 600.0, requires_grad=True)
    A = torch.tensor([[-16.0, -1.0], [-0.001, -8.0]])
    B, C = torch.randn(2, 1, 2, 40)
    y = selective_scan(u, delta, A, B, C, delta_softplus=True, chunk_size=16)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(delta.grad).all()
    y_ref, _ = ref_scan(u.double().transpose(1, 2),
                        F.softplus(delta.detach().double()).transpose(1, 2),
                        A.double(),
                        B.double().permute(0, 2, 1)[:, :, None],
                        C.double().permute(0, 2, 1)[:, :, None])
    assert_close(y.double().transpose(1, 2), y_ref, 1e-4)


# ----------------------------------------------------------------------------
# Mamba module
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('seqlen', [1, 7, 33, 100])
def test_mamba_matches_naive(seqlen):
    torch.manual_seed(seqlen)
    m = randomize(Mamba(d_model=8, d_state=4, chunk_size=16, backend='torch'))
    u = torch.randn(2, seqlen, 8, dtype=DT)
    y = m(u)
    assert y.shape == (2, seqlen, 8)
    assert_close(y, ref_mamba(m, u))
    m.backend = 'naive'
    assert_close(m(u), y)


def test_mamba_gradients_match_naive():
    torch.manual_seed(0)
    m = randomize(
        Mamba(
            d_model=8,
            d_state=4,
            d_conv=3,
            chunk_size=8,
            bias=True,
            backend='torch'))
    u = torch.randn(2, 21, 8, dtype=DT, requires_grad=True)
    w = torch.randn(2, 21, 8, dtype=DT)

    def grads(fn):
        m.zero_grad()
        u.grad = None
        (fn(u) * w).sum().backward()
        return [u.grad.clone()] + [p.grad.clone() for p in m.parameters()]

    for a, b in zip(grads(m), grads(lambda v: ref_mamba(m, v))):
        assert_close(a, b, 1e-9)


def test_mamba_float32_close_to_float64():
    torch.manual_seed(0)
    m = Mamba(d_model=16, d_state=8)  # default chunk_size: ~sqrt(L)
    u = torch.randn(2, 50, 16)
    y32 = m(u)
    m64 = Mamba(d_model=16, d_state=8)
    m64.load_state_dict(m.state_dict())
    y64 = ref_mamba(m64.double(), u.double())
    assert y32.dtype == torch.float32
    assert_close(y32.double(), y64, 1e-5)


# ----------------------------------------------------------------------------
# SSD (Mamba2)
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('seqlen,ngroups,d_hdim',
                         [(1, 1, False), (7, 2, False), (33, 1, True),
                          (48, 2, True), (100, 4, False)])
def test_ssd_matches_naive(seqlen, ngroups, d_hdim):
    torch.manual_seed(seqlen)
    b, nh, p, n = 2, 4, 3, 5
    x, z = torch.randn(2, b, seqlen, nh, p, dtype=DT)
    dt_raw = torch.randn(b, seqlen, nh, dtype=DT)
    dt_bias = torch.randn(nh, dtype=DT)
    A = -torch.rand(nh, dtype=DT) * 8 - 0.5
    B, C = torch.randn(2, b, seqlen, ngroups, n, dtype=DT)
    D = torch.randn(nh, p, dtype=DT) if d_hdim else torch.randn(nh, dtype=DT)
    init = torch.randn(b, nh, p, n, dtype=DT)
    dt = F.softplus(dt_raw + dt_bias)
    y_ref, s_ref = ref_ssd(x, dt, A, B, C, D, z, init)
    y, s = ssd_chunk_scan(
        x,
        dt_raw,
        A,
        B,
        C,
        16,
        D=D,
        z=z,
        dt_bias=dt_bias,
        initial_states=init,
        dt_softplus=True,
        return_final_states=True)
    assert y.shape == x.shape
    assert_close(y, y_ref)
    assert_close(s, s_ref)


@pytest.mark.parametrize('block', [1, 7, 64, 1000])
def test_ssd_many_chunks_state_passing_in_blocks(block, monkeypatch):
    # 150 chunks: the state passing runs in blocks of `block` chunks
    # (linear cost in the number of chunks); every block size gives the
    # sequential recurrence's outputs and final state
    from mmext.models.layers.ssm import ssd
    monkeypatch.setattr(ssd, 'STATE_BLOCK', block)
    torch.manual_seed(1)
    b, seqlen, nh, p, n = 1, 300, 2, 3, 4
    x = torch.randn(b, seqlen, nh, p, dtype=DT)
    dt_raw = torch.randn(b, seqlen, nh, dtype=DT)
    A = -torch.rand(nh, dtype=DT) * 2 - 0.1
    B, C = torch.randn(2, b, seqlen, 1, n, dtype=DT)
    init = torch.randn(b, nh, p, n, dtype=DT)
    y_ref, s_ref = ref_ssd(x, F.softplus(dt_raw), A, B, C, None, None, init)
    y, s = ssd_chunk_scan(x, dt_raw, A, B, C, 2, initial_states=init,
                          dt_softplus=True, return_final_states=True)
    assert_close(y, y_ref)
    assert_close(s, s_ref)


def test_ssd_dt_limit_and_padding_invariance():
    torch.manual_seed(0)
    x = torch.randn(1, 37, 2, 3, dtype=DT)
    dt_raw = torch.randn(1, 37, 2, dtype=DT) * 3
    A = -torch.rand(2, dtype=DT) - 0.5
    B, C = torch.randn(2, 1, 37, 1, 4, dtype=DT)
    kw = dict(dt_softplus=True, dt_limit=(0.05, 0.5))
    y_ref, _ = ref_ssd(x, F.softplus(dt_raw).clamp(0.05, 0.5), A, B, C)
    ys = [ssd_chunk_scan(x, dt_raw, A, B, C, q, **kw) for q in (1, 8, 37, 64)]
    for y in ys:
        assert_close(y, y_ref)


def test_ssd_float32_error_budget():
    """The in-chunk decay is exp(cs_i - cs_j), a difference of cumulative
    sums as in mamba_ssm's Triton kernel. Its float32 error against the
    float64 recurrence, measured on this layout for dt up to 1 and A down
    to -16 (cumulative log-decay down to -500 in a chunk): 6.2e-6 of the
    output's scale (the former cancellation-free segsum form: 7e-7). The
    budget is 3x that; dt shifted by one step fails it by far."""
    torch.manual_seed(0)
    b, seqlen, h, p, n = 1, 512, 4, 16, 16
    x = torch.randn(b, seqlen, h, p, dtype=DT)
    dt = torch.rand(b, seqlen, h, dtype=DT)
    A = -torch.linspace(1, 16, h, dtype=DT)
    B, C = torch.randn(2, b, seqlen, 1, n, dtype=DT)
    ref = ssd_naive(x, dt, A, B, C)
    scale = ref.abs().max()
    for q in (32, 64):
        y = ssd_chunk_scan(*(v.float() for v in (x, dt, A, B, C)), q)
        assert (y.double() - ref).abs().max() / scale < 2e-5
    wrong = ssd_naive(x, dt.roll(1, dims=1), A, B, C)
    assert (wrong - ref).abs().max() / scale > 1e-2


def test_ssd_gradients():
    torch.manual_seed(0)
    args = [
        torch.randn(1, 5, 2, 2, dtype=DT),
        torch.randn(1, 5, 2, dtype=DT), -torch.rand(2, dtype=DT) - 0.1,
        torch.randn(1, 5, 1, 3, dtype=DT),
        torch.randn(1, 5, 1, 3, dtype=DT)
    ]
    args = [a.requires_grad_() for a in args]
    assert torch.autograd.gradcheck(
        lambda x, dt, A, B, C: ssd_chunk_scan(
            x, dt, A, B, C, 2, D=torch.ones(2, dtype=DT), dt_softplus=True),
        args)


def test_segsum():
    x = torch.tensor([1., 2., 3.], dtype=DT)
    inf = math.inf
    expected = torch.tensor([[0., -inf, -inf], [2., 0., -inf], [5., 3., 0.]],
                            dtype=DT)
    assert torch.equal(segsum(x), expected)


@pytest.mark.parametrize('norm_before_gate', [False, True])
def test_gated_rmsnorm(norm_before_gate):
    torch.manual_seed(0)
    x, z = torch.randn(2, 3, 5, 12, dtype=DT)
    norm = RMSNormGated(
        12, eps=1e-5, group_size=4,
        norm_before_gate=norm_before_gate).double()
    with torch.no_grad():
        norm.weight.copy_(torch.randn(12))
    expected = ref_gated_rmsnorm(x, norm.weight, z, 1e-5, 4, norm_before_gate)
    assert_close(norm(x, z), expected)
    # hand-computed single group, no gate: x / rms(x)
    v = torch.tensor([[3., 4.]], dtype=DT)
    out = rms_norm_gated(v, torch.ones(2, dtype=DT), eps=0.0)
    assert_close(out, v / math.sqrt(12.5))
    assert norm.bias is None and list(norm.state_dict()) == ['weight']


@pytest.mark.parametrize('kw,seqlen', [
    (dict(), 1),
    (dict(ngroups=2), 37),
    (dict(ngroups=2, bias=True, d_ssm=16), 29),
    (dict(ngroups=2, D_has_hdim=True, norm_before_gate=True), 20),
    (dict(d_ssm=24, ngroups=3, dt_limit=(0.01, 0.05)), 33),
    (dict(rmsnorm=False, D_has_hdim=True), 17),
])
def test_mamba2_matches_naive(kw, seqlen):
    torch.manual_seed(seqlen)
    m = randomize(
        Mamba2(
            d_model=16,
            d_state=4,
            headdim=8,
            chunk_size=16,
            backend='torch',
            **kw))
    u = torch.randn(2, seqlen, 16, dtype=DT)
    y = m(u)
    assert y.shape == (2, seqlen, 16)
    assert_close(y, ref_mamba2(m, u))
    m.backend = 'naive'
    assert_close(m(u), y)


def test_mamba2_gradients_match_naive():
    torch.manual_seed(0)
    m = randomize(
        Mamba2(
            d_model=16,
            d_state=4,
            headdim=8,
            ngroups=2,
            chunk_size=8,
            backend='torch'))
    u = torch.randn(1, 19, 16, dtype=DT, requires_grad=True)
    w = torch.randn(1, 19, 16, dtype=DT)

    def grads(fn):
        m.zero_grad()
        u.grad = None
        (fn(u) * w).sum().backward()
        return [u.grad.clone()] + [p.grad.clone() for p in m.parameters()]

    for a, b in zip(grads(m), grads(lambda v: ref_mamba2(m, v))):
        assert_close(a, b, 1e-9)


# ----------------------------------------------------------------------------
# Multi-directional
# ----------------------------------------------------------------------------
def test_multi_directional_backward_is_flip():
    torch.manual_seed(0)
    md = MultiDirectionalSSM(d_model=8, d_state=4, backend='torch').double()
    x = torch.randn(2, 11, 8, dtype=DT)
    fwd, bwd = md.mixers
    expected = fwd(x) + bwd(x.flip(1)).flip(1)
    assert_close(md(x), expected)
    # the backward scan is anti-causal: changing the last token changes the
    # first output of the backward mixer's contribution
    x2 = x.clone()
    x2[:, -1] += 1
    assert not torch.allclose(md(x2)[:, 0], md(x)[:, 0])
    assert torch.allclose(fwd(x2)[:, 0], fwd(x)[:, 0])
    assert isinstance(BiMamba(d_model=8), MultiDirectionalSSM)


def test_multi_directional_grid_and_fusion():
    torch.manual_seed(0)
    h, w = 3, 4
    md = MultiDirectionalSSM(
        d_model=8,
        directions=('row', 'col_reverse'),
        ssm='mamba2',
        fusion='linear',
        d_state=4,
        headdim=8,
        backend='torch').double()
    x = torch.randn(2, h * w, 8, dtype=DT)
    grid = x.reshape(2, h, w, 8)
    col = grid.transpose(1, 2).reshape(2, w * h, 8)  # column-major tokens
    y_col = md.mixers[1](col.flip(1)).flip(1)
    y_col = y_col.reshape(2, w, h, 8).transpose(1, 2).reshape(2, h * w, 8)
    expected = md.fuse(torch.cat([md.mixers[0](x), y_col], -1))
    assert_close(md(x, hw=(h, w)), expected)

    shared = MultiDirectionalSSM(
        d_model=8,
        directions=('forward', 'backward', 'col'),
        share_weights=True,
        d_state=4,
        backend='torch').double()
    assert len(shared.mixers) == 1
    m = shared.mixers[0]
    ycol = m(col).reshape(2, w, h, 8).transpose(1, 2).reshape(2, h * w, 8)
    expected = m(x) + m(x.flip(1)).flip(1) + ycol
    assert_close(shared(x, hw=(h, w)), expected)


# ----------------------------------------------------------------------------
# Errors, registry, backend selection
# ----------------------------------------------------------------------------
def test_bad_arguments():
    with pytest.raises(
            ValueError,
            match=r"backend must be one of \('auto', "
            r"'torch', 'mamba_ssm', 'naive'\), got 'cuda'"):
        Mamba(d_model=8, backend='cuda')
    with pytest.raises(ValueError, match="dt_init must be one of"):
        Mamba(d_model=8, dt_init='zeros')
    with pytest.raises(ValueError, match='d_model must be a positive int'):
        Mamba(d_model=0)
    with pytest.raises(ValueError, match='ngroups=3 must divide'):
        Mamba2(d_model=16, headdim=8, ngroups=3)
    with pytest.raises(ValueError, match='multiple of headdim=8'):
        Mamba2(d_model=16, headdim=8, d_ssm=20)
    with pytest.raises(ValueError, match='A_init_range must satisfy'):
        Mamba2(d_model=16, headdim=8, A_init_range=(0, 16))
    with pytest.raises(ValueError, match='directions must be a non-empty'):
        MultiDirectionalSSM(d_model=8, directions=('forward', 'diagonal'))
    with pytest.raises(
            ValueError,
            match=r"ssm must be one of \('mamba', "
            r"'mamba2'\), got 's4'"):
        MultiDirectionalSSM(d_model=8, ssm='s4')
    with pytest.raises(
            ValueError, match=r"fusion must be one of \('sum', "
            r"'linear'\)"):
        MultiDirectionalSSM(d_model=8, fusion='max')
    md = MultiDirectionalSSM(d_model=8, directions=('row', 'col'), d_state=4)
    with pytest.raises(ValueError, match=r'pass hw=\(H, W\)'):
        md(torch.randn(1, 6, 8))
    with pytest.raises(ValueError, match='need H \\* W == L'):
        md(torch.randn(1, 6, 8), hw=(2, 4))
    with pytest.raises(ValueError, match=r'expects \(B, L, 8\) inputs'):
        Mamba(d_model=8)(torch.randn(2, 5, 7))
    with pytest.raises(ValueError, match='chunk_size must be a positive'):
        ssd_chunk_scan(*torch.randn(5, 1, 2, 1, 1).unbind(), chunk_size=0)


@pytest.mark.skipif(HAS_MAMBA_SSM, reason='mamba_ssm is installed')
def test_backend_mamba_ssm_without_package():
    with pytest.raises(
            ImportError,
            match="backend='mamba_ssm' needs the "
            'mamba_ssm package'):
        Mamba2(d_model=16, headdim=8, backend='mamba_ssm')


def test_backend_logged_once(monkeypatch):
    logged = []
    monkeypatch.setattr(
        ssm_backend, 'print_log', lambda msg, logger=None: logged.append(msg))
    monkeypatch.setattr(ssm_backend, '_LOGGED', set())
    m = Mamba2(d_model=16, d_state=4, headdim=8)
    for _ in range(3):
        m(torch.randn(1, 3, 16))
    assert logged == [
        'Mamba2: using the pure-PyTorch chunked SSD (input on cpu)'
    ]
    Mamba(d_model=8, backend='torch')(torch.randn(1, 3, 8))
    assert logged[-1] == ('Mamba: using the pure-PyTorch chunked selective '
                          "scan (backend='torch')")


def test_registry_build():
    for cfg in (dict(type='Mamba', d_model=8),
                dict(type='Mamba2', d_model=16, headdim=8, d_state=4),
                dict(type='MultiDirectionalSSM', d_model=8, d_state=4)):
        m = MODELS.build(cfg)
        assert type(m).__name__ == cfg['type']
        assert m(torch.randn(1, 4,
                             cfg['d_model'])).shape == (1, 4, cfg['d_model'])


# ----------------------------------------------------------------------------
# CUDA kernels (only with a GPU and mamba_ssm)
# ----------------------------------------------------------------------------
def _kernels(kind):
    if not (torch.cuda.is_available() and HAS_MAMBA_SSM):
        return 'no CUDA or no mamba_ssm'
    return ssm_backend.load_mamba_ssm_kernels(kind)


@pytest.mark.skipif(
    not torch.cuda.is_available() or not HAS_MAMBA_SSM,
    reason='needs CUDA and mamba_ssm')
@pytest.mark.parametrize('kind', ['mamba2', 'mamba'])
def test_mamba_ssm_kernels_match_torch(kind):
    if isinstance(_kernels(kind), str):
        pytest.skip(f'mamba_ssm {kind} kernels: {_kernels(kind)}')
    torch.manual_seed(0)
    if kind == 'mamba2':
        kw = dict(d_model=64, d_state=32, headdim=16, ngroups=2, chunk_size=64)
        cls = Mamba2
    else:
        kw = dict(d_model=64, d_state=16)
        cls = Mamba
    ref = cls(backend='torch', **kw).cuda()
    ker = cls(backend='mamba_ssm', **kw).cuda()
    ker.load_state_dict(ref.state_dict())
    x = torch.randn(2, 200, 64, device='cuda', requires_grad=True)
    y_ref, y_ker = ref(x), ker(x)
    torch.testing.assert_close(y_ker, y_ref, atol=2e-3, rtol=2e-3)
    g_ref, = torch.autograd.grad(y_ref.square().sum(), x)
    g_ker, = torch.autograd.grad(y_ker.square().sum(), x)
    torch.testing.assert_close(g_ker, g_ref, atol=5e-3, rtol=5e-3)
    if kind == 'mamba2':
        # the state dict loads into mamba_ssm's own module and agrees
        from mamba_ssm.modules.mamba2 import Mamba2 as UpstreamMamba2
        up = UpstreamMamba2(use_mem_eff_path=False, **kw).cuda()
        up.load_state_dict(ref.state_dict(), strict=True)
        torch.testing.assert_close(up(x), y_ref, atol=2e-3, rtol=2e-3)


def test_multi_directional_ssm_refuses_foreign_arguments():
    """``headdim`` belongs to Mamba-2: with ssm='mamba' it fails when the
    module is built, naming the argument and the valid ones."""
    from mmext.models.layers.ssm import MultiDirectionalSSM
    with pytest.raises(ValueError, match=r"ssm='mamba' does not accept "
                       r"\['headdim'\] \('headdim' is a Mamba-2 argument"):
        MultiDirectionalSSM(8, ssm='mamba', headdim=4)
    with pytest.raises(ValueError, match=r"does not accept \['ngroup'\]; "
                       r"its arguments are \[.*'ngroups'"):
        MultiDirectionalSSM(8, ssm='mamba2', headdim=4, ngroup=2)
    m = MultiDirectionalSSM(8, ssm='mamba2', headdim=4, d_state=8)
    assert m.mixers[0].headdim == 4
