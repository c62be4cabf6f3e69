# Copyright (c) mmext contributors. All rights reserved.
"""Every gesture config (full models, ablations, FGD autoencoders, demo)
builds, trains one step and validates on small generated data in mmext's
clip format. The configs keep their real model sizes; only the data
location, batch size and number of windows are overridden."""
import math
import time

import numpy as np
import pytest
from conftest import ROOT
from mmengine.runner import Runner

from mmext.datasets.gesture import (Skeleton, save_clip,
                                    smplx_forward_kinematics, write_splits)
from mmext.datasets.gesture.synthetic import beat_hierarchy

CONFIGS = sorted((ROOT / 'configs/gesture').glob('*.py'))


def _write_root(root, skeleton, rest, fps, frames):
    rng = np.random.default_rng(0)
    skeleton.save(str(root / 'skeleton.json'))
    for i, split in enumerate(('train', 'val', 'test')):
        poses = rng.standard_normal((frames, 165)) * 0.1
        if rest.shape[0] == 55:
            joints = smplx_forward_kinematics(rest, skeleton.parents, poses,
                                              np.zeros((frames, 3)))
        else:
            joints = rest[None] + rng.standard_normal(
                (frames, ) + rest.shape) * 0.01
        t = np.arange(int(frames / fps * 16000)) / 16000
        audio = (0.5 * np.sin(2 * np.pi * 180 * t) *
                 (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
        save_clip(str(root / 'clips' / f'{i + 1}_x_0_1_1.npz'), joints, fps,
                  audio, 16000, i + 1)
        write_splits(str(root), {split: [f'{i + 1}_x_0_1_1']})


@pytest.fixture(scope='module')
def data_roots(tmp_path_factory):
    beat = tmp_path_factory.mktemp('beat')
    names, parents, off = beat_hierarchy()
    rest = np.zeros((75, 3))
    for k, p in enumerate(parents):
        rest[k] = (rest[p] if p >= 0 else 0) + off[k] * 0.01
    _write_root(beat, Skeleton(names, parents), rest, 15, 70)
    beat2 = tmp_path_factory.mktemp('beat2')
    sk = Skeleton.load('smplx')
    rest2 = np.random.default_rng(1).standard_normal((55, 3)) * 0.1
    _write_root(beat2, sk, rest2, 30, 132)
    cache = tmp_path_factory.mktemp('feature_cache')
    return dict(beat=beat, beat2=beat2, cache=cache)


@pytest.mark.timeout(600)
@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_gesture_config_trains_one_step(path, data_roots, tmp_path):
    from mmext.utils import load_config
    cfg = load_config(str(path), check_data=False)
    root = data_roots['beat2' if 'beat2' in path.name else 'beat']
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[split]
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.update(
            data_root=str(root),
            cache_dir=str(data_roots['cache'] / root.name),
            stride=1000 if split != 'train_dataloader' else 8)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'{path.stem}_{time.time_ns()}'
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    ablation = not any(path.name.startswith(p) for p in (
        'gesture-gan_gat-gcn-xattn_1xb32', 'motion-ae', 'gesture-gan-tiny'))
    if ablation:  # the full configs validate; ablations only train
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    # one training step: the first batch only
    runner.train_dataloader.dataset.index = \
        runner.train_dataloader.dataset.index[:2]
    runner.train()
    hub = runner.message_hub
    if 'motion-ae' in path.name:
        assert math.isfinite(hub.get_scalar('train/loss').current())
        assert hub.get_scalar('val/motion_ae/mpjpe').current() > 0
    else:
        for key in ('train/loss_d', 'train/loss_g', 'train/loss_bone'):
            assert math.isfinite(hub.get_scalar(key).current()), key
        if not ablation:
            assert 0 <= hub.get_scalar('val/gesture/BC').current() <= 1
            assert hub.get_scalar('val/gesture/bone_err').current() >= 0
    assert (tmp_path / 'epoch_1.pth').is_file()
