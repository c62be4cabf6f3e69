# Copyright (c) mmext contributors. All rights reserved.
"""Every action-recognition experiment and ablation config trains (one
step) and validates on the generated demo data in its real data format.

The configs keep their real input sizes (RGB 224 px, heatmaps 56 px); only
the data location, batch size and number of samples are overridden.
"""
import math
import subprocess
import sys
import time

import pytest
from conftest import ROOT, tool_env
from mmengine.runner import Runner

from mmext.utils import load_config

CONFIGS = sorted((ROOT / 'configs/action').glob('*.py'))


@pytest.fixture(scope='module')
def demo_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('action_demo')
    for name in ('ma52', 'ntu60'):
        subprocess.run([
            sys.executable,
            str(ROOT / 'tools/misc/generate_action_demo.py'), '--dataset',
            name, '--out-dir', str(root / name), '--clips-per-class', '2'
        ], check=True, cwd=ROOT, env=tool_env(), capture_output=True)
    return root


def _point_to_demo(cfg, root):
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[split]
        loader.update(batch_size=1, num_workers=0, persistent_workers=False)
        ds = loader.dataset
        if 'ntu60' in cfg.filename:
            ds.update(data_root=str(root / 'ntu60'), ann_file='ntu60_2d.pkl',
                      data_prefix=dict(video='videos'))
        else:
            ds.update(data_root=str(root / 'ma52'))
        ds.indices = 1 if split == 'train_dataloader' else 2


@pytest.mark.timeout(600)
@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_action_config_trains_on_demo_data(path, demo_data, tmp_path):
    cfg = load_config(str(path), check_data=False)
    _point_to_demo(cfg, demo_data)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'{path.stem}_{time.time_ns()}'
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    cfg.train_cfg.val_begin = 1  # PCAN's recipe validates from epoch 3
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    loss = hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    top1 = hub.get_scalar('val/action/fused_top1_fine').current()
    assert 0.0 <= top1 <= 1.0
    assert (tmp_path / 'epoch_1.pth').is_file()
