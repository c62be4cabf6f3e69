# Copyright (c) mmext contributors. All rights reserved.
"""Activation checkpointing (``with_cp``), the leaner default path and the
causal option of MotionAGFormer.

The reference outputs and gradients in
``tests/data/pose3d/motionagformer_train_reference.pt`` were written once by
the code before the memory work (see the generator next to it); train
mode, dropout / attention dropout / drop path on, same seed, float64.
Float64 makes the comparison host-independent: different CPU kernels (AVX2,
AVX-512, ATen's default kernels, MKL's code paths) agree to ~1e-15 there,
while in float32 they differed by up to 5e-6 of the largest gradient, the
size of a real defect. ``test_reference_catches_wrong_models`` shows that
the 1e-9 tolerance still fails a LayerNorm eps of 1e-6 instead of 1e-5, a
missing residual and two swapped layer norms.
"""
import importlib.util
import os

import pytest
import torch
from mmengine.registry import DefaultScope
from torch import nn

from mmext.models.layers import (AxialGCN, Mlp, layer_norm_mlp,
                                 resolve_cp_indices, topk_similarity_adjacency)
from mmext.models.pose3d.backbones import MotionAGFormer

DATA = os.path.join(
    os.path.dirname(__file__), '..', '..', 'data', 'pose3d')
