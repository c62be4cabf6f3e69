# Copyright (c) mmext contributors. All rights reserved.
"""Tests of the action-recognition models: temporal shift, X3D-TSM, the
two-stream wrappers, the hierarchical PCAN head and every config under
configs/action."""
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import mmext  # noqa: F401  (upstream patches before mmaction.models)

pytest.importorskip('mmcv.ops', reason='mmaction.models needs full mmcv')

from mmaction.registry import MODELS  # noqa: E402
from mmaction.structures import ActionDataSample  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402

from mmext.models.action import (X3DTSM, BlockX3DTSM,  # noqa
                                 HierarchicalRGBPoseHead, SingleStreamBackbone,
                                 TemporalShift3D, TwoStreamBackbone,
                                 coarse_log_probs, ema_update_prototypes,
                                 group_matrix, prototype_calibration_loss,
                                 temporal_shift_3d, tree_consistency_loss)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def mmaction_scope():
    """Build under mmaction's scope without leaking it to other tests."""
    with DefaultScope.overwrite_default_scope('mmaction'):
        yield


# Tiny RGBPoseConv3D: RGB 1x3x8x32x32, pose 1x17x32x8x8.
TINY_RGBPOSE = dict(
    type='RGBPoseConv3D',
    speed_ratio=4,
    channel_ratio=4,
    rgb_pathway=dict(
        num_stages=4,
        stage_blocks=(1, 1, 1, 1),
        lateral=True,
        lateral_infl=1,
        lateral_activate=(0, 0, 1, 1),
        fusion_kernel=7,
        base_channels=8,
        conv1_kernel=(1, 7, 7),
        inflate=(0, 0, 1, 1),
        with_pool2=False),
    pose_pathway=dict(
        num_stages=3,
        stage_blocks=(1, 1, 1),
        lateral=True,
        lateral_inv=True,
        lateral_infl=16,
        lateral_activate=(0, 1, 1),
        fusion_kernel=7,
        in_channels=17,
        base_channels=4,
        out_indices=(2, ),
        conv1_kernel=(1, 7, 7),
        conv1_stride_s=1,
        conv1_stride_t=1,
        pool1_stride_s=1,
        pool1_stride_t=1,
        inflate=(0, 1, 1),
        spatial_strides=(2, 2, 2),
        temporal_strides=(1, 1, 1),
        dilations=(1, 1, 1),
        with_pool2=False))
HIER = [0, 0, 1, 1, 2]  # 5 fine classes in 3 coarse groups


def _inputs(n=1, views=None):
    """Backbone inputs; with ``views`` the recognizer's (N, views, ...)."""
    torch.manual_seed(0)
    out = dict(
        imgs=torch.randn(n, 3, 8, 32, 32),
        heatmap_imgs=torch.rand(n, 17, 32, 8, 8))
    if views:
        out = {k: v.unsqueeze(1).expand(-1, views, *v.shape[1:]).clone()
               for k, v in out.items()}
    return out


def _samples(labels, hier=HIER):
    out = []
    for y in labels:
        ds = ActionDataSample().set_gt_label(y)
        ds.set_field(torch.tensor([hier[y]]), 'gt_coarse_label')
        out.append(ds)
    return out


# --------------------------------------------------------------- shift
def test_temporal_shift_matches_loop():
    x = torch.randn(2, 16, 5, 3, 3)
    out = temporal_shift_3d(x, shift_div=4)  # fold = 4
    ref = torch.zeros_like(x)
    for t in range(5):
        if t > 0:
            ref[:, :4, t] = x[:, :4, t - 1]
        if t < 4:
            ref[:, 4:8, t] = x[:, 4:8, t + 1]
        ref[:, 8:, t] = x[:, 8:, t]
    assert torch.equal(out, ref)
    # the moved values are a permutation plus zeros: sums drop by the
    # vacated frames only
    assert torch.allclose(out[:, :4].sum(), x[:, :4, :-1].sum())


