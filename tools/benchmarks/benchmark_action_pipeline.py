# Copyright (c) mmext contributors. All rights reserved.
"""CPU throughput of an action config's data pipeline, in one process.

Runs the dataset's pipeline transform by transform on ``--num-samples``
samples (after ``--warmup`` untimed ones) and reports the median time per
transform, the median of the decode stage (frame sampling + video/skeleton
decoding), of the augment stage (everything after decoding: crop, resize,
flip, heatmaps, formatting, packing) and of the whole pipeline, as clips/s
of a single dataloader worker (1 / median seconds per clip).

Example::

    python tools/benchmarks/benchmark_action_pipeline.py \
        configs/_base_/datasets/ma52_rgbpose_demo.py --num-samples 50
"""
import argparse
import platform

from mmengine.config import Config, DictAction

import mmext  # noqa: F401  (mmaction2 packaging workarounds first)
from mmext.datasets.action.pipeline_profiling import (benchmark_pipeline,
                                                      format_pipeline_table)


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


def main(argv=None) -> None:
    args = parse_args(argv)
    import cv2
    import torch
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    res = benchmark_pipeline(cfg, args.split, args.num_samples, args.warmup)
    print(f'config: {args.config} ({args.split} pipeline), '
          f'{res["num_samples"]} timed samples of {res["dataset_len"]} '
          f'after {args.warmup} warm-up, {args.threads} thread(s), '
          f'{platform.processor() or platform.machine()}, '
          f'cv2 {cv2.__version__}')
    print(format_pipeline_table(res))
    print(f'decode : augment time ratio = '
          f'{res["decode_ms"] / res["augment_ms"]:.2f}')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
