# Copyright (c) mmext contributors. All rights reserved.
"""A gesture-GAN run killed by SIGKILL right after a checkpoint and resumed
ends bit-identical to an uninterrupted run: weights, both optimizers with
their GradScalers and AMP flags, and every GAN hook's state."""
import signal
import subprocess
import sys

import numpy as np
import torch
from conftest import ROOT, tool_env

from mmext.datasets.gesture import Skeleton, save_clip, write_splits
from mmext.engine import safe_load

KILL_HOOK = '''
import os, signal
from mmengine.hooks import Hook
from mmext.registry import HOOKS


@HOOKS.register_module()
class KillAfterEpochHook(Hook):
    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)
'''

CONFIG = '''
_base_ = ['{root}/configs/gesture/gesture-gan-tiny_1xb16-12e_beat-demo.py']
custom_imports = dict(imports=[
    'mmext.engine', 'mmext.models.gesture', 'mmext.datasets.gesture',
    'mmext.evaluation.gesture', 'kill_hook'], allow_failed_imports=False)
model = dict(
    skeleton='{data}/skeleton.json',
    generator=dict(embed_dims=16, num_res_blocks=1),
    discriminator=dict(embed_dims=16, num_layers=2), g_steps=2)
train_dataloader = dict(batch_size=4, dataset=dict(
    data_root='{data}', window=16, stride=4, cache_dir='{data}/cache'))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
train_cfg = dict(max_epochs=3, val_interval=100)
# bf16 forced: 'auto' stays fp32 on a CPU without native bf16, and this
# test is about resuming with autocast on
optim_wrapper = dict(
    generator=dict(dtype='bfloat16'), discriminator=dict(dtype='bfloat16'))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
custom_hooks = [
    dict(type='EpochSeedHook'),
    dict(type='CurriculumHook', initial=dict(detail=0.3, physics=0.5),
         final=dict(detail=1.0, physics=2.0), warmup_epochs=1, end_epoch=3),
    dict(type='GANBalanceHook', interval=1, window=2, ratio_below=10.0),
    dict(type='AMPWarmupHook', warmup_epochs=1),
    dict(type='GANGuardHook'),
    dict(type='GANLogHook', interval=2),
] + {kill}
'''


def _data(root):
    names = ['Hips', 'Spine', 'Neck', 'RArm', 'RArm1', 'RHand', 'RHandI1',
             'RHandI2', 'LArm', 'LArm1', 'LHand', 'LHandI1', 'LHandI2']
    sk = Skeleton(names, [-1, 0, 1, 1, 3, 4, 5, 6, 1, 8, 9, 10, 11])
    sk.save(str(root / 'skeleton.json'))
    rng = np.random.default_rng(0)
    t = np.arange(2 * 16000) / 16000
    audio = (np.sin(2 * np.pi * 200 * t) *
             (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    joints = np.cumsum(rng.standard_normal((30, 13, 3)) * 0.01, axis=0)
    save_clip(str(root / 'clips' / '1_a_0_1_1.npz'), joints, 15, audio,
              16000, 1)
    write_splits(str(root), dict(train=['1_a_0_1_1']))


def _train(tmp_path, name, kill, *extra):
    cfg = tmp_path / f'{name}.py'
    cfg.write_text(CONFIG.format(
        root=ROOT, data=tmp_path / 'data',
        kill=f"[dict(type='KillAfterEpochHook', epoch={kill})]"
        if kill else '[]'))
    env = tool_env()
    env['PYTHONPATH'] = f'{tmp_path}:{env["PYTHONPATH"]}'
    return subprocess.run(
        [sys.executable, str(ROOT / 'tools/train.py'), str(cfg),
         '--work-dir', str(tmp_path / name), *extra], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=600)


def _same(a, b, path='ckpt'):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _same(a[k], b[k], f'{path}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f'{path}[{i}]')
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    else:
        assert a == b, path


def test_sigkill_resume_is_exact(tmp_path):
    (tmp_path / 'data').mkdir()
    _data(tmp_path / 'data')
    (tmp_path / 'kill_hook.py').write_text(KILL_HOOK)
    full = _train(tmp_path, 'full', None)
    assert full.returncode == 0, full.stderr[-3000:]
    killed = _train(tmp_path, 'killed', 2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (tmp_path / 'killed' / 'epoch_2.pth').is_file()
    assert not (tmp_path / 'killed' / 'epoch_3.pth').exists()
    resumed = _train(tmp_path, 'killed', None, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a = safe_load(tmp_path / 'full' / 'epoch_3.pth')
    b = safe_load(tmp_path / 'killed' / 'epoch_3.pth')
    _same(a['state_dict'], b['state_dict'], 'state_dict')
    _same(a['optimizer'], b['optimizer'], 'optimizer')
    _same(a['hook_states'], b['hook_states'], 'hook_states')
    # the state really moved: AMP on after epoch 1, balance fired
    assert a['optimizer']['generator']['amp_enabled'] is True
    hs = a['hook_states']
    assert hs['CurriculumHook']['weights']['detail'] > 0.3
    assert hs['GANBalanceHook']['lr_mult']['discriminator'] < 1.0