def test_temporal_shift_bad_args():
    with pytest.raises(ValueError, match='shift_div must be an int >= 2'):
        TemporalShift3D(shift_div=1)
    with pytest.raises(ValueError, match=r'\(N, C, T, H, W\)'):
        temporal_shift_3d(torch.randn(2, 8, 4), 4)
    with pytest.raises(ValueError, match='shift_div must be 0'):
        X3DTSM(shift_div=-2)
    with pytest.raises(ValueError, match='outside the valid stages 0..3'):
        X3DTSM(shift_stages=(0, 4))


def test_x3d_tsm_blocks_and_weights_compatible():
    from mmaction.models.backbones.x3d import X3D, BlockX3D
    kw = dict(gamma_w=0.5, gamma_b=1.0, gamma_d=1.0)
    tsm = X3DTSM(shift_div=4, shift_stages=(1, 2, 3), **kw)
    plain = X3D(**kw)
    blocks = [m for m in tsm.modules() if isinstance(m, BlockX3D)]
    assert not isinstance(tsm.layer1[0], BlockX3DTSM)
    assert all(isinstance(b, BlockX3DTSM) for layer in
               (tsm.layer2, tsm.layer3, tsm.layer4) for b in layer)
    assert len(blocks) == sum(tsm.stage_blocks)
    # same parameter names and shapes as mmaction2's X3D -> loads X3D weights
    assert {k: v.shape for k, v in tsm.state_dict().items()} == \
        {k: v.shape for k, v in plain.state_dict().items()}
    tsm.load_state_dict(plain.state_dict())
    assert tsm.train() is tsm  # X3D.train() returns None
    no_shift = X3DTSM(shift_div=0, **kw)
    assert not any(isinstance(m, BlockX3DTSM) for m in no_shift.modules())


def test_x3d_tsm_block_shifts_residual_input_only():
    net = X3DTSM(shift_div=4, gamma_w=0.5, gamma_b=1.0, gamma_d=1.0).eval()
    block = net.layer2[1]  # no downsample: identity is x itself
    seen = {}
    block.conv1.register_forward_pre_hook(
        lambda m, a: seen.__setitem__('conv1_in', a[0]))
    x = torch.randn(1, block.inplanes, 4, 4, 4)
    out = block(x)
    assert torch.equal(seen['conv1_in'], temporal_shift_3d(x, 4))
    assert block.se_ratio is None  # 'half' SE style: odd blocks have none
    residual = block.conv3(block.swish(block.conv2(block.conv1(
        temporal_shift_3d(x, 4)))))
    assert torch.allclose(out, block.relu(residual + x), atol=1e-6)


# ------------------------------------------------------- head: functions
def test_tree_consistency_hand_computed():
    groups = group_matrix([0, 0, 1])
    assert torch.equal(groups, torch.tensor([[1., 0.], [1., 0.], [0., 1.]]))
    fine = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    coarse = torch.log(torch.tensor([[0.6, 0.4]]))
    assert torch.allclose(
        coarse_log_probs(fine, groups).exp(), torch.tensor([[0.8, 0.2]]))
    expected = 0.6 * math.log(0.6 / 0.8) + 0.4 * math.log(0.4 / 0.2)
    loss = tree_consistency_loss(fine, coarse, groups)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    # consistent predictions -> zero loss
    consistent = torch.log(torch.tensor([[0.8, 0.2]]))
    assert tree_consistency_loss(fine, consistent, groups).item() == \
        pytest.approx(0., abs=1e-6)


def test_prototype_calibration_hand_computed():
    protos = torch.tensor([[1., 0.], [0., 1.]])
    valid = torch.tensor([True, True])
    feats = torch.tensor([[1., 1.], [2., 0.]])
    labels = torch.tensor([0, 0])
    preds = torch.tensor([1, 0])  # sample 0: FN of class 0, FP of class 1
    r = 1 / math.sqrt(2)
    loss = prototype_calibration_loss(feats, protos, valid, labels, preds)
    assert loss.item() == pytest.approx(((1 - r) + r) / 2)
    loss = prototype_calibration_loss(
        feats, protos, valid, labels, preds, margin=0.8)
    assert loss.item() == pytest.approx((1 - r) / 2)  # r < margin: no push
    loss = prototype_calibration_loss(feats, protos, torch.tensor(
        [True, False]), labels, preds)
    assert loss.item() == pytest.approx((1 - r) / 2)  # class 1 not yet seen
    # gradient: pulling sample 0 towards P0 = moving it along +x
    f = feats.clone().requires_grad_()
    prototype_calibration_loss(f, protos, valid, labels, preds).backward()
    assert f.grad[1].abs().sum() == 0  # correctly classified: untouched


