# Copyright (c) mmext contributors. All rights reserved.
"""Tests of the MotionAGFormer backbone and its MambaGCN variants."""
import copy

import pytest
import torch
from mmengine.registry import DefaultScope
from torch import nn

from mmext.models.layers import AxialAttention, AxialGCN
from mmext.models.pose3d.backbones import (BRANCH_VARIANTS, MotionAGFormer,
                                           convert_official_state_dict)


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """Build under mmpose's scope whatever scope earlier tests left set."""
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


def _has_ssm() -> bool:
    try:
        from mmext.models.layers.ssm import MultiDirectionalSSM  # noqa: F401
    except ImportError:
        return False
    return True


requires_ssm = pytest.mark.skipif(
    not _has_ssm(), reason='mmext.models.layers.ssm.MultiDirectionalSSM '
    'is not available')

# A tiny architecture: 2 blocks, 16 channels, 9 frames.
TINY = dict(
    num_layers=2,
    embed_dims=16,
    num_frames=9,
    num_heads=2,
    mlp_ratio=2.,
    neighbour_num=2)
TINY_SSM = dict(type='mamba', d_state=4, expand=2)

# Upstream's neighbour lists (CONNECTIONS in model/modules/graph.py).
OFFICIAL_CONNECTIONS = {
    10: [9], 9: [8, 10], 8: [7, 9], 14: [15, 8], 15: [16, 14], 11: [12, 8],
    12: [13, 11], 7: [0, 8], 0: [1, 7], 1: [2, 0], 2: [3, 1], 4: [5, 0],
    5: [6, 4], 16: [15], 13: [12], 3: [2], 6: [5]
}


def _tiny(**kwargs) -> MotionAGFormer:
    torch.manual_seed(0)
    return MotionAGFormer(arch=copy.deepcopy(TINY), **kwargs)


