# Copyright (c) mmext contributors. All rights reserved.
"""Gesture metrics of a trained model beside three baselines.

    python tools/analysis_tools/gesture_baselines.py CONFIG CHECKPOINT \
        --fgd-checkpoint AE.pth [--out results.md]

Rows, all on the config's test windows: the model; the ground truth; the
mean pose (the train split's mean root-relative pose held still); a random
real clip (for every test window, a random train window). Every number is
computed here from these arrays by GestureMetric.
"""
import argparse
import sys

import numpy as np
import torch

import mmext  # noqa: F401
from mmext.apis.gesture_inference import init_gesture_model
from mmext.datasets.gesture import GestureDataset
from mmext.evaluation.gesture import GestureMetric

KEYS = ('FGD', 'BC', 'L1div', 'bone_err', 'angle_viol_body',
        'angle_viol_hands', 'jerk')


def _dataset(cfg_ds, split):
    kw = {k: v for k, v in cfg_ds.items() if k != 'type'}
    kw['split'] = split
    return GestureDataset(**kw)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--fgd-checkpoint', help='FGD autoencoder checkpoint')
    p.add_argument('--out', help='also write the table (markdown)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    try:
        model = init_gesture_model(args.config, args.checkpoint)
        cfg = model.cfg
        test = _dataset(cfg.test_dataloader.dataset, 'test')
        train = _dataset(cfg.train_dataloader.dataset, 'train')
    except (FileNotFoundError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    ev = dict(cfg.test_evaluator)
    ev.pop('type')
    ev['fgd_checkpoint'] = args.fgd_checkpoint
    metric = GestureMetric(**ev)
    items = [test[i] for i in range(len(test))]
    gt = np.stack([it['data_samples']['motion'].numpy() for it in items])
    waves = [it['data_samples']['wave'].numpy() for it in items]
    with torch.no_grad():
        pred = np.concatenate([
            model.generator(
                torch.stack([it['inputs']['audio'] for it in chunk]),
                torch.stack([it['inputs']['seed'] for it in chunk])).numpy()
            for chunk in (items[i:i + 32] for i in range(0, len(items), 32))
        ])
    train_windows = np.stack(train.all_windows())
    mean_pose = np.broadcast_to(
        train_windows.mean(axis=(0, 1)), gt.shape).copy()
    rng = np.random.default_rng(args.seed)
    random_clip = train_windows[rng.integers(0, len(train_windows),
                                             len(gt))]
    rows = [('model', pred), ('ground truth', gt), ('mean pose', mean_pose),
            ('random real clip', random_clip)]
    table = ['| method | ' + ' | '.join(KEYS) + ' |',
             '|---' * (len(KEYS) + 1) + '|']
    for name, arr in rows:
        res = metric.evaluate_arrays(arr.astype(np.float32), gt, waves)
        table.append(f'| {name} | ' + ' | '.join(
            f'{res[k]:.4g}' if k in res else 'n/a' for k in KEYS) + ' |')
    text = '\n'.join(table)
    print(f'Test windows: {len(gt)} ({test.window} frames at {test.fps} '
          'fps)\n' + text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