def test_ema_update_prototypes_manual():
    protos, seen = torch.zeros(3, 2), torch.zeros(3)
    feats = torch.tensor([[3., 4.], [0., 2.], [1., 0.]])
    ema_update_prototypes(protos, seen, feats, torch.tensor([0, 0, 1]), 0.9)
    assert torch.allclose(protos, torch.tensor([[.3, .9], [1., 0.], [0, 0]]))
    assert torch.equal(seen, torch.tensor([1., 1., 0.]))
    ema_update_prototypes(protos, seen, torch.tensor([[5., 0.]]),
                          torch.tensor([0]), 0.9)
    assert torch.allclose(protos[0], 0.9 * torch.tensor([.3, .9]) +
                          0.1 * torch.tensor([1., 0.]))
    assert torch.allclose(protos[1], torch.tensor([1., 0.]))
    assert torch.equal(seen, torch.tensor([2., 1., 0.]))


# ------------------------------------------------------------- head: class
def _head(**kw):
    cfg = dict(
        num_classes=5,
        in_channels=(6, 4),
        hierarchy=HIER,
        dropout=0.,
        prototype=dict(momentum=0.5, temperature=0.5, logit_weight=2.0),
        loss_weights=dict(fine=1., coarse=0.5, tree=0.25, proto=2.))
    cfg.update(kw)
    head = HierarchicalRGBPoseHead(**cfg)
    head.init_weights()
    return head


def test_head_losses_against_manual():
    torch.manual_seed(0)
    head = _head().train()
    feats = (torch.randn(4, 6, 1, 2, 2), torch.randn(4, 4, 2, 2, 2))
    labels = [0, 2, 4, 1]
    y = torch.tensor(labels)
    yc = torch.tensor([HIER[i] for i in labels])
    # seed the rgb prototypes of classes 0 and 1 so the proto loss is live
    head.rgb_prototypes[:2] = torch.randn(2, 6)
    head.rgb_prototype_seen[:2] = 1
    before = head.rgb_prototypes.clone()
    losses = head.loss(feats, _samples(labels))
    assert set(losses) == {
        f'{s}_{k}' for s in ('rgb', 'pose') for k in
        ('loss_fine', 'loss_coarse', 'loss_tree', 'loss_proto', 'top1_acc')
    }
    pooled = feats[0].mean((2, 3, 4))
    fine = head.fc_fine['rgb'](pooled)
    coarse = head.fc_coarse['rgb'](pooled)
    assert torch.allclose(losses['rgb_loss_fine'], F.cross_entropy(fine, y))
    assert torch.allclose(losses['rgb_loss_coarse'],
                          0.5 * F.cross_entropy(coarse, yc))
    assert torch.allclose(losses['rgb_loss_tree'], 0.25 *
                          tree_consistency_loss(fine, coarse, head.groups))
    proto = prototype_calibration_loss(pooled, before, torch.tensor(
        [True, True, False, False, False]), y, fine.argmax(-1))
    assert torch.allclose(losses['rgb_loss_proto'], 2. * proto)
    # prototypes: EMA for seen classes 0/1, first value for 2 and 4
    z = F.normalize(pooled, dim=-1)
    exp = before.clone()
    exp[0] = 0.5 * before[0] + 0.5 * z[0]
    exp[1] = 0.5 * before[1] + 0.5 * z[3]
    exp[2], exp[4] = z[1], z[2]
    assert torch.allclose(head.rgb_prototypes, exp, atol=1e-6)
    assert torch.equal(head.rgb_prototype_seen, torch.tensor([2., 2, 1, 0, 1]))
    # buffers go into checkpoints
    sd = head.state_dict()
    assert 'rgb_prototypes' in sd and 'pose_prototype_seen' in sd
    # no update outside training mode
    head.eval()
    head.loss(feats, _samples(labels))
    assert torch.allclose(head.rgb_prototypes, exp, atol=1e-6)


