# Copyright (c) mmext contributors. All rights reserved.
"""Hyper-parameter sweeps with Optuna over mmext configs.

* :mod:`.space`: space files (config key -> distribution), their checks,
  sampling, grids;
* :mod:`.trial_config`: a trial's complete config and the objective;
* :mod:`.storage`: SQLite / journal / PostgreSQL storages and storage
  retries;
* :mod:`.worker`: the worker (per-worker sampler seeds, supervised
  trainings, dead-trial retries, bounded failures, grids);
* :mod:`.supervise`: the process that owns one training's process tree;
* :mod:`.summary`: ``tools/sweep.py --summary``;
* :mod:`.cli`: ``tools/sweep.py``.

See docs/tools/sweep.md.
"""
from .space import (SPACE_TYPES, SweepError, check_space, grid_points,
                    grid_space, has_key, load_space, parse_enqueue,
                    space_differences, space_record, suggest)
from .storage import is_storage_error, open_storage, redact, retry_storage
from .trial_config import build_trial_config, objective_spec, set_key
from .worker import (SweepWorker, derive_seed, make_pruner, make_sampler,
                     read_curve, register_worker, worker_identity)

__all__ = [
    'SweepError', 'SPACE_TYPES', 'load_space', 'check_space', 'suggest',
    'grid_space', 'grid_points', 'space_record', 'space_differences',
    'open_storage', 'redact', 'retry_storage', 'is_storage_error',
    'objective_spec', 'has_key', 'build_trial_config', 'set_key',
    'SweepWorker', 'parse_enqueue', 'make_sampler', 'make_pruner',
    'derive_seed', 'register_worker', 'worker_identity', 'read_curve'
]
