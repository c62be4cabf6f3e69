# Copyright (c) mmext contributors. All rights reserved.
"""Hyper-parameter sweeps with Optuna; every trial is a real training run.

    python tools/sweep.py CONFIG --space SPACE.py --study NAME [--trials N]
        [--storage URL] [--sampler tpe|random|grid] [--pruner median|
        hyperband|none] [--gpus K] [--enqueue KEY=V ...] [--seed S]
    python tools/sweep.py CONFIG --study NAME [--storage URL] --summary

Trials run through ``tools/dist_train.sh`` with ``K`` processes in
``work_dirs/sweeps/<study>/trial_<n>``; the objective is the config's
``save_best`` metric (its ``rule`` gives the direction). Start the same
command on several machines / Slurm tasks with one shared ``--storage``
(journal file on a shared filesystem, or PostgreSQL) and they pull trials
from one study until it holds ``--trials`` finished ones. See
docs/tools/sweep.md.
"""
import argparse
import os
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmext.utils import ConfigError, load_config  # noqa: E402
from mmext.workflow.sweep import (SweepError, SweepWorker,  # noqa: E402
                                  check_space, grid_space, load_space,
                                  make_pruner, make_sampler, objective_spec,
                                  open_storage, parse_enqueue, redact)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='training config')
    p.add_argument('--space', help='space file (see configs/sweeps/)')
    p.add_argument('--study', required=True, help='study name')
    p.add_argument('--trials', type=int,
                   help='finished trials the study should hold (default: '
                   'the grid size with --sampler grid)')
    p.add_argument('--storage',
                   help='sqlite:///F.db (default: work_dirs/sweeps/<study>/'
                   'study.db), journal:///F.log or postgresql://...')
    p.add_argument('--sampler', default='tpe',
                   choices=['tpe', 'random', 'grid'])
    p.add_argument('--pruner', default='median',
                   choices=['median', 'hyperband', 'none'])
    p.add_argument('--n-startup-trials', type=int, default=2,
                   help='median pruner: trials that finish before any is '
                   'pruned')
    p.add_argument('--n-warmup-steps', type=int, default=0,
                   help='median pruner: epochs never pruned')
    p.add_argument('--gpus', type=int, default=1,
                   help='processes (GPUs) per trial, via dist_train.sh')
    p.add_argument('--launcher', choices=['dist', 'none'], default='dist',
                   help="'none' runs tools/train.py in one process")
    p.add_argument('--metric', help='objective (default: save_best)')
    p.add_argument('--direction', choices=['minimize', 'maximize'])
    p.add_argument('--enqueue', nargs='+', action='append', default=[],
                   metavar='KEY=VALUE',
                   help='run these parameters first (repeatable)')
    p.add_argument('--seed', type=int, help='sampler seed')
    p.add_argument('--work-root', default='work_dirs/sweeps',
                   help='trials go to WORK_ROOT/<study>/trial_<n>')
    p.add_argument('--heartbeat', type=float, default=30.,
                   help='seconds between heartbeats of a running trial')
    p.add_argument('--grace', type=float, default=300.,
                   help='a running trial without heartbeat for this long '
                   'belongs to a dead worker and is retried')
    p.add_argument('--max-retry', type=int, default=2)
    p.add_argument('--summary', action='store_true',
                   help='print the best trials and importances, save plots '
                   'and the best config; run no trial')
    p.add_argument('--top', type=int, default=5)
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='fixed overrides applied to every trial')
    return p.parse_args(argv)


def _cfg_options(items):
    from mmengine.config import DictAction
    ns = argparse.Namespace()
    DictAction(option_strings=[], dest='o')(None, ns, items)
    return ns.o


def main(argv=None) -> int:
    args = parse_args(argv)
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings('ignore', category=optuna.exceptions.
                            ExperimentalWarning)
    sweep_dir = osp.join(args.work_root, args.study)
    storage_url = args.storage or \
        f'sqlite:///{osp.abspath(osp.join(sweep_dir, "study.db"))}'
    try:
        cfg = load_config(args.config,
                          _cfg_options(args.cfg_options) or None)
        metric, direction = objective_spec(cfg, args.metric, args.direction,
                                           args.config)
        if args.summary:
            from mmext.workflow.sweep_summary import summarize
            storage = open_storage(storage_url)
            return summarize(args.study, storage, sweep_dir, args.top,
                             metric)
        if not args.space:
            raise SweepError('--space is required to run trials')
        space = check_space(load_space(args.space), cfg, args.space)
        n_trials = args.trials
        if args.sampler == 'grid':
            size = 1
            for values in grid_space(space).values():
                size *= len(values)
            n_trials = n_trials or size
        if not n_trials or n_trials < 1:
            raise SweepError('--trials N (N >= 1) is required')
        enqueued = [parse_enqueue(items, space) for items in args.enqueue]
        os.makedirs(sweep_dir, exist_ok=True)
        storage = open_storage(storage_url)
        max_epochs = cfg.get('train_cfg', {}).get('max_epochs') or 1
        pruner = dict(name=args.pruner, startup=args.n_startup_trials,
                      warmup=args.n_warmup_steps, max_resource=max_epochs)
        study = optuna.create_study(
            study_name=args.study,
            storage=storage,
            sampler=make_sampler(args.sampler, space, args.seed),
            pruner=make_pruner(**pruner),
            direction=direction,
            load_if_exists=True)
        if study.direction.name.lower() != direction:
            raise SweepError(
                f'study {args.study!r} exists with direction '
                f'{study.direction.name.lower()}, the config asks for '
                f'{direction}')
        for params in enqueued:
            study.enqueue_trial(params, skip_if_exists=True)
    except (SweepError, ConfigError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'[sweep] study {args.study!r} in {redact(storage_url)}: '
          f'{direction} {metric}, target {n_trials} finished trials; '
          f'trial dirs in {sweep_dir}/', flush=True)
    worker = SweepWorker(
        study, storage_url, cfg, space, metric, sweep_dir, n_trials,
        gpus=args.gpus, heartbeat=args.heartbeat, grace=args.grace,
        max_retry=args.max_retry, launcher=args.launcher,
        log=lambda m: print(m, flush=True), raw_storage=storage,
        pruner=pruner)
    ran = worker.run()
    done = [t for t in study.get_trials(deepcopy=False)
            if t.state.name in ('COMPLETE', 'PRUNED')]
    print(f'[sweep] this worker ran {ran} trial(s); the study holds '
          f'{len(done)} finished', flush=True)
    try:
        best = study.best_trial
        print(f'[sweep] best: trial {best.number} {metric}={best.value:.6g} '
              f'{best.params}')
    except ValueError:
        print('[sweep] no trial completed')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
