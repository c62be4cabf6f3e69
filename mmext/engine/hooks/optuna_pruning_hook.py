# Copyright (c) mmext contributors. All rights reserved.
"""Report validation results to an Optuna trial and stop pruned runs.

``tools/sweep.py`` starts each trial as an ordinary training run
(``tools/dist_train.sh``) whose config holds this hook and whose environment
names the study storage, the study and the trial id. Outside a sweep (no such
environment) the hook does nothing, so a trial's config also trains alone.

Every storage call is retried with backoff (a database restart of a few
seconds does not end the training); if the storage stays unreachable, the
hook writes ``sweep_storage_error.txt`` into the work dir before it raises,
and the worker retries the trial like one whose worker died.
"""
import math
import os
import time
from typing import Dict, Optional

from mmengine.dist import broadcast_object_list, get_rank, is_distributed
from mmengine.hooks import Hook

from mmext.registry import HOOKS

#: Environment variables a sweep worker sets for its trial's training run.
ENV_STORAGE = 'MMEXT_SWEEP_STORAGE'
ENV_STUDY = 'MMEXT_SWEEP_STUDY'
ENV_TRIAL_ID = 'MMEXT_SWEEP_TRIAL_ID'
#: JSON ``{"name", "startup", "warmup", "max_resource"}`` of the pruner (an
#: Optuna study does not store its pruner)
ENV_PRUNER = 'MMEXT_SWEEP_PRUNER'


def _pick_metric(metrics: Dict[str, float], key: str) -> Optional[float]:
    """``metrics[key]``, also when the metric carries a prefix
    (``'pose/MPJPE'`` for ``'MPJPE'``) or the key does."""
    for name, value in metrics.items():
        if name == key or name.endswith('/' + key) or \
                key.endswith('/' + name):
            return float(value)
    return None


@HOOKS.register_module()
class OptunaPruningHook(Hook):
    """Report every validation result to the sweep's Optuna trial.

    After each validation, rank 0 reports ``metric`` (step = epoch, or
    iteration for iteration-based loops) and asks the study's pruner
    whether to stop; a non-finite value (a diverged run) is pruned at once.
    The decision is broadcast to every rank and a pruned run stops cleanly
    through ``runner.train_loop.stop_training`` (as mmengine's
    ``EarlyStoppingHook`` does): the current epoch's checkpoint and logs are
    written and the process exits normally. The trial's user attributes
    record ``pruned_at_step`` and ``train_seconds`` (wall time of the train
    loop, validation included), which the sweep uses for its overhead
    figure.

    Args:
        metric (str): The validation metric to report, as the config's
            ``save_best`` names it (e.g. ``'MPJPE'``, ``'toy/mse'``).
    """

    priority = 'LOW'

    def __init__(self, metric: str) -> None:
        if not isinstance(metric, str) or not metric:
            raise ValueError('OptunaPruningHook: metric must be a metric '
                             f'name such as "MPJPE", got {metric!r}')
        self.metric = metric
        self._trial = None
        self._t0 = None

    @staticmethod
    def active() -> bool:
        return all(os.environ.get(k) for k in
                   (ENV_STORAGE, ENV_STUDY, ENV_TRIAL_ID))

    def _connect(self):
        if self._trial is None:
            import json

            import optuna

            from mmext.workflow.sweep import make_pruner, open_storage
            storage = open_storage(os.environ[ENV_STORAGE])
            pruner = None
            if os.environ.get(ENV_PRUNER):
                pruner = make_pruner(**json.loads(os.environ[ENV_PRUNER]))
            study = optuna.load_study(
                study_name=os.environ[ENV_STUDY], storage=storage,
                pruner=pruner)
            self._trial = optuna.trial.Trial(study,
                                             int(os.environ[ENV_TRIAL_ID]))
        return self._trial

    def _storage(self, runner, what: str, fn, *args, **kwargs):
        """``fn(*args)`` with the sweep's storage retries; a storage that
        stays away leaves a note for the worker, then raises."""
        from mmext.workflow.sweep.storage import (is_storage_error,
                                                  retry_storage)
        from mmext.workflow.sweep.worker import STORAGE_ERROR_FILE
        try:
            return retry_storage(fn, *args, what=what,
                                 log=runner.logger.warning, **kwargs)
        except Exception as err:
            if is_storage_error(err):
                line = (str(err).splitlines() or [''])[0]
                with open(os.path.join(runner.work_dir,
                                       STORAGE_ERROR_FILE), 'w') as f:
                    f.write(f'{what}: {type(err).__name__}: {line}\n')
            raise

    def before_train(self, runner) -> None:
        self._t0 = time.time()
        if self.active() and get_rank() == 0:
            self._storage(runner, 'connecting to the study', self._connect)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not self.active() or not metrics:
            return
        by_epoch = getattr(runner.train_loop, '_max_epochs', None) is not None
        step = runner.epoch if by_epoch else runner.iter
        decision = [False]
        if get_rank() == 0:
            value = _pick_metric(metrics, self.metric)
            if value is None:
                raise KeyError(
                    f'OptunaPruningHook: metric {self.metric!r} is not among '
                    f'the validation results {sorted(metrics)}')
            trial = self._storage(runner, 'connecting to the study',
                                  self._connect)
            if not math.isfinite(value):
                prune = True
            else:
                self._storage(runner, 'reporting', trial.report, value,
                              step=step)
                prune = self._storage(runner, 'asking the pruner',
                                      trial.should_prune)
            if prune:
                self._storage(runner, 'recording the pruning',
                              trial.set_user_attr, 'pruned_at_step',
                              int(step))
                self._storage(runner, 'recording the pruning',
                              trial.set_user_attr, 'pruned_value',
                              value if math.isfinite(value) else str(value))
            decision = [prune]
        if is_distributed():
            broadcast_object_list(decision, src=0)
        if decision[0]:
            runner.logger.info(
                f'OptunaPruningHook: trial pruned after step {step} '
                f'({self.metric}); stopping the run')
            runner.train_loop.stop_training = True

    def after_train(self, runner) -> None:
        if self.active() and get_rank() == 0 and self._t0 is not None:
            trial = self._storage(runner, 'connecting to the study',
                                  self._connect)
            self._storage(runner, 'recording the train time',
                          trial.set_user_attr, 'train_seconds',
                          time.time() - self._t0)
