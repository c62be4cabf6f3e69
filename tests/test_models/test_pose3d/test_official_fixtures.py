# Copyright (c) mmext contributors. All rights reserved.
"""mmext reproduces the OFFICIAL MotionAGFormer's outputs.

The fixtures in tests/data/motionagformer_official/ were generated once from
TaatiTeam/MotionAGFormer's own model code (random weights, fixed inputs; see
tools/misc/generate_motionagformer_official_fixtures.py). Each checkpoint is
converted by mmext's converter tool, loaded strictly into an mmpose
``PoseLifter`` and must reproduce the official outputs in float64 to 1e-9 of
the largest value: the fixtures are float64 (official weights, inputs and
outputs), so the comparison holds on any CPU (kernels agree to ~1e-15 in
float64; in float32 they differ by ~1e-6, the size of a real defect), and
``test_fixture_catches_wrong_models`` shows the tolerance still fails a
LayerNorm eps of 1e-6 instead of 1e-5 and a missing residual.
"""
import json
from pathlib import Path

import pytest
import torch
from conftest import run_tool
from mmpose.registry import MODELS

import mmext.models.pose3d  # noqa: F401 (registers MotionAGFormer)
from mmext.apis.model_conversion import convert_motionagformer_checkpoint
from mmext.models.pose3d.backbones import MotionAGFormer, infer_official_config


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """Build in mmpose's registry whatever default scope is current."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / 'data' / 'motionagformer_official'
TOOL = (ROOT.parent / 'tools' / 'model_converters' /
        'motionagformer_official_to_mmext.py')
KWARGS = json.loads((FIXTURES / 'kwargs.json').read_text())['variants']
IO = torch.load(FIXTURES / 'io.pth.tr', map_location='cpu',
                weights_only=True)
#: Relative tolerance (of the largest official output) in float64; the
#: measured worst case under every CPU kernel setting is in
#: docs/benchmarks.md ("Host-independent numeric fixtures").
RTOL64 = 1e-9
#: (what, max abs error / max |reference|) of every comparison made, read by
#: tests/data/fixture_error_budget.py
ERRORS = []


def _assert_rel(actual, expected, what):
    assert actual.dtype == expected.dtype == torch.float64, what
    err = (actual - expected).abs().max().item()
    scale = expected.abs().max().item()
    ERRORS.append((what, err / scale))
    assert err <= RTOL64 * scale, \
        f'{what}: max abs error {err:.3g} vs max |ref| {scale:.3g}'


def _convert(variant, dst, **kwargs):
    return convert_motionagformer_checkpoint(
        str(FIXTURES / f'{variant}.pth.tr'), str(dst), 'h36m', **kwargs)


def _official(variant):
    ckpt = torch.load(FIXTURES / f'{variant}.pth.tr', map_location='cpu',
                      weights_only=True)
    return ckpt['model']


def _build_lifter(cfg, up):
    """A PoseLifter from the converter's config plus the settings a
    checkpoint cannot hold (taken from the upstream arguments)."""
    backbone = dict(cfg['backbone'])
    backbone['arch'] = dict(
        backbone['arch'],
        num_heads=up['num_heads'],
        neighbour_num=up['neighbour_num'])
    backbone.update(
        use_temporal_similarity=up.get('use_temporal_similarity', True),
        temporal_connection_len=up.get('temporal_connection_len', 1))
    return MODELS.build(
        dict(
            type='PoseLifter',
            backbone=dict(type='MotionAGFormer', **backbone),
            head=dict(type='MotionRegressionHead', **cfg['head'])))


@pytest.mark.parametrize('variant', sorted(KWARGS))
def test_converted_official_checkpoint_reproduces_outputs(variant, tmp_path):
    up = KWARGS[variant]
    dst = tmp_path / 'mmext.pth'
    _convert(variant, dst, num_frames=up['n_frames'])
    out = torch.load(dst, map_location='cpu', weights_only=True)
    cfg = out['meta']['config']

    # what the checkpoint determines matches the upstream arguments
    bb, arch = cfg['backbone'], cfg['backbone']['arch']
    assert (arch['num_layers'], arch['embed_dims'], arch['num_frames'],
            arch['mlp_ratio']) == (up['n_layers'], up['dim_feat'],
                                   up['n_frames'], up['mlp_ratio'])
    for key in ('hierarchical', 'use_tcn', 'graph_only', 'qkv_bias'):
        assert bb[key] == up.get(key, False), key
    assert bb['use_adaptive_fusion'] == up.get('use_adaptive_fusion', True)
    assert cfg['head'] == dict(in_channels=up['dim_feat'], out_channels=3,
                               embedding_size=up['dim_rep'])

    model = _build_lifter(cfg, up).double()
    model.load_state_dict(out['state_dict'], strict=True)
    _compare_with_official(model, variant)


def _compare_with_official(model, variant):
    x = IO['inputs']
    expected = IO[variant]
    with torch.no_grad():
        model.eval()
        _assert_rel(model(x, None, mode='tensor'), expected['output'],
                    f'{variant} eval')
        # train mode: BatchNorm uses batch statistics (no dropout set)
        model.train()
        _assert_rel(model(x, None, mode='tensor'), expected['output_train'],
                    f'{variant} train')


def _converted(variant, tmp_path):
    up = KWARGS[variant]
    dst = tmp_path / 'mmext.pth'
    _convert(variant, dst, num_frames=up['n_frames'])
    out = torch.load(dst, map_location='cpu', weights_only=True)
    model = _build_lifter(out['meta']['config'], up).double()
    model.load_state_dict(out['state_dict'], strict=True)
    return model


def _eps_1e6(model):
    for m in model.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.eps = 1e-6


def _drop_first_residual(model):
    block = model.backbone.layers[0]
    block.register_forward_hook(lambda m, args, out: out - args[0])


@pytest.mark.parametrize('mutate', [_eps_1e6, _drop_first_residual])
@pytest.mark.parametrize('variant', ['baseline', 'tcn'])
def test_fixture_catches_wrong_models(variant, mutate, tmp_path):
    """The fixtures and their tolerance fail deliberately wrong models."""
    model = _converted(variant, tmp_path)
    mutate(model)
    with pytest.raises(AssertionError, match='max abs error'):
        _compare_with_official(model, variant)


def test_fixture_outputs_depend_on_the_variant():
    """The fixtures are informative: a wrong option gives other outputs."""
    outs = [IO[v]['output'] for v in sorted(KWARGS)]
    for i in range(len(outs)):
        for j in range(i + 1, len(outs)):
            assert (outs[i] - outs[j]).abs().max() > 1e-2


def test_tcn_checkpoint_needs_num_frames(tmp_path):
    sd = _official('tcn')
    with pytest.raises(ValueError, match='num_frames is required'):
        infer_official_config(sd)
    cfg = infer_official_config(sd, num_frames=27)
    assert cfg['backbone']['arch']['num_frames'] == 27
    # the GCN checkpoints determine T and check a given value
    gcn = _official('baseline')
    assert infer_official_config(gcn)['backbone']['arch'][
        'num_frames'] == 9
    with pytest.raises(ValueError, match='num_frames=27 disagrees'):
        infer_official_config(gcn, num_frames=27)
    # the converter names the missing option and writes nothing
    dst = tmp_path / 'o.pth'
    with pytest.raises(ValueError, match='num_frames is required'):
        _convert('tcn', dst)
    assert not dst.exists()
    proc = run_tool([TOOL, FIXTURES / 'tcn.pth.tr', dst, '--joint-order',
                     'h36m'])
    assert proc.returncode == 1
    assert proc.stderr.count('\n') == 1 and '--num-frames' in proc.stderr
    assert not dst.exists()


def test_converter_requires_joint_order(tmp_path):
    dst = tmp_path / 'o.pth'
    proc = run_tool([TOOL, FIXTURES / 'baseline.pth.tr', dst])
    assert proc.returncode == 2 and '--joint-order' in proc.stderr
    proc = run_tool([TOOL, FIXTURES / 'baseline.pth.tr', dst,
                     '--joint-order', '3dhp'])
    assert proc.returncode == 0, proc.stderr
    assert 'joint order: 3dhp' in proc.stdout
    meta = torch.load(dst, map_location='cpu', weights_only=True)['meta']
    assert meta['joint_order'] == '3dhp'


def test_mamba_headdim_fails_at_construction():
    with pytest.raises(ValueError,
                       match="'headdim' is a Mamba-2 argument"):
        MotionAGFormer(
            arch=dict(num_layers=1, embed_dims=8, num_frames=9, num_heads=2,
                      mlp_ratio=2., neighbour_num=2),
            branches='mamba_gcn',
            ssm_cfg=dict(type='mamba', headdim=4))
