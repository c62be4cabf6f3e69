# Copyright (c) mmext contributors. All rights reserved.
"""``tools/sweep.py``: hyper-parameter sweeps with Optuna; every trial is a
real training run.

    python tools/sweep.py CONFIG --space SPACE.py --study NAME [--trials N]
        [--storage URL] [--sampler tpe|random|grid] [--pruner median|
        hyperband|none] [--gpus K] [--enqueue KEY=V ...] [--seed S]
        [--worker-id ID] [--max-failures N] [--retry-failed] [--check]
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

from .storage import open_storage

__all__ = ['parse_args', 'main', 'open_storage']


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog='tools/sweep.py',
        description='Hyper-parameter sweeps with Optuna; every trial is a '
        'real training run')
    p.add_argument('config', help='training config')
    p.add_argument('--space', help='space file (see sweeps/)')
    p.add_argument('--study', required=True, help='study name')
    p.add_argument('--trials', type=int,
                   help='finished trials the study should hold (not with '
                   '--sampler grid, which runs every grid point once)')
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
    p.add_argument('--seed', type=int,
                   help='base sampler seed; each worker samples with a seed '
                   'derived from it, its worker id and its restart count')
    p.add_argument('--worker-id',
                   help='this worker\'s identity in the study (default: the '
                   'Slurm array task, else <host>-<pid>); with --seed, the '
                   'same ids reproduce the same study')
    p.add_argument('--max-failures', type=int, default=3,
                   help='stop this worker after N trials failed in a row '
                   '(default 3)')
    p.add_argument('--retry-failed', action='store_true',
                   help='grid: run each failed point once more')
    p.add_argument('--work-root', default='work_dirs/sweeps',
                   help='trials go to WORK_ROOT/<study>/trial_<n>')
    p.add_argument('--heartbeat', type=float, default=30.,
                   help='seconds between heartbeats of a running trial')
    p.add_argument('--grace', type=float, default=300.,
                   help='a running trial without heartbeat for this long '
                   'belongs to a dead worker and is retried')
    p.add_argument('--max-retry', type=int, default=2,
                   help='retries of a trial whose worker died or whose '
                   'storage went away')
    p.add_argument('--kill-grace', type=float, default=5.,
                   help='seconds between SIGTERM and SIGKILL when a '
                   'training is ended')
    p.add_argument('--check', action='store_true',
                   help='check the config, the space and the storage (and '
                   'create the study), run no trial')
    p.add_argument('--summary', action='store_true',
                   help='print the best trials and importances, save plots '
                   'and the best config; run no trial')
    p.add_argument('--best-epochs', type=int,
                   help='--summary: max_epochs of best_config.py (default: '
                   'the base config\'s)')
    p.add_argument('--top', type=int, default=5)
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='fixed overrides applied to every trial')
    return p.parse_args(argv)


def _cfg_options(items):
    from mmengine.config import DictAction
    ns = argparse.Namespace()
    DictAction(option_strings=[], dest='o')(None, ns, items)
    return ns.o


def _open_study(args, storage, space, direction, sampler):
    """Create or load the study; refuse one made with another direction or
    another space."""
    import optuna

    from .space import SweepError, space_differences, space_record
    study = optuna.create_study(study_name=args.study, storage=storage,
                                sampler=sampler, direction=direction,
                                load_if_exists=True)
    if study.direction.name.lower() != direction:
        raise SweepError(
            f'study {args.study!r} exists with direction '
            f'{study.direction.name.lower()}, the config asks for '
            f'{direction}')
    stored = study.user_attrs.get('space')
    if stored is None:
        study.set_user_attr('space', space_record(space))
        study.set_user_attr('sampler', args.sampler)
    else:
        diff = space_differences(stored, space)
        if diff:
            raise SweepError(
                f'study {args.study!r} was created with another space; '
                f'differing keys: {"; ".join(diff)} (use a new --study name)')
    return study


def main(argv=None) -> int:
    args = parse_args(argv)
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings('ignore', category=optuna.exceptions.
                            ExperimentalWarning)
    from mmext.utils import ConfigError, load_config
    from .space import (SweepError, check_space, grid_points, load_space,
                        parse_enqueue)
    from .storage import redact
    from .trial_config import objective_spec
    from .worker import (SweepWorker, derive_seed, make_pruner, make_sampler,
                         register_worker, unregister_worker, worker_identity)
    sweep_dir = osp.abspath(osp.join(args.work_root, args.study))
    storage_url = args.storage or \
        f'sqlite:///{osp.join(sweep_dir, "study.db")}'
    try:
        cfg = load_config(args.config,
                          _cfg_options(args.cfg_options) or None)
        metric, direction = objective_spec(cfg, args.metric, args.direction,
                                           args.config)
        if args.summary:
            from .summary import summarize
            storage = open_storage(storage_url)
            base = load_config(args.config, None)
            epochs = args.best_epochs or \
                base.get('train_cfg', {}).get('max_epochs')
            return summarize(args.study, storage, sweep_dir, args.top,
                             metric, max_epochs=epochs)
        if not args.space:
            raise SweepError('--space is required to run trials')
        space = check_space(load_space(args.space), cfg, args.space)
        grid = None
        n_trials = args.trials
        if args.sampler == 'grid':
            grid = grid_points(space)
            if n_trials is not None and n_trials != len(grid):
                raise SweepError(
                    f'--sampler grid runs each of the {len(grid)} grid '
                    f'points once; drop --trials {n_trials}')
            n_trials = len(grid)
        elif args.retry_failed:
            raise SweepError('--retry-failed is for --sampler grid')
        if not n_trials or n_trials < 1:
            raise SweepError('--trials N (N >= 1) is required')
        if args.max_failures < 1:
            raise SweepError(f'--max-failures must be >= 1, got '
                             f'{args.max_failures}')
        enqueued = [parse_enqueue(items, space) for items in args.enqueue]
        os.makedirs(sweep_dir, exist_ok=True)
        storage = open_storage(storage_url)
        max_epochs = cfg.get('train_cfg', {}).get('max_epochs') or 1
        pruner = dict(name=args.pruner, startup=args.n_startup_trials,
                      warmup=args.n_warmup_steps, max_resource=max_epochs)
        study = _open_study(args, storage, space, direction,
                            make_sampler(args.sampler, space, None))
        study.pruner = make_pruner(**pruner)
        if args.check:
            print(f'[sweep] check passed: config {args.config}, space '
                  f'{args.space} ({len(space)} keys'
                  + (f', {len(grid)} grid points' if grid else '') +
                  f'), storage {redact(storage_url)}, study {args.study!r}')
            return 0
        worker_id = worker_identity(args.worker_id)
        restart = register_worker(study, worker_id, args.grace)
        seed = derive_seed(args.seed, worker_id, restart)
        study.sampler = make_sampler(args.sampler, space, seed)
        for params in enqueued:
            study.enqueue_trial(params, skip_if_exists=True)
    except (SweepError, ConfigError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'[sweep] study {args.study!r} in {redact(storage_url)}: '
          f'{direction} {metric}, '
          + (f'grid of {n_trials} points'
             if grid else f'target {n_trials} finished trials') +
          f'; trial dirs in {sweep_dir}/', flush=True)
    print(f'[sweep] worker {worker_id!r}, start {restart + 1}, sampler '
          f'seed {seed} (from --seed {args.seed})', flush=True)
    worker = SweepWorker(
        study, storage_url, cfg, space, metric, sweep_dir, n_trials,
        gpus=args.gpus, heartbeat=args.heartbeat, grace=args.grace,
        max_retry=args.max_retry, launcher=args.launcher,
        log=lambda m: print(m, flush=True), raw_storage=storage,
        pruner=pruner, max_failures=args.max_failures, grid=grid,
        retry_failed=args.retry_failed, worker_id=worker_id,
        grid_seed=seed, kill_grace=args.kill_grace)
    try:
        ran = worker.run()
    except SweepError as err:
        print(f'error: {err}', file=sys.stderr, flush=True)
        return 1
    finally:
        unregister_worker(study, worker_id)
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
