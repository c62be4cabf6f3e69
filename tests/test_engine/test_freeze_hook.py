# Copyright (c) mmext contributors. All rights reserved.
"""FreezeModulesHook freezes submodules for the first epochs of a Runner
run and trains them again from the right epoch."""
import copy

import pytest
import torch
from conftest import ROOT
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmext.testing  # noqa: F401  (toy components)
from mmext.engine.hooks import FreezeModulesHook


class _Probe(Hook):
    """Records, per epoch, whether net.0 changed and its flags."""
    priority = 'LOWEST'

    def __init__(self):
        self.records = []

    def before_train_epoch(self, runner):
        self.start = copy.deepcopy(runner.model.net[0].state_dict())
        self.start_head = runner.model.net[3].weight.detach().clone()

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.grad_flag = runner.model.net[0].weight.requires_grad
        self.dropout_training = runner.model.net[2].training

    def after_train_epoch(self, runner):
        now = runner.model.net[0].state_dict()
        changed = any(not torch.equal(now[k], v)
                      for k, v in self.start.items())
        head = not torch.equal(runner.model.net[3].weight, self.start_head)
        self.records.append((runner.epoch, changed, head,
                             (self.grad_flag, self.dropout_training)))


def test_freeze_then_unfreeze(tmp_path):
    cfg = Config.fromfile(str(ROOT / 'tests/data/configs/toy_regression.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 4
    cfg.train_cfg.val_interval = 10
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.custom_hooks = [
        dict(type='mmext.FreezeModulesHook', modules=('net.0', 'net.2'),
             epochs=2)
    ]
    cfg.experiment_name = 'freeze_hook_test'
    runner = Runner.from_cfg(cfg)
    probe = _Probe()
    runner.register_hook(probe)
    runner.train()
    # epochs 0 and 1 frozen (net.0 unchanged, head trained), then trained
    assert [(e, c, h) for e, c, h, _ in probe.records] == [
        (0, False, True), (1, False, True), (2, True, True), (3, True, True)
    ]
    # frozen: no grad and dropout in eval mode; then both back
    assert [f for *_, f in probe.records] == [(False, False)] * 2 + \
        [(True, True)] * 2
    assert runner.model.net[0].weight.requires_grad


def test_freeze_hook_bad_arguments():
    with pytest.raises(ValueError, match='epochs must be >= 0'):
        FreezeModulesHook(epochs=-1)

    class _Runner:
        model = torch.nn.Sequential(torch.nn.Linear(2, 2))

    with pytest.raises(AttributeError, match="no submodule 'backbone'"):
        FreezeModulesHook().before_train(_Runner())
