# Copyright (c) mmext contributors. All rights reserved.
"""Train a model from an mmext config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]]
        [--amp] [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]

Multi-process / multi-GPU: ``bash tools/dist_train.sh CONFIG GPUS [args]``.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

import mmext  # noqa: F401  (applies the upstream patches first)
from mmext.utils import CleanExit, ConfigError, load_config, setup_run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or (without a value or with '
        '"auto") from the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision (CUDA only); bf16 with '
        '--cfg-options optim_wrapper.dtype=bfloat16')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by (world size x batch size) / '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='let load_from miss, add or reshape any state-dict keys (the '
        'log lists what was skipped); a config allows named keys with '
        "load_from_allow_mismatch = ['pattern', ...]")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=3')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch>=2) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Apply the command-line switches to the config."""
    import torch
    setup_run(cfg, args.config, args.work_dir, args.launcher)

    if args.amp:
        if not torch.cuda.is_available():
            raise ConfigError(
                '--amp needs a CUDA device (mmengine\'s AmpOptimWrapper '
                'supports cuda/npu/mlu/musa); none is available here')
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print('AMP is already enabled in the config.')
        else:
            if wrapper != 'OptimWrapper':
                raise ConfigError(
                    f'--amp is only supported with optim_wrapper.type='
                    f'OptimWrapper, but got {wrapper!r}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or \
                'base_batch_size' not in cfg.auto_scale_lr:
            raise ConfigError(
                f'{args.config}: --auto-scale-lr needs auto_scale_lr = '
                'dict(enable=..., base_batch_size=N) in the config')
        cfg.auto_scale_lr.enable = True

    if args.allow_partial:
        cfg.load_from_allow_mismatch = ['*']

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise ConfigError(f'--resume: checkpoint not found: '
                              f'{args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    cfg = merge_args(cfg, args)

    from mmext.engine.runner import build_runner

    # CleanExit: barrier + destroy_process_group before the interpreter
    # exits (a gloo run may otherwise abort at exit after succeeding)
    with CleanExit() as guard:
        runner = guard.track(build_runner(cfg))
        runner.train()


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
