# Copyright (c) mmext contributors. All rights reserved.
"""CPU throughput of an action config's data pipeline, in one process.

Runs the dataset's pipeline transform by transform on ``--num-samples``
samples (after ``--warmup`` untimed ones) and reports the median time per
transform, the median of the decode stage (frame sampling + video/skeleton
decoding), of the augment stage (everything after decoding: crop, resize,
flip, heatmaps, formatting, packing) and of the whole pipeline, as clips/s
of a single dataloader worker (1 / median seconds per clip).

Example::

    python tools/analysis_tools/benchmark_action_pipeline.py \
        configs/_base_/datasets/ma52_rgbpose_demo.py --num-samples 50
"""
import argparse
import os.path as osp
import platform
import sys
import time
from typing import Dict, List

import numpy as np
from mmengine.config import Config, DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import mmext  # noqa: E402,F401  (mmaction2 packaging workarounds first)

# Transforms that belong to the decode stage (everything up to and including
# the last of these, in pipeline order).
DECODE_TYPES = ('MMUniformSampleFrames', 'UniformSampleFrames', 'SampleFrames',
                'MMDecodeCV2', 'MMDecode', 'PoseDecode', 'DecordInit',
                'DecordDecode', 'OpenCVInit', 'OpenCVDecode', 'RawFrameDecode',
                'PyAVInit', 'PyAVDecode')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--num-samples', type=int, default=50)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='cv2/torch threads (a dataloader worker uses 1)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_dataloader.dataset.'
        'data_root=data/ma52_demo/')
    return parser.parse_args(argv)


def _stage_split(types: List[str]) -> int:
    """Index of the first augment transform."""
    last = -1
    for i, t in enumerate(types):
        if t in DECODE_TYPES:
            last = i
    if last < 0:
        raise ValueError(f'no decode transform {DECODE_TYPES} in the '
                         f'pipeline {types}')
    return last + 1


def benchmark(cfg, split: str, num_samples: int, warmup: int) -> Dict:
    """Time every transform of ``{split}_dataloader.dataset.pipeline``."""
    import copy

    from mmaction.registry import DATASETS, TRANSFORMS
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmaction') or 'mmaction')
    ds_cfg = copy.deepcopy(cfg[f'{split}_dataloader']['dataset'])
    pipeline_cfg = ds_cfg.pop('pipeline')
    ds_cfg['pipeline'] = []
    dataset = DATASETS.build(ds_cfg)
    transforms = [TRANSFORMS.build(t) for t in pipeline_cfg]
    types = [t['type'] for t in pipeline_cfg]
    cut = _stage_split(types)
    n = min(num_samples + warmup, len(dataset))
    if n <= warmup:
        raise ValueError(f'{split} dataset has {len(dataset)} samples, need '
                         f'more than --warmup {warmup}')
    times = np.zeros((n - warmup, len(transforms)))
    for i in range(n):
        results = dataset.get_data_info(i)
        for j, t in enumerate(transforms):
            start = time.perf_counter()
            results = t(results)
            took = time.perf_counter() - start
            if i >= warmup:
                times[i - warmup, j] = took
    decode = times[:, :cut].sum(1)
    augment = times[:, cut:].sum(1)
    total = times.sum(1)
    return dict(
        types=types,
        cut=cut,
        per_transform_ms=np.median(times, 0) * 1e3,
        decode_ms=float(np.median(decode) * 1e3),
        augment_ms=float(np.median(augment) * 1e3),
        total_ms=float(np.median(total) * 1e3),
        num_samples=n - warmup,
        dataset_len=len(dataset))


def format_table(res: Dict) -> str:
    """Markdown tables of the medians."""
    lines = [
        '| stage | median ms / clip | clips/s (1 worker) |',
        '|---|---:|---:|',
    ]
    for name, key in (('decode (sample + decode)', 'decode_ms'),
                      ('augment (crop ... pack)', 'augment_ms'),
                      ('whole pipeline', 'total_ms')):
        ms = res[key]
        lines.append(f'| {name} | {ms:.2f} | {1e3 / ms:.1f} |')
    lines += [
        '', '| # | transform | stage | median ms |', '|---|---|---|---:|'
    ]
    for i, (t, ms) in enumerate(zip(res['types'], res['per_transform_ms'])):
        stage = 'decode' if i < res['cut'] else 'augment'
        lines.append(f'| {i} | {t} | {stage} | {ms:.2f} |')
    return '\n'.join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    import cv2
    import torch
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    res = benchmark(cfg, args.split, args.num_samples, args.warmup)
    print(f'config: {args.config} ({args.split} pipeline), '
          f'{res["num_samples"]} timed samples of {res["dataset_len"]} '
          f'after {args.warmup} warm-up, {args.threads} thread(s), '
          f'{platform.processor() or platform.machine()}, '
          f'cv2 {cv2.__version__}')
    print(format_table(res))
    print(f'decode : augment time ratio = '
          f'{res["decode_ms"] / res["augment_ms"]:.2f}')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