def test_head_predict_fuses_and_calibrates():
    torch.manual_seed(1)
    head = _head().eval()
    head.rgb_prototypes.copy_(torch.randn(5, 6))
    head.rgb_prototype_seen[:3] = 1  # classes 3, 4 without prototype
    feats = (torch.randn(2, 6, 1, 2, 2), torch.randn(2, 4, 2, 2, 2))
    samples = head.predict(feats, _samples([1, 3]))
    pooled = feats[0].mean((2, 3, 4))
    cos = F.normalize(pooled, dim=-1) @ F.normalize(head.rgb_prototypes,
                                                    dim=-1).t()
    cos[:, 3:] = 0
    rgb = F.softmax(head.fc_fine['rgb'](pooled) + 2.0 * cos / 0.5, -1)
    pose = F.softmax(head.fc_fine['pose'](feats[1].mean((2, 3, 4))), -1)
    for i, ds in enumerate(samples):
        assert torch.allclose(ds.stream_scores['rgb']['fine'], rgb[i])
        assert torch.allclose(ds.stream_scores['pose']['fine'], pose[i])
        assert torch.allclose(ds.pred_score, (rgb[i] + pose[i]) / 2)
        assert ds.pred_score.sum().item() == pytest.approx(1.)
        assert ds.pred_label.item() == ds.pred_score.argmax().item()
        coarse = (ds.stream_scores['rgb']['coarse'] +
                  ds.stream_scores['pose']['coarse']) / 2
        assert torch.allclose(ds.pred_coarse_score, coarse)
        assert ds.pred_coarse_score.shape == (3, )


def test_head_multi_clip_and_no_coarse_head():
    head = _head(with_coarse_head=False, prototype=None,
                 streams=('pose', ), in_channels=(4, )).eval()
    feats = (torch.randn(6, 4, 2, 2, 2), )  # 2 samples x 3 clips
    samples = head.predict(feats, _samples([0, 1]))
    probs = F.softmax(head.fc_fine['pose'](feats[0].mean((2, 3, 4))), -1)
    probs = probs.view(2, 3, 5).mean(1)
    assert set(samples[0].stream_scores) == {'pose'}
    assert torch.allclose(samples[1].pred_score, probs[1])
    # coarse = fine probabilities summed within groups (no coarse head)
    agg = probs[1] @ group_matrix(HIER)
    assert torch.allclose(samples[1].pred_coarse_score, agg)
    losses = head.loss((torch.randn(2, 4, 2, 2, 2), ), _samples([0, 1]))
    assert set(losses) == {'pose_loss_fine', 'pose_top1_acc'}


@pytest.mark.parametrize('kwargs, match', [
    (dict(streams=('rgb', 'depth')), r"subset of \('rgb', 'pose'\)"),
    (dict(in_channels=(6, )), 'one channel count per stream'),
    (dict(loss_weights=dict(fine=1, kl=1)), r"unknown loss_weights keys \["
     r"'kl'\]; valid keys are \('fine', 'coarse', 'tree', 'proto'\)"),
    (dict(prototype=dict(tau=0.1)), r"unknown prototype keys \['tau'\]"),
    (dict(prototype=dict(momentum=1.0)), r'momentum must be in \[0, 1\)'),
    (dict(hierarchy=[0, 1]), 'hierarchy has 2 entries but num_classes=5'),
    (dict(hierarchy=None), 'with_coarse_head=True needs a hierarchy'),
    (dict(stream_weights=dict(flow=1.)), 'not among streams'),
    (dict(average_clips='score'), 'average_clips'),
])
def test_head_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _head(**kwargs)


def test_head_hierarchy_by_name():
    head = HierarchicalRGBPoseHead(
        num_classes=52, in_channels=(8, 8), hierarchy='ma52')
    assert head.num_coarse_classes == 7
    assert head.fine_to_coarse[[0, 4, 5, 51]].tolist() == [0, 0, 1, 6]