REF_FILE = os.path.join(DATA, 'motionagformer_train_reference.pt')
#: Relative tolerance (of the largest reference value) in float64. Measured
#: worst case over the 7 cases, outputs and gradients, default and with_cp,
#: under ATEN_CPU_CAPABILITY=default / avx2 / native and
#: MKL_ENABLE_INSTRUCTIONS=AVX2: see docs/benchmarks.md ("Host-independent
#: numeric fixtures"); 1e-9 leaves a margin of more than 10^4 over it, and
#: the smallest defect tried (LayerNorm eps 1e-6) moves the output by 1e-7.
RTOL64 = 1e-9
#: (what, max abs error / max |reference|) of every comparison made, read by
#: tests/data/fixture_error_budget.py
ERRORS = []


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        'make_ref',
        os.path.join(DATA, 'make_motionagformer_train_reference.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
REF = torch.load(REF_FILE, weights_only=True)


def _input(name: str) -> torch.Tensor:
    return GEN.make_input(REF[name]['arch'], REF[name]['input_seed'])


@pytest.fixture(autouse=True)
def _mmpose_scope():
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


def _build(name: str, **extra) -> MotionAGFormer:
    """The reference case ``name`` in float64 with the fixture's weights."""
    ref = REF[name]
    model = MotionAGFormer(arch=dict(ref['arch']), **ref['kwargs'], **extra)
    GEN.init_weights(model, ref['init_seed'])
    assert list(model.state_dict()) == ref['state_names'], \
        f'{name}: the state-dict layout changed; the fixture no longer applies'
    return model


def _assert_rel(actual, expected, what, rtol=RTOL64):
    err = (actual - expected).abs().max().item()
    scale = expected.abs().max().item()
    if rtol == RTOL64:
        ERRORS.append((what, err / max(scale, 1e-12)))
    assert err <= rtol * max(scale, 1e-12), \
        f'{what}: max abs error {err:.3g} vs max |ref| {scale:.3g}'


def _check_against_reference(name, model):
    ref = REF[name]
    y, grads = GEN.run_case(model, _input(name), ref['seed'])
    assert y.dtype == torch.float64
    _assert_rel(y, ref['y'], f'{name} output')
    assert list(grads) == ref['grad_names']
    offset = 0
    for k, g in grads.items():
        expected = ref['grads'][offset:offset + g.numel()].view_as(g)
        offset += g.numel()
        _assert_rel(g, expected, f'{name} grad {k}')
    # BatchNorm running statistics updated once, as without checkpointing
    torch.testing.assert_close(
        GEN.flat_buffers(model), ref['buffers'], rtol=RTOL64, atol=1e-12)


@pytest.mark.parametrize('name', list(GEN.CASES))
def test_default_path_matches_reference_of_old_code(name):
    _check_against_reference(name, _build(name))


@pytest.mark.parametrize('name,cp', [
    ('xs', dict(with_cp=True)),
    ('s', dict(with_cp=True, cp_every=2)),
    ('b', dict(with_cp=True)),
    ('b_droppath_only', dict(with_cp=[1])),
    ('l', dict(with_cp=[0, -1])),
    ('mamba_gcn', dict(with_cp=True)),
    ('full', dict(with_cp=True)),
])
def test_with_cp_matches_reference(name, cp):
    model = _build(name, **cp)
    assert model.cp_blocks
    _check_against_reference(name, model)


def _drop_first_residual(model):
    """A wrong model: the first block returns its input's update only."""
    block = model.layers[0]
    block.register_forward_hook(lambda m, args, out: out - args[0])


def _eps_1e6(model):
    """A wrong model: every LayerNorm with eps 1e-6 instead of 1e-5."""
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            m.eps = 1e-6


def _swap_norms(model):
    """A wrong model: two LayerNorms of the first block swap parameters."""
    norms = [m for m in model.layers[0].modules()
             if isinstance(m, nn.LayerNorm)]
    a, b = norms[0], norms[1]
    with torch.no_grad():
        wa, ba = a.weight.clone(), a.bias.clone()
        a.weight.copy_(b.weight), a.bias.copy_(b.bias)
        b.weight.copy_(wa), b.bias.copy_(ba)


@pytest.mark.parametrize('mutate', [_drop_first_residual, _eps_1e6,
                                    _swap_norms])
@pytest.mark.parametrize('name', ['xs', 'mamba_gcn'])
def test_reference_catches_wrong_models(name, mutate):
    """The fixture and its tolerance fail each deliberately wrong model."""
    model = _build(name)
    mutate(model)
    with pytest.raises(AssertionError, match='max abs error'):
        _check_against_reference(name, model)


def _saved_bytes(fn) -> int:
    """Bytes of the distinct storages autograd keeps for backward."""
    storages = {}

    def pack(t):
        s = t.untyped_storage()
        storages[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return out, sum(storages.values())


def test_with_cp_keeps_less_for_backward():
    plain = _build('b')
    cp = _build('b', with_cp=True)
    x = _input('b').repeat(4, 1, 1, 1)
    torch.manual_seed(0)
    _, plain_bytes = _saved_bytes(lambda: plain(x))
    torch.manual_seed(0)
    _, cp_bytes = _saved_bytes(lambda: cp(x))
    # Checkpointed: the embedding, each block's input and the final norm.
    assert cp_bytes < plain_bytes / 4


def test_with_cp_is_off_without_grad_and_in_eval():
    model = _build('xs', with_cp=True).eval()
    x = _input('xs')
    with torch.no_grad():
        y = model(x)
    torch.testing.assert_close(y, _build('xs').eval()(x), rtol=0, atol=0)


def test_resolve_cp_indices():
    assert resolve_cp_indices(False, 4) == set()
    assert resolve_cp_indices(True, 5) == {0, 1, 2, 3, 4}
    assert resolve_cp_indices(True, 5, cp_every=2) == {0, 2, 4}
    assert resolve_cp_indices([0, -1], 5) == {0, 4}
    with pytest.raises(ValueError, match=r'invalid block index.*\[5\]'):
        resolve_cp_indices([5], 5)
    with pytest.raises(ValueError, match='cp_every must be a positive int'):
        resolve_cp_indices(True, 5, cp_every=0)
    with pytest.raises(ValueError, match='only applies to with_cp=True'):
        resolve_cp_indices([1], 5, cp_every=2)
    with pytest.raises(TypeError, match='with_cp must be a bool or'):
        resolve_cp_indices('all', 5)
    with pytest.raises(ValueError, match='invalid block index'):
        MotionAGFormer(arch='xs', with_cp=[12])


# --------------------------------------------------------------------------
# leaner path: the fused LayerNorm + MLP
# --------------------------------------------------------------------------
@pytest.mark.parametrize('autocast', [False, True])
def test_layer_norm_mlp_matches_modules_and_keeps_less(autocast):
    torch.manual_seed(0)
    mlp, norm = Mlp(16, 64), nn.LayerNorm(16)
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    x = torch.randn(3, 5, 7, 16, requires_grad=True)
    g = torch.randn(3, 5, 7, 16)
    params = [x] + list(mlp.parameters()) + list(norm.parameters())

    def run(fn):
        for p in params:
            p.grad = None
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
            y, nbytes = _saved_bytes(fn)
        (y.float() * g).sum().backward()
        return y, [p.grad.clone() for p in params], nbytes

    y0, g0, b0 = run(lambda: mlp(norm(x)))
    y1, g1, b1 = run(lambda: layer_norm_mlp(x, norm, mlp))
    assert y1.dtype == y0.dtype
    # two float32 computations on this host, not a fixture
    _assert_rel(y1.float(), y0.float(), 'output', rtol=1e-6)
    for a, b in zip(g1, g0):
        _assert_rel(a, b, 'grad', rtol=1e-6)
    if not autocast:
        # kept: x, fc1's output (4C) and the parameters, not the LayerNorm
        # output (C) and the GELU output (4C)
        n = x.numel() * 4
        assert b0 - b1 == 5 * n


def test_layer_norm_mlp_falls_back_with_dropout():
    torch.manual_seed(0)
    mlp, norm = Mlp(8, 16, drop=0.5), nn.LayerNorm(8)
    x = torch.randn(4, 8)
    torch.manual_seed(1)
    y0 = mlp(norm(x))
    torch.manual_seed(1)
    torch.testing.assert_close(layer_norm_mlp(x, norm, mlp), y0,
                               rtol=0, atol=0)


# --------------------------------------------------------------------------
# causal (docs/pose3d/memory.md, "causal=True")
# --------------------------------------------------------------------------
CAUSAL_ARCH = dict(num_layers=2, embed_dims=16, num_frames=9, num_heads=2,
                   mlp_ratio=2., neighbour_num=3)


def _causal_model(**kwargs):
    torch.manual_seed(0)
    # layer scale 1 instead of 1e-5, so that every block's effect shows
    model = MotionAGFormer(
        arch=dict(CAUSAL_ARCH), layer_scale_init_value=1., **kwargs)
    for m in model.modules():  # non-trivial running statistics
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.normal_(0., 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model


def _future_changes_past(model, train: bool) -> float:
    """Largest change of output frames <= t when frames > t change."""
    model.train(train)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(4, 9, 17, 3, generator=g)
    worst = 0.
    for t in (0, 3, 7):
        x2 = x.clone()
        x2[:, t + 1:] = torch.randn(x2[:, t + 1:].shape, generator=g) * 3
        with torch.no_grad():
            y, y2 = model(x), model(x2)
        worst = max(worst, (y[:, :t + 1] - y2[:, :t + 1]).abs().max().item())
    return worst


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(use_temporal_similarity=False, temporal_connection_len=2),
    dict(graph_only=True),
    dict(branches='mamba_gcn',
         ssm_cfg=dict(type='mamba', d_state=4, directions=('forward', ))),
    dict(branches='full',
         ssm_cfg=dict(type='mamba', d_state=4, directions=('forward', ))),
])
@pytest.mark.parametrize('train', [False, True])
def test_causal_output_ignores_future_frames(kwargs, train):
    assert _future_changes_past(_causal_model(causal=True, **kwargs),
                                train) == 0.
    # the same model without causal=True does look ahead
    assert _future_changes_past(_causal_model(**kwargs), train) > 1e-3


def test_causal_keeps_checkpoint_layout_and_batch_norm_statistics():
    plain, causal = _causal_model(), _causal_model(causal=True)
    assert plain.state_dict().keys() == causal.state_dict().keys()
    # per-frame statistics: their running mean is the frame average
    gcn = causal.layers[0].graph_spatial.mixer
    gcn.train()
    bn = gcn.batch_norm
    bn.reset_running_stats()
    bn.momentum = 1.
    x = torch.randn(2, 9, 17, 16)
    with torch.no_grad():
        gcn(x)
        nodes = x.reshape(18, 17, 16)
        pre = torch.einsum('uv,nvc->nuc', gcn.norm_adj.float(),
                           gcn.V(nodes)) + \
            gcn.U(nodes)
    per_frame = pre.reshape(2, 9, 17, 16).mean(dim=(0, 3))
    torch.testing.assert_close(bn.running_mean, per_frame.mean(0))


def test_causal_topk_matches_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 7, 5, generator=g)
    adj = topk_similarity_adjacency(x, 3, causal=True)
    for n in range(3):
        for t in range(7):
            sims = x[n, :t + 1] @ x[n, t]
            k = min(3, t + 1)
            expected = torch.zeros(7)
            expected[:t + 1] = (sims >= sims.topk(k).values[-1]).float()
            torch.testing.assert_close(adj[n, t], expected)


def test_causal_bad_combinations_raise():
    with pytest.raises(ValueError, match='causal=True is not available with '
                       'use_tcn'):
        MotionAGFormer(arch='xs', causal=True, use_tcn=True)
    with pytest.raises(ValueError, match=r"directions=\('forward', \)"):
        MotionAGFormer(arch='xs', causal=True, branches='mamba_gcn')
    gcn = AxialGCN(4, 4, num_nodes=5, mode='temporal', causal=True,
                   use_temporal_similarity=False, temporal_connection_len=1)
    assert gcn.norm_adj.triu(1).abs().sum() == 0
