# Copyright (c) mmext contributors. All rights reserved.
"""Evaluate a checkpoint with an mmext config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Multi-process / multi-GPU: ``bash tools/dist_test.sh CONFIG CKPT GPUS``.
The metrics are printed, logged under the work dir and, with ``--out``,
the raw predictions are dumped.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction

import mmext  # noqa: F401  (applies the upstream patches first)
from mmext.utils import CleanExit, ConfigError, load_config, setup_run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation log and metrics')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--per-sample',
        help='save every test sample\'s error with its sample id to this '
        '.json file (for tools/analysis_tools/compare_runs.py)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise ConfigError(f'checkpoint file not found: {args.checkpoint}')
    cfg = load_config(args.config, args.cfg_options)

    setup_run(cfg, args.config, args.work_dir, args.launcher)
    if osp.abspath(osp.dirname(args.config)) == osp.abspath(cfg.work_dir):
        # the config lives in the work dir (a sweep's trial_config.py): the
        # Runner dumps this run's config as test_<name>.py, not over it
        from mmengine.config import Config
        cfg = Config(cfg.to_dict(), cfg_text=cfg.text, filename=osp.join(
            osp.dirname(args.config), 'test_' + osp.basename(args.config)))
    # evaluators that write files (MA52SubmissionMetric) default to work_dir
    for ev in (cfg.test_evaluator if isinstance(cfg.test_evaluator,
                                                (list, tuple)) else
               [cfg.test_evaluator]):
        if isinstance(ev, dict) and 'out_dir' in ev and ev['out_dir'] is None:
            ev['out_dir'] = cfg.work_dir
    cfg.load_from = args.checkpoint
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            sys.exit('error: --out must be a .pkl/.pickle file, got '
                     f'{args.out}')
        evaluator = cfg.test_evaluator
        evaluator = list(evaluator) if isinstance(evaluator,
                                                  (list, tuple)) else [
                                                      evaluator
                                                  ]
        evaluator.append(dict(type='DumpResults', out_file_path=args.out))
        cfg.test_evaluator = evaluator

    if args.per_sample is not None:
        from mmext.workflow.significance import enable_per_sample
        try:
            enable_per_sample(cfg, args.per_sample)
        except ValueError as err:
            sys.exit(f'error: {err}')

    from mmext.engine.runner import build_runner
    with CleanExit() as guard:  # see tools/train.py
        # the checkpoint must fit the model exactly (AutoResumeRunner)
        runner = guard.track(build_runner(cfg))
        metrics = runner.test()
    if runner.rank == 0:
        print('Test metrics:')
        for key, value in metrics.items():
            print(f'  {key}: {value}')
    return metrics


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