# ------------------------------------------------------- full recognizers
def _recognizer(backbone, in_channels, streams=('rgb', 'pose')):
    model = MODELS.build(
        dict(
            type='MMRecognizer3D',
            backbone=backbone,
            cls_head=dict(
                type='HierarchicalRGBPoseHead',
                num_classes=5,
                hierarchy=HIER,
                in_channels=in_channels,
                streams=streams,
                dropout=0.),
            data_preprocessor=dict(
                type='MultiModalDataPreprocessor',
                preprocessors=dict(
                    imgs=dict(
                        type='ActionDataPreprocessor',
                        format_shape='NCTHW'),
                    heatmap_imgs=dict(type='ActionDataPreprocessor')))))
    model.init_weights()
    return model


@pytest.mark.parametrize('name', ['rgbpose', 'x3d', 'pose_only'])
def test_recognizer_loss_and_predict(name):
    torch.manual_seed(0)
    x3d = dict(type='X3DTSM', gamma_w=0.34, gamma_b=1.0, gamma_d=1.0)
    if name == 'rgbpose':
        model = _recognizer(TINY_RGBPOSE, (256, 64))
    elif name == 'x3d':
        model = _recognizer(
            dict(type='TwoStreamBackbone', rgb_pathway=x3d,
                 pose_pathway=dict(x3d, in_channels=17,
                                   spatial_strides=(1, 2, 2, 2))), (64, 64))
    else:
        model = _recognizer(
            dict(type='SingleStreamBackbone', stream='pose',
                 backbone=dict(x3d, in_channels=17)), (64, ), ('pose', ))
    losses = model(_inputs(2, views=1), _samples([1, 3]), mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        out = model(_inputs(2, views=2), _samples([1, 3]), mode='predict')
    streams = model.cls_head.streams
    for ds in out:
        assert ds.pred_score.shape == (5, )
        assert ds.pred_score.sum().item() == pytest.approx(1., abs=1e-5)
        fused = torch.stack([ds.stream_scores[s]['fine']
                             for s in streams]).mean(0)
        assert torch.allclose(ds.pred_score, fused)
        assert ds.pred_coarse_score.sum().item() == pytest.approx(1., 1e-5)


def test_two_stream_backbone_shapes_and_errors():
    x3d = dict(type='X3DTSM', gamma_w=0.34, gamma_b=1.0, gamma_d=1.0)
    bb = TwoStreamBackbone(
        rgb_pathway=x3d, pose_pathway=dict(x3d, in_channels=17))
    rgb, pose = bb(**_inputs())
    assert rgb.shape[:3] == (1, 64, 8) and pose.shape[:3] == (1, 64, 32)
    with pytest.raises(ValueError, match=r"stream must be one of \['pose', "
                       r"'rgb'\], got 'flow'"):
        SingleStreamBackbone(stream='flow', backbone=x3d)
    with pytest.raises(TypeError, match='rgb_pathway must be a config dict'):
        TwoStreamBackbone(rgb_pathway=None, pose_pathway=x3d)
    single = SingleStreamBackbone(stream='rgb', backbone=x3d)
    with pytest.raises(ValueError, match='needs the input "imgs"'):
        single(heatmap_imgs=torch.zeros(1, 17, 4, 8, 8))


# ------------------------------------------------------------------ configs
CONFIGS = sorted((ROOT / 'configs' / 'action').glob('*.py'))


def test_configs_exist():
    assert len(CONFIGS) >= 8


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_builds_model(path):
    from mmext.utils import load_config

    # mmext's checker: component names and arguments under mmaction's scope
    load_config(str(path), check_data=False)
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmaction'
    assert 'mmext.models.action' in cfg.custom_imports['imports']
    assert cfg.default_hooks.checkpoint.save_best == 'action/fused_top1_fine'
    assert cfg.default_hooks.checkpoint.rule == 'greater'
    model = MODELS.build(cfg.model)
    n = sum(p.numel() for p in model.parameters())
    assert n > 0
    head = model.cls_head
    from mmext.models.action import PCANHead

    # PCAN everywhere; the earlier head only in its clearly named variant
    want = HierarchicalRGBPoseHead if 'emaproto' in path.name else PCANHead
    assert type(head) is want
    if 'demo' not in path.name:
        assert 'base_batch_size' in cfg.auto_scale_lr