def _randomize_bn(model: nn.Module) -> None:
    """Give BatchNorms non-trivial statistics so eval-mode tests bite."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def _build_head(in_channels: int):
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    return MODELS.build(
        dict(
            type='MotionRegressionHead',
            in_channels=in_channels,
            out_channels=3,
            embedding_size=512))


# --------------------------------------------------------------------------
# Parameter counts
# --------------------------------------------------------------------------
@pytest.mark.parametrize('arch,expected', [
    ('xs', 2_241_531),
    ('s', 4_817_119),
    ('b', 11_723_811),
    ('l', 19_007_111),
])
def test_param_count_matches_official(arch, expected):
    """Backbone + MotionRegressionHead has upstream's exact parameter count.

    Upstream's README gives 2.2M / 4.8M / 11.7M / 19.0M (XS / S / B / L).
    The exact integers were obtained by counting upstream's module
    definitions (TaatiTeam/MotionAGFormer ``model/MotionAGFormer.py``,
    ``model/modules/{attention,graph,mlp}.py``) with the ``configs/h36m``
    settings (qkv_bias False, layer scale, adaptive fusion, temporal GCN
    with a BatchNorm1d over the T frames). Per block with C channels:
    two attention sub-blocks ``2 (12 C^2 + 12 C)`` (qkv 3C^2, proj C^2+C,
    MLP 8C^2+5C, 2 LayerNorms 4C, layer scales 2C), two GCN sub-blocks
    ``2 (10 C^2 + 13 C) + 2 * 17 + 2 T`` (U, V, BatchNorm over 17 joints /
    T frames) and the fusion ``4 C + 2``: ``44 C^2 + 54 C + 36 + 2 T``. The
    rest is ``joints_embed`` 4C, ``pos_embed`` 17C, ``norm`` 2C,
    ``rep_logit`` 512 C + 512 and ``head`` 1539. XS: 12 x 183,770 +
    36,291 = 2,241,531; S: 26 x 183,878 + 36,291 = 4,817,119; B: 16 x
    728,330 + 70,531 = 11,723,811; L: 26 x 728,330 + 70,531 = 19,007,111,
    all of which round to the published numbers.
    """
    with torch.device('meta'):
        backbone = MotionAGFormer(arch=arch)
        head = _build_head(backbone.embed_dims)
    n = sum(p.numel() for p in backbone.parameters())
    n += sum(p.numel() for p in head.parameters())
    assert n == expected


def test_arch_settings_match_official_configs():
    """Presets copied from upstream configs/h36m/MotionAGFormer-*.yaml."""
    expected = {
        'xs': (12, 64, 27),
        's': (26, 64, 81),
        'b': (16, 128, 243),
        'l': (26, 128, 243)
    }
    for arch, (layers, dims, frames) in expected.items():
        cfg = MotionAGFormer.arch_settings[arch]
        assert (cfg['num_layers'], cfg['embed_dims'],
                cfg['num_frames']) == (layers, dims, frames)
        assert cfg['num_heads'] == 8 and cfg['mlp_ratio'] == 4
        assert cfg['neighbour_num'] == 2


# --------------------------------------------------------------------------
# Official key layout and checkpoint loading
# --------------------------------------------------------------------------
def _bn_keys(prefix, n):
    return {
        f'{prefix}.weight': (n, ),
        f'{prefix}.bias': (n, ),
        f'{prefix}.running_mean': (n, ),
        f'{prefix}.running_var': (n, ),
        f'{prefix}.num_batches_tracked': (),
    }


def _linear_keys(prefix, out_f, in_f, bias=True):
    keys = {f'{prefix}.weight': (out_f, in_f)}
    if bias:
        keys[f'{prefix}.bias'] = (out_f, )
    return keys


def _official_gcn_keys(prefix, dim, nodes):
    return {
        **_linear_keys(f'{prefix}.U', dim, dim),
        **_linear_keys(f'{prefix}.V', dim, dim),
        **_bn_keys(f'{prefix}.batch_norm', nodes)
    }


def _official_tcn_keys(prefix, dim):
    ch = dim // 4
    keys = {}
    for b in (0, 1):
        p = f'{prefix}.branches.{b}'
        keys.update({
            f'{p}.0.weight': (ch, dim, 1, 1),
            f'{p}.0.bias': (ch, ),
            **_bn_keys(f'{p}.1', ch),
            f'{p}.3.conv.weight': (ch, ch, 5, 1),
            f'{p}.3.conv.bias': (ch, ),
            **_bn_keys(f'{p}.3.bn', ch),
        })
    p = f'{prefix}.branches.2'
    keys.update({
        f'{p}.0.weight': (ch, dim, 1, 1),
        f'{p}.0.bias': (ch, ),
        **_bn_keys(f'{p}.1', ch),
        **_bn_keys(f'{p}.4', ch)
    })
    p = f'{prefix}.branches.3'
    keys.update({
        f'{p}.0.weight': (ch, dim, 1, 1),
        f'{p}.0.bias': (ch, ),
        **_bn_keys(f'{p}.1', ch)
    })
    return keys


def _official_agformer_keys(prefix, dim, hidden, mixer_keys):
    return {
        f'{prefix}.norm1.weight': (dim, ),
        f'{prefix}.norm1.bias': (dim, ),
        **mixer_keys,
        f'{prefix}.norm2.weight': (dim, ),
        f'{prefix}.norm2.bias': (dim, ),
        **_linear_keys(f'{prefix}.mlp.fc1', hidden, dim),
        **_linear_keys(f'{prefix}.mlp.fc2', dim, hidden),
        f'{prefix}.layer_scale_1': (dim, ),
        f'{prefix}.layer_scale_2': (dim, ),
    }


def official_keys(n_layers, dim, n_frames, mlp_ratio=4, use_tcn=False,
                  graph_only=False, dim_in=3, dim_rep=512, dim_out=3,
                  num_joints=17):
    """Key -> shape of upstream ``MotionAGFormer(...).state_dict()`` wrapped
    in DataParallel, written out by hand from upstream's module definitions
    (``model/MotionAGFormer.py``: AGFormerBlock, MotionAGFormerBlock,
    MotionAGFormer; ``model/modules/*.py``), *not* from our module names."""
    hidden = int(dim * mlp_ratio)
    keys = {
        **_linear_keys('joints_embed', dim, dim_in),
        'pos_embed': (1, num_joints, dim),
        'norm.weight': (dim, ),
        'norm.bias': (dim, ),
        **_linear_keys('rep_logit.fc', dim_rep, dim),
        **_linear_keys('head', dim_out, dim_rep),
    }
    for i in range(n_layers):
        p = f'layers.{i}'
        for name in ('att_spatial', 'att_temporal'):
            keys.update(
                _official_agformer_keys(
                    f'{p}.{name}', dim, hidden, {
                        **_linear_keys(f'{p}.{name}.mixer.qkv', 3 * dim, dim,
                                       False),
                        **_linear_keys(f'{p}.{name}.mixer.proj', dim, dim)
                    }))
        if graph_only:
            keys.update(_official_gcn_keys(f'{p}.graph_spatial', dim, 17))
            keys.update(
                _official_tcn_keys(f'{p}.graph_temporal', dim) if use_tcn
                else _official_gcn_keys(f'{p}.graph_temporal', dim, n_frames))
        else:
            keys.update(
                _official_agformer_keys(
                    f'{p}.graph_spatial', dim, hidden,
                    _official_gcn_keys(f'{p}.graph_spatial.mixer', dim, 17)))
            temporal = _official_tcn_keys(
                f'{p}.graph_temporal.mixer', dim) if use_tcn else \
                _official_gcn_keys(f'{p}.graph_temporal.mixer', dim, n_frames)
            keys.update(
                _official_agformer_keys(f'{p}.graph_temporal', dim, hidden,
                                        temporal))
        keys.update(_linear_keys(f'{p}.fusion', 2, 2 * dim))
    return {f'module.{k}': v for k, v in keys.items()}


def export_official(backbone, head):
    """Our (backbone, head) weights laid out as an upstream checkpoint."""
    sd = {f'module.{k}': v for k, v in backbone.state_dict().items()}
    sd.update({
        f'module.rep_logit.fc.{k}': v
        for k, v in head.pre_logits.fc.state_dict().items()
    })
    sd.update({f'module.head.{k}': v for k, v in head.fc.state_dict().items()})
    return sd


@pytest.mark.parametrize('arch', ['xs', 'l'])
def test_module_names_match_official(arch):
    """Our names/shapes, once exported, are exactly upstream's key layout.

    This fails if a module or parameter of ours is renamed, added or
    dropped relative to upstream.
    """
    with torch.device('meta'):
        backbone = MotionAGFormer(arch=arch)
        head = _build_head(backbone.embed_dims)
    ours = {k: tuple(v.shape) for k, v in export_official(
        backbone, head).items()}
    cfg = backbone.arch
    assert ours == official_keys(cfg['num_layers'], cfg['embed_dims'],
                                 cfg['num_frames'])


def test_module_names_match_official_tcn_graph_only():
    kwargs = dict(use_tcn=True, graph_only=True)
    for flags in ({}, dict(use_tcn=True), dict(graph_only=True), kwargs):
        with torch.device('meta'):
            backbone = _tiny(**flags)
            head = _build_head(16)
        ours = {
            k: tuple(v.shape)
            for k, v in export_official(backbone, head).items()
        }
        assert ours == official_keys(2, 16, 9, mlp_ratio=2, **flags), flags


def test_official_checkpoint_loads_strictly_into_pose_lifter():
    """An upstream-layout checkpoint loads strictly into an mmpose
    PoseLifter and reproduces the outputs of the model it came from."""
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    source_backbone = _tiny()
    _randomize_bn(source_backbone)
    source_head = _build_head(16)
    for p in source_backbone.parameters():  # move off the init values
        p.data.add_(torch.randn_like(p) * 0.05)
    official = export_official(source_backbone, source_head)
    assert set(official) == set(official_keys(2, 16, 9, mlp_ratio=2))

    converted = convert_official_state_dict(official)
    assert 'head.pre_logits.fc.weight' in converted
    assert 'head.fc.bias' in converted
    assert all(
        k.startswith(('backbone.', 'head.pre_logits.fc.', 'head.fc.'))
        for k in converted)

    lifter = MODELS.build(
        dict(
            type='PoseLifter',
            backbone=dict(type='MotionAGFormer', arch=copy.deepcopy(TINY)),
            head=dict(
                type='MotionRegressionHead',
                in_channels=16,
                out_channels=3,
                embedding_size=512)))
    result = lifter.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys

    source_backbone.eval()
    source_head.eval()
    lifter.eval()
    x = torch.randn(2, 9, 17, 3)
    with torch.no_grad():
        expected = source_head(source_backbone(x))
        got = lifter(x, None, mode='tensor')
    assert got.shape == (2, 9, 17, 3)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_convert_refuses_unknown_and_missing_keys():
    with torch.device('meta'):
        official = export_official(_tiny(), _build_head(16))
    extra = dict(official)
    extra['module.layers.0.extra.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match=r"unexpected keys \['backbone.layers"
                       r".0.extra.weight'\]"):
        convert_official_state_dict(extra)
    missing = dict(official)
    del missing['module.layers.1.att_temporal.mixer.proj.bias']
    with pytest.raises(
            KeyError,
            match=r"missing keys \['backbone.layers.1.att_temporal.mixer."
            r"proj.bias'\]"):
        convert_official_state_dict(missing)
    with pytest.raises(KeyError, match='not a MotionAGFormer state_dict'):
        convert_official_state_dict({'module.foo': torch.zeros(1)})


# --------------------------------------------------------------------------
# Layers against reference formulas
# --------------------------------------------------------------------------
@pytest.mark.parametrize('mode', ['spatial', 'temporal'])
def test_axial_attention_matches_naive_softmax(mode):
    torch.manual_seed(0)
    attn = AxialAttention(16, num_heads=4, mode=mode).eval()
    x = torch.randn(2, 5, 17, 16)
    b, t, j, c = x.shape
    h = 4
    qkv = attn.qkv(x).reshape(b, t, j, 3, h, c // h).permute(3, 0, 4, 1, 2, 5)
    q, k, v = qkv[0], qkv[1], qkv[2]  # (B, H, T, J, d)
    if mode == 'temporal':
        q, k, v = (z.transpose(2, 3) for z in (q, k, v))  # (B, H, J, T, d)
    weights = (q @ k.transpose(-2, -1) * (c // h)**-0.5).softmax(-1)
    out = weights @ v
    if mode == 'spatial':
        out = out.permute(0, 2, 3, 1, 4).reshape(b, t, j, c)
    else:
        out = out.permute(0, 3, 2, 1, 4).reshape(b, t, j, c)
    expected = attn.proj(out)
    torch.testing.assert_close(attn(x), expected, rtol=1e-5, atol=1e-5)


def test_spatial_adjacency_is_upstreams_directed_graph():
    gcn = AxialGCN(8, 8, num_nodes=17, mode='spatial')
    adj = torch.zeros(17, 17, dtype=torch.float64)
    for i, nbrs in OFFICIAL_CONNECTIONS.items():
        adj[i, nbrs] = 1
    deg = adj.sum(-1)
    expected = adj / torch.sqrt(deg[:, None] * deg[None, :])
    # normalised in float64 (cast to the input's dtype at forward)
    assert gcn.norm_adj.dtype == torch.float64
    torch.testing.assert_close(gcn.norm_adj, expected, rtol=1e-15, atol=0)
    # Upstream's graph is directed: shoulders list the thorax, not back.
    assert gcn.norm_adj[11, 8] > 0 and gcn.norm_adj[8, 11] == 0
    assert gcn.norm_adj[4, 0] > 0 and gcn.norm_adj[0, 4] == 0
    assert 'norm_adj' not in gcn.state_dict()


@pytest.mark.parametrize('similarity', [True, False])
def test_temporal_gcn_matches_per_sequence_loop(similarity):
    """Batched top-k graph == upstream's formula run one sequence at a time
    (``D^-1/2 A D^-1/2`` via diagonal matrices, BatchNorm over frames)."""
    torch.manual_seed(0)
    t, k = 7, 2
    gcn = AxialGCN(
        8, 8, num_nodes=t, neighbour_num=k, mode='temporal',
        use_temporal_similarity=similarity, temporal_connection_len=2)
    _randomize_bn(gcn)
    gcn.eval()
    x = torch.randn(2, t, 3, 8)
    bn = gcn.batch_norm
    expected = torch.empty_like(x)
    for bi in range(2):
        for ji in range(3):
            seq = x[bi, :, ji]  # (T, C)
            if similarity:
                sim = seq @ seq.T
                thr = sim.topk(k, dim=-1).values[:, -1:]
                adj = (sim >= thr).float()
            else:
                adj = torch.zeros(t, t)
                for i in range(t):
                    for d in range(3):
                        if i + d < t:
                            adj[i, i + d] = 1
            dmat = torch.diag(adj.sum(-1)**-0.5)
            agg = dmat @ adj @ dmat @ gcn.V(seq)
            y = agg + gcn.U(seq)
            y = (y - bn.running_mean[:, None]) / torch.sqrt(
                bn.running_var[:, None] + bn.eps) * bn.weight[:, None] \
                + bn.bias[:, None]
            expected[bi, :, ji] = torch.relu(seq + y)
    with torch.no_grad():
        torch.testing.assert_close(gcn(x), expected, rtol=1e-5, atol=1e-5)


def test_spatial_gcn_block_is_local_to_graph_neighbours():
    """Changing joint 11 at frame 3 changes, in a graph_spatial sub-block,
    only frame 3 and only joints whose neighbour list holds 11 (12) and 11
    itself: upstream's thorax (8) does not list the shoulders."""
    model = _tiny().eval()
    _randomize_bn(model)
    block = model.layers[0].graph_spatial
    for p in block.parameters():
        p.data.add_(torch.randn_like(p) * 0.1)
    x = torch.randn(1, 9, 17, 16)
    x2 = x.clone()
    x2[0, 3, 11] += torch.randn(16)  # not a constant: LayerNorm removes it
    with torch.no_grad():
        changed = (block(x2) - block(x)).abs().amax(-1)[0] > 0  # (T, J)
    expected = torch.zeros(9, 17, dtype=torch.bool)
    expected[3, [11, 12]] = True
    assert torch.equal(changed, expected)

    # The spatial attention sub-block mixes all joints of that frame only.
    block = model.layers[0].att_spatial
    with torch.no_grad():
        changed = (block(x2) - block(x)).abs().amax(-1)[0] > 0
    expected = torch.zeros(9, 17, dtype=torch.bool)
    expected[3] = True
    assert torch.equal(changed, expected)
    # The temporal attention sub-block mixes all frames of that joint only.
    block = model.layers[0].att_temporal
    with torch.no_grad():
        changed = (block(x2) - block(x)).abs().amax(-1)[0] > 0
    expected = torch.zeros(9, 17, dtype=torch.bool)
    expected[:, 11] = True
    assert torch.equal(changed, expected)


# --------------------------------------------------------------------------
# Whole-backbone behaviour
# --------------------------------------------------------------------------
def test_forward_shape_batch_equivariance_and_determinism():
    model = _tiny().eval()
    _randomize_bn(model)
    x = torch.randn(4, 9, 17, 3)
    with torch.no_grad():
        y = model(x)
        y_again = model(x)
        perm = torch.tensor([2, 0, 3, 1])
        y_perm = model(x[perm])
        x_other = x.clone()
        x_other[0] += torch.randn(9, 17, 3)  # only sample 0 changes
        y_other = model(x_other)
    assert y.shape == (4, 9, 17, 16)
    assert torch.equal(y, y_again)
    torch.testing.assert_close(y_perm, y[perm], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(y_other[0], y[0])
    torch.testing.assert_close(y_other[1:], y[1:], rtol=1e-5, atol=1e-5)
    # The final LayerNorm (weight 1, bias 0 at init) standardises tokens.
    torch.testing.assert_close(
        y.mean(-1), torch.zeros(4, 9, 17), rtol=0, atol=1e-5)


@pytest.mark.parametrize('branches', [
    ('attention', 'graph'),
    pytest.param(('mamba', 'graph'), marks=requires_ssm),
    pytest.param(('attention', 'graph', 'mamba'), marks=requires_ssm),
])
def test_fusion_weights_sum_to_one(branches):
    model = _tiny(branches=branches, ssm_cfg=TINY_SSM if 'mamba' in
                  branches else None).eval()
    block = model.layers[0]
    assert block.fusion.weight.shape == (len(branches), 16 * len(branches))
    for p in block.fusion.parameters():
        p.data.normal_()
    x = torch.randn(2, 9, 17, 16)
    with torch.no_grad():
        streams = block.stream_outputs(x)
        alpha = block.fusion.fusion_weights(streams)
        fused = block(x)
    assert alpha.shape == (2, 9, 17, len(branches))
    assert (alpha >= 0).all()
    torch.testing.assert_close(
        alpha.sum(-1), torch.ones(2, 9, 17), rtol=0, atol=1e-6)
    expected = sum(s * alpha[..., i:i + 1] for i, s in enumerate(streams))
    torch.testing.assert_close(fused, expected)
    # At initialisation every stream has the same weight 1 / N.
    fresh = _tiny(branches=branches, ssm_cfg=TINY_SSM if 'mamba' in
                  branches else None).layers[0]
    with torch.no_grad():
        alpha0 = fresh.fusion.fusion_weights(fresh.stream_outputs(x))
    torch.testing.assert_close(
        alpha0, torch.full_like(alpha0, 1 / len(branches)))


@pytest.mark.parametrize('variant,ssm_cfg', [
    ('baseline', None),
    pytest.param('mamba_gcn', TINY_SSM, marks=requires_ssm),
    pytest.param('full', TINY_SSM, marks=requires_ssm),
    pytest.param(
        'mamba_gcn',
        dict(type='mamba2', d_state=8, headdim=8, chunk_size=4),
        marks=requires_ssm),
])
def test_variants_forward_backward(variant, ssm_cfg):
    model = _tiny(branches=variant, ssm_cfg=ssm_cfg).train()
    branches = BRANCH_VARIANTS[variant]
    names = {n.split('.')[2] for n, _ in model.named_parameters()
             if n.startswith('layers.0.')}
    prefixes = {'attention': 'att', 'graph': 'graph', 'mamba': 'mamba'}
    expected = {f'{prefixes[b]}_{axis}' for b in branches
                for axis in ('spatial', 'temporal')} | {'fusion'}
    assert names == expected
    x = torch.randn(2, 9, 17, 3, requires_grad=True)
    y = model(x)
    assert y.shape == (2, 9, 17, 16) and torch.isfinite(y).all()
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert no_grad == []


def test_baseline_variant_is_the_official_model():
    default = _tiny()
    named = _tiny(branches='baseline')
    assert default.state_dict().keys() == named.state_dict().keys()
    x = torch.randn(1, 9, 17, 3)
    with torch.no_grad():
        torch.testing.assert_close(default.eval()(x), named.eval()(x))


@requires_ssm
def test_mamba_gcn_variant_replaces_attention():
    model = _tiny(branches='mamba_gcn', ssm_cfg=TINY_SSM)
    keys = model.state_dict().keys()
    assert not any('.att_' in k for k in keys)
    assert any(k.startswith('layers.0.mamba_temporal.mixer.ssm.')
               for k in keys)
    assert model.layers[0].branches == ('mamba', 'graph')


@pytest.mark.parametrize('flags', [
    dict(hierarchical=True),
    dict(use_tcn=True),
    dict(graph_only=True),
    dict(use_adaptive_fusion=False),
    dict(use_layer_scale=False, act_layer='relu'),
    dict(use_temporal_similarity=False, temporal_connection_len=2),
])
def test_official_options_build_and_run(flags):
    model = _tiny(**flags).eval()
    with torch.no_grad():
        y = model(torch.randn(2, 9, 17, 3))
    assert y.shape == (2, 9, 17, 16) and torch.isfinite(y).all()


def test_mean_fusion_without_adaptive_fusion():
    model = _tiny(use_adaptive_fusion=False).eval()
    block = model.layers[0]
    assert not hasattr(block, 'fusion')
    x = torch.randn(1, 9, 17, 16)
    with torch.no_grad():
        a, g = block.stream_outputs(x)
        torch.testing.assert_close(block(x), (a + g) / 2)


def test_registry_build():
    from mmpose.registry import MODELS

    import mmext.models.pose3d  # noqa: F401  registers into mmpose
    model = MODELS.build(dict(type='MotionAGFormer', arch='xs'))
    assert isinstance(model, MotionAGFormer)
    assert len(model.layers) == 12 and model.embed_dims == 64
    assert model.num_frames == 27


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------
def test_bad_arch_raises():
    with pytest.raises(
            ValueError,
            match=r"arch='xl' is not a known preset; valid choices are "
            r"\('xs', 's', 'b', 'l'\)"):
        MotionAGFormer(arch='xl')
    bad = dict(TINY, depth=3)
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['depth'\]"):
        MotionAGFormer(arch=bad)
    partial = {k: v for k, v in TINY.items() if k != 'num_frames'}
    with pytest.raises(ValueError, match=r"missing key\(s\) \['num_frames'\]"):
        MotionAGFormer(arch=partial)


def test_bad_branches_raise():
    with pytest.raises(
            ValueError,
            match=r"unknown branch name\(s\) \['transformer'\].*valid names "
            r"are \('attention', 'graph', 'mamba'\)"):
        _tiny(branches=('transformer', 'graph'))
    with pytest.raises(
            ValueError,
            match=r"branches='mamba' is not a known variant; valid variants "
            r"are \('baseline', 'mamba_gcn', 'full'\)"):
        _tiny(branches='mamba')
    with pytest.raises(ValueError, match='names a stream twice'):
        _tiny(branches=('graph', 'graph'))
    with pytest.raises(ValueError, match='at least one stream'):
        _tiny(branches=())


def test_bad_ssm_cfg_raises():
    with pytest.raises(
            ValueError,
            match=r"ssm_cfg\['type'\]='s4' is not supported; valid types are "
            r"\('mamba', 'mamba2'\)"):
        _tiny(branches='mamba_gcn', ssm_cfg=dict(type='s4'))
    with pytest.raises(
            ValueError, match=r"unknown ssm_cfg key\(s\) \['state_size'\]"):
        _tiny(branches='mamba_gcn', ssm_cfg=dict(state_size=4))
    with pytest.raises(ValueError, match=r"ssm_cfg\['d_state'\] must be a "
                       r'positive int, got 0'):
        _tiny(branches='mamba_gcn', ssm_cfg=dict(d_state=0))
    with pytest.raises(ValueError, match=r"ssm_cfg\['directions'\]"):
        _tiny(branches='mamba_gcn', ssm_cfg=dict(directions=('sideways', )))


def test_bad_input_and_activation_raise():
    model = _tiny()
    with pytest.raises(ValueError, match=r'expects inputs \(B, T, J, C\) = '
                       r'\(B, 9, 17, 3\), got \(1, 8, 17, 3\)'):
        model(torch.randn(1, 8, 17, 3))
    with pytest.raises(
            ValueError,
            match=r"act_layer='silu' is not supported; valid choices are "
            r"\('gelu', 'relu'\)"):
        _tiny(act_layer='silu')


def test_lean_mlp_toggle_changes_no_value_and_no_key():
    """``lean_mlp=False`` (the plain LayerNorm + MLP path the profiler
    compares) gives the same outputs, gradients and state-dict keys; every
    block gets the setting."""
    from mmext.models.pose3d.backbones.motionagformer import AGFormerBlock
    outs = {}
    for lean in (True, False):
        torch.manual_seed(0)
        model = MotionAGFormer(arch='xs', lean_mlp=lean).double()
        blocks = [m for m in model.modules() if isinstance(m, AGFormerBlock)]
        assert blocks and all(b.lean_mlp is lean for b in blocks)
        x = torch.randn(2, 27, 17, 3, dtype=torch.float64,
                        generator=torch.Generator().manual_seed(1))
        y = model(x)
        y.square().mean().backward()
        outs[lean] = (y.detach(), [p.grad for p in model.parameters()],
                      list(model.state_dict()))
    torch.testing.assert_close(outs[True][0], outs[False][0])
    for a, b in zip(outs[True][1], outs[False][1]):
        torch.testing.assert_close(a, b)
    assert outs[True][2] == outs[False][2]
