# Copyright (c) mmext contributors. All rights reserved.
"""The trial config: the base config, the trial's values and the pruning
hook, and the objective (metric, direction) read from the config."""
import copy
from typing import Optional, Tuple

from mmengine.config import Config

from .space import SweepError

__all__ = ['objective_spec', 'build_trial_config', 'set_key']

_HOOK_TYPE = 'mmext.OptunaPruningHook'


def objective_spec(cfg: Config, metric: Optional[str],
                   direction: Optional[str],
                   source: str) -> Tuple[str, str]:
    """The metric and direction: the arguments, else the config's
    ``default_hooks.checkpoint`` ``save_best`` / ``rule``."""
    ckpt = cfg.get('default_hooks', {}).get('checkpoint', {}) or {}
    if metric is None:
        metric = ckpt.get('save_best')
        if isinstance(metric, (list, tuple)):
            metric = metric[0] if metric else None
        if metric in (None, 'auto'):
            raise SweepError(
                f'{source}: default_hooks.checkpoint.save_best is '
                f'{metric!r}; the sweep needs a metric name: set it in the '
                'config or pass --metric')
    if direction is None:
        rule = ckpt.get('rule')
        if isinstance(rule, (list, tuple)):
            rule = rule[0] if rule else None
        if rule not in ('less', 'greater'):
            raise SweepError(
                f'{source}: default_hooks.checkpoint.rule is {rule!r}; the '
                "sweep needs 'less' or 'greater' there, or pass --direction")
        direction = 'minimize' if rule == 'less' else 'maximize'
    return metric, direction


def set_key(cfg: dict, key: str, value) -> None:
    parts = key.split('.')
    node = cfg
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def build_trial_config(cfg: Config, options: dict, metric: str,
                       pruning: bool = True) -> Config:
    """A complete config: ``cfg`` with ``options`` set and, for a sweep
    trial, the pruning hook appended to ``custom_hooks``."""
    data = copy.deepcopy(cfg.to_dict())
    for key, value in options.items():
        set_key(data, key, value)
    hooks = [h for h in data.get('custom_hooks', []) or []
             if h.get('type') not in (_HOOK_TYPE, 'OptunaPruningHook')]
    if pruning:
        hooks.append(dict(type=_HOOK_TYPE, metric=metric))
    data['custom_hooks'] = hooks
    data.pop('work_dir', None)
    return Config(data)
