# Copyright (c) mmext contributors. All rights reserved.
"""The action configs carry the recipes of docs/action/models.md
("Configs", 2 GPUs) and PCAN's, and their names state the real number of
epochs."""
import re

import pytest
import torch
from conftest import ROOT

from mmext.utils import load_config

ACTION = ROOT / 'configs/action'
CONFIGS = sorted(ACTION.glob('*.py'))


NAMES = dict(
    ma52='rgbpose-conv3d_pcan_2xb8-50e_ma52.py',
    paper='rgbpose-conv3d_pcan_1xb10-30e-paper_ma52.py',
    ntu60='rgbpose-conv3d_pcan_2xb12-80e_ntu60-xsub.py',
    x3d='x3d-tsm-m_pcan_2xb16-80e_ntu60-xsub.py',
    x3d_tune='x3d-tsm-m_pcan_2xb16-70e-tune_ntu60-xsub.py')


def _cfg(role):
    return load_config(str(ACTION / NAMES[role]), check_data=False)


def _hooks(cfg):
    return {h['type']: h for h in cfg.custom_hooks}


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_name_states_real_epochs(path):
    m = re.search(r'_(\d+)xb(\d+)-(\d+)e[-_]', path.name)
    assert m, f'{path.name}: no <gpus>xb<batch>-<epochs>e field'
    cfg = load_config(str(path), check_data=False)
    gpus, batch, epochs = (int(g) for g in m.groups())
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch
    for sched in cfg.param_scheduler:  # no schedule ends elsewhere
        assert sched.get('end', epochs) == epochs or \
            sched.get('end') < epochs


def _by_type(cfg, t):
    return [s for s in cfg.param_scheduler if s['type'] == t]


def _assert_mmaction2_rgbpose_sgd(cfg):
    # mmaction2 (4d6c934) configs/skeleton/posec3d/rgbpose_conv3d/
    # rgbpose_conv3d.py:171-172
    opt = cfg.optim_wrapper
    assert opt.optimizer.type == 'SGD' and opt.optimizer.momentum == 0.9
    assert opt.optimizer.weight_decay == 1e-4
    assert opt.clip_grad == dict(max_norm=40, norm_type=2)


def test_ma52_rgbpose_users_recipe():
    cfg = _cfg('ma52')
    assert cfg.train_cfg.max_epochs == 50
    assert cfg.optim_wrapper.optimizer.lr == 0.001
    _assert_mmaction2_rgbpose_sgd(cfg)
    (const, ) = _by_type(cfg, 'ConstantLR')
    assert const.factor == 1.0 and const.end == 50
    assert len(cfg.param_scheduler) == 1


def test_ntu60_rgbpose_users_recipe():
    cfg = _cfg('ntu60')
    assert cfg.optim_wrapper.optimizer.lr == 0.001
    _assert_mmaction2_rgbpose_sgd(cfg)
    (cos, ) = _by_type(cfg, 'CosineAnnealingLR')
    assert (cos.T_max, cos.begin, cos.end) == (80, 0, 80)


def test_ntu60_x3d_tsm_users_recipe_and_further_tuning():
    cfg = _cfg('x3d')
    opt = cfg.optim_wrapper
    assert (opt.optimizer.lr, opt.optimizer.weight_decay) == (0.012, 2e-4)
    assert opt.clip_grad.max_norm == 40
    (warm, ) = _by_type(cfg, 'LinearLR')
    (cos, ) = _by_type(cfg, 'CosineAnnealingLR')
    assert cos.eta_min == 1e-6 and cos.begin == warm.end and cos.end == 80
    stop = _hooks(cfg)['EarlyStoppingHook']
    assert stop.patience == 15 and stop.min_delta == 0.001 and stop.strict
    assert stop.monitor == 'action/fused_top1_fine' and stop.rule == 'greater'
    assert 'mmext.EpochSeedHook' in _hooks(cfg)  # kept from the runtime

    tune = _cfg('x3d_tune')
    opt = tune.optim_wrapper
    assert (opt.optimizer.lr, opt.optimizer.weight_decay) == (0.004, 4e-4)
    assert opt.clip_grad.max_norm == 30
    (cos, ) = _by_type(tune, 'CosineAnnealingLR')
    assert cos.eta_min == 5e-5 and cos.end == 70
    assert tune.train_cfg.max_epochs == 70
    stop = _hooks(tune)['EarlyStoppingHook']
    assert stop.patience == 8 and stop.min_delta == 0.001 and stop.strict
    assert 'mmext.EpochSeedHook' in _hooks(tune)
    assert tune.train_dataloader.batch_size == 16


def test_x3d_tsm_pose_pathway_is_3_stage_x3d_m_with_216_channels():
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope

    import mmext.models.action  # noqa: F401
    cfg = _cfg('x3d')
    assert tuple(cfg.model.cls_head.in_channels) == (432, 216)
    with DefaultScope.overwrite_default_scope('mmaction'):
        pose = MODELS.build(cfg.model.backbone.pose_pathway)
    assert pose.num_stages == 3 and pose.feat_dim == 216
    # X3D-M widths: 24-48-96 channels in the three stages
    assert [layer[0].conv3.conv.out_channels
            for layer in (pose.layer1, pose.layer2, pose.layer3)] == \
        [24, 48, 96]
    with torch.no_grad():
        out = pose.eval()(torch.zeros(1, 17, 4, 16, 16))
    # stride 8 in space, none in time: 56 px heatmaps end at 7 px, like
    # the 224 px RGB stream (stride 32)
    assert out.shape == (1, 216, 4, 2, 2)


def test_pcan_paper_recipe():
    cfg = _cfg('paper')
    opt = cfg.optim_wrapper
    assert (opt.optimizer.type, opt.optimizer.lr) == ('SGD', 0.0075)
    assert opt.optimizer.weight_decay == 1e-4 and opt.clip_grad.max_norm == 40
    (step, ) = cfg.param_scheduler
    assert step.type == 'MultiStepLR' and list(step.milestones) == [10, 20]
    assert step.gamma == 0.1 and cfg.train_cfg.val_begin == 3
    flips = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] == 'Flip']
    assert [(f.left_kp, f.right_kp) for f in flips] == [
        ([2, 3, 4, 8, 9, 10, 14, 16], [5, 6, 7, 11, 12, 13, 15, 17])]
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        sizes = [t['scale'] for t in loader.dataset.pipeline
                 if t['type'] == 'Resize']
        assert sizes == [(256, 256)]  # evaluation at 256 px
    head = cfg.model.cls_head
    assert head.type == 'PCANHead' and head.temperature == 0.125
    assert head.rectify_weights == dict(rgb=5.0, pose=1.0)
    assert tuple(head.proto_channels) == (256, 128)
