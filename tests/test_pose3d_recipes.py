# Copyright (c) mmext contributors. All rights reserved.
"""The pose3d configs carry upstream MotionAGFormer's optimizers
(github.com/TaatiTeam/MotionAGFormer at 4756fd1): AdamW on Human3.6M
(train.py:266-268), Adam with amsgrad and no weight decay on MPI-INF-3DHP
(train_3dhp.py:199-203), lr 5e-4 x 0.99 after every epoch on both."""
import pytest
import torch
from conftest import ROOT
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS

from mmext.utils import load_config

MAG = ROOT / 'configs/pose3d/motionagformer'
THREEDHP = 'motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp.py'
THREEDHP_ORDER = 'motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp-order.py'
THREEDHP_ADAMW = 'motionagformer-b_81frm_1xb16-90e-adamw_mpi-inf-3dhp.py'
H36M = 'motionagformer-b_243frm_1xb16-60e_h36m.py'


def _optimizer_and_lrs(name, epochs=3):
    """Build the config's optimizer on a tiny model and return it with the
    lr of epochs 0..epochs-1 as the config's scheduler sets them."""
    cfg = load_config(str(MAG / name), check_data=False)
    model = torch.nn.Linear(2, 2)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    scheds = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper.optimizer))
              for s in cfg.param_scheduler]
    lrs = []
    for _ in range(epochs):
        lrs.append(wrapper.optimizer.param_groups[0]['lr'])
        for s in scheds:  # by_epoch: stepped after every epoch
            s.step()
    return cfg, wrapper.optimizer, lrs


def _upstream_lrs(lr=5e-4, decay=0.99, epochs=3):
    # utils/learning.py:112-116: lr *= lr_decay after each epoch
    out = []
    for _ in range(epochs):
        out.append(lr)
        lr *= decay
    return out


@pytest.mark.parametrize('name', [THREEDHP, THREEDHP_ORDER])
def test_3dhp_is_upstream_adam_amsgrad(name):
    cfg, opt, lrs = _optimizer_and_lrs(name)
    assert type(opt) is torch.optim.Adam
    group = opt.param_groups[0]
    assert group['amsgrad'] is True and group['weight_decay'] == 0
    assert group['betas'] == (0.9, 0.999)  # torch's default, as upstream
    assert lrs == pytest.approx(_upstream_lrs(), rel=1e-12)
    assert cfg.train_cfg.max_epochs == 90
    assert cfg.train_dataloader.batch_size == 16
    assert cfg.auto_scale_lr.base_batch_size == 16


def test_3dhp_adamw_variant_is_named_and_only_changes_the_optimizer():
    cfg, opt, lrs = _optimizer_and_lrs(THREEDHP_ADAMW)
    assert type(opt) is torch.optim.AdamW
    assert opt.param_groups[0]['weight_decay'] == 0.01
    assert lrs == pytest.approx(_upstream_lrs(), rel=1e-12)
    base = load_config(str(MAG / THREEDHP), check_data=False)
    assert cfg.model == base.model and cfg.train_cfg == base.train_cfg
    assert cfg.param_scheduler == base.param_scheduler


def test_h36m_is_upstream_adamw():
    cfg, opt, lrs = _optimizer_and_lrs(H36M)
    assert type(opt) is torch.optim.AdamW
    assert opt.param_groups[0]['weight_decay'] == 0.01
    assert lrs == pytest.approx(_upstream_lrs(), rel=1e-12)
    assert cfg.train_cfg.max_epochs == 60
