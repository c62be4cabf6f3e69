# Copyright (c) mmext contributors. All rights reserved.
"""Hyper-parameter sweeps with Optuna over mmext configs.

A *space file* is a Python file with a ``space`` dict mapping config keys
(the dotted paths ``--cfg-options`` takes) to distributions::

    space = {
        'optim_wrapper.optimizer.lr': dict(type='loguniform', low=1e-5,
                                           high=1e-3),
        'train_dataloader.batch_size': dict(type='categorical',
                                            choices=[32, 64, 96]),
        'model.backbone.branches': dict(
            type='categorical', choices=['baseline', 'mamba_gcn', 'full']),
        # a named group of keys set together
        'size': dict(type='preset', choices=dict(
            xs={'model.backbone.arch': 'xs', 'model.head.in_channels': 64},
            b={'model.backbone.arch': 'b', 'model.head.in_channels': 128})),
    }

Types: ``loguniform`` / ``uniform`` (``low``, ``high``), ``int`` (``low``,
``high``, optional ``step``, ``log``), ``categorical`` (``choices``) and
``preset`` (``choices``: name -> ``{config key: value}``). Every config key
must exist in the config; :func:`check_space` says which one does not.
"""
import ast
import os.path as osp
from typing import Dict, List, Tuple

from mmengine.config import Config

__all__ = [
    'SweepError', 'SPACE_TYPES', 'load_space', 'check_space', 'has_key',
    'suggest', 'grid_space', 'grid_points', 'parse_enqueue', 'space_record',
    'space_differences'
]

SPACE_TYPES = ('loguniform', 'uniform', 'int', 'categorical', 'preset')


class SweepError(RuntimeError):
    """A sweep cannot start: bad space, config or storage."""


# --------------------------------------------------------------- the space
def load_space(path: str) -> dict:
    """Read ``space`` from a space file."""
    if not osp.isfile(path):
        raise SweepError(f'space file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:
        raise SweepError(f'cannot parse space file {path}: '
                         f'{type(err).__name__}: {err}') from err
    space = cfg.get('space')
    if not isinstance(space, dict) or not space:
        raise SweepError(f'{path}: expected a non-empty dict named `space` '
                         '(config key -> distribution)')
    return space.to_dict() if hasattr(space, 'to_dict') else dict(space)


def has_key(cfg: dict, key: str) -> bool:
    """Whether the dotted ``key`` exists in ``cfg`` (list items by index)."""
    from mmext.workflow.results import get_key
    missing = object()
    return get_key(cfg, key, missing) is not missing


def _plain(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def check_space(space: dict, cfg: Config, source: str = '<space>') -> dict:
    """Check every entry of ``space`` against ``cfg``.

    Returns:
        dict: the space with ``int`` entries' ``step`` filled in.

    Raises:
        SweepError: naming the first bad key and what is wrong with it.
    """
    cfg_dict = cfg.to_dict()
    out = {}

    def need_key(key, where):
        if not has_key(cfg_dict, key):
            raise SweepError(
                f'{source}: {where}names the config key {key!r}, which the '
                'config does not have (keys are dotted paths as in '
                '--cfg-options, e.g. optim_wrapper.optimizer.lr)')

    for name, spec in space.items():
        if not isinstance(spec, dict) or 'type' not in spec:
            raise SweepError(f'{source}: space[{name!r}] must be a dict with '
                             f'a type from {SPACE_TYPES}, got {spec!r}')
        kind = spec['type']
        if kind not in SPACE_TYPES:
            raise SweepError(f'{source}: space[{name!r}] has unknown type '
                             f'{kind!r}; valid types are {SPACE_TYPES}')
        allowed = dict(loguniform={'low', 'high'}, uniform={'low', 'high'},
                       int={'low', 'high', 'step', 'log'},
                       categorical={'choices'}, preset={'choices'})[kind]
        extra = set(spec) - allowed - {'type'}
        missing = allowed - set(spec) - {'step', 'log'}
        if extra or missing:
            raise SweepError(
                f'{source}: space[{name!r}] ({kind}) needs exactly '
                f'{sorted(allowed)}; '
                + (f'unknown {sorted(extra)}' if extra else
                   f'missing {sorted(missing)}'))
        spec = dict(spec)
        if kind in ('loguniform', 'uniform', 'int'):
            low, high = spec['low'], spec['high']
            num = (int, ) if kind == 'int' else (int, float)
            if not all(isinstance(v, num) and not isinstance(v, bool)
                       for v in (low, high)) or not low < high and not (
                           kind == 'int' and low == high):
                raise SweepError(
                    f'{source}: space[{name!r}] ({kind}) needs numbers '
                    f'low < high, got low={low!r}, high={high!r}')
            if (kind == 'loguniform' or spec.get('log')) and low <= 0:
                raise SweepError(f'{source}: space[{name!r}] is log-scaled '
                                 f'and needs low > 0, got low={low!r}')
            if kind == 'int':
                spec.setdefault('step', 1)
                spec.setdefault('log', False)
            need_key(name, '')
        elif kind == 'categorical':
            choices = spec['choices']
            if not isinstance(choices, (list, tuple)) or not choices or \
                    not all(_plain(c) for c in choices):
                raise SweepError(
                    f'{source}: space[{name!r}] (categorical) needs a '
                    'non-empty list of None/bool/int/float/str choices, got '
                    f'{choices!r}')
            spec['choices'] = list(choices)
            need_key(name, '')
        else:  # preset
            choices = spec['choices']
            if not isinstance(choices, dict) or not choices or not all(
                    isinstance(v, dict) and v for v in choices.values()):
                raise SweepError(
                    f'{source}: space[{name!r}] (preset) needs choices: a '
                    'dict of name -> {config key: value}, got '
                    f'{choices!r}')
            for choice, keys in choices.items():
                for key in keys:
                    need_key(key, f'space[{name!r}] choice {choice!r} ')
                    if key in space:
                        raise SweepError(
                            f'{source}: {key!r} is both a space entry and '
                            f'set by preset {name!r}')
            spec['choices'] = {str(k): dict(v) for k, v in choices.items()}
        out[name] = spec
    return out


def _distribution(spec: dict):
    import optuna.distributions as D
    kind = spec['type']
    if kind == 'loguniform':
        return D.FloatDistribution(spec['low'], spec['high'], log=True)
    if kind == 'uniform':
        return D.FloatDistribution(spec['low'], spec['high'])
    if kind == 'int':
        return D.IntDistribution(spec['low'], spec['high'],
                                 log=spec['log'], step=spec['step'])
    choices = spec['choices']
    return D.CategoricalDistribution(
        list(choices) if kind == 'preset' else choices)


def suggest(trial, space: dict) -> Tuple[dict, dict]:
    """Draw the trial's parameters.

    Returns:
        tuple: ``(params, cfg_options)``; presets expand to their keys.
    """
    params, options = {}, {}
    for name, spec in space.items():
        kind = spec['type']
        if kind in ('loguniform', 'uniform'):
            value = trial.suggest_float(name, spec['low'], spec['high'],
                                        log=kind == 'loguniform')
        elif kind == 'int':
            value = trial.suggest_int(name, spec['low'], spec['high'],
                                      step=spec['step'], log=spec['log'])
        else:
            value = trial.suggest_categorical(name, list(spec['choices']))
        params[name] = value
        if spec['type'] == 'preset':
            options.update(spec['choices'][value])
        else:
            options[name] = value
    return params, options


def grid_space(space: dict) -> Dict[str, list]:
    """The search space of Optuna's GridSampler (categorical / preset
    choices, every value of an ``int`` range)."""
    grid = {}
    for name, spec in space.items():
        if spec['type'] in ('categorical', 'preset'):
            grid[name] = list(spec['choices'])
        elif spec['type'] == 'int' and not spec['log']:
            grid[name] = list(range(spec['low'], spec['high'] + 1,
                                    spec['step']))
        else:
            raise SweepError(
                f'--sampler grid needs categorical, preset or int entries; '
                f'space[{name!r}] is {spec["type"]} (list its values as '
                'a categorical)')
    return grid


def parse_enqueue(items: List[str], space: dict) -> dict:
    """``['key=value', ...]`` -> params of one enqueued trial."""
    params = {}
    for item in items:
        if '=' not in item:
            raise SweepError(f'--enqueue expects KEY=VALUE, got {item!r}')
        key, raw = item.split('=', 1)
        if key not in space:
            raise SweepError(f'--enqueue: {key!r} is not in the space '
                             f'(keys: {", ".join(space)})')
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        spec = space[key]
        if spec['type'] in ('categorical', 'preset'):
            inside = value in spec['choices']
        else:
            inside = isinstance(value, (int, float)) and \
                spec['low'] <= value <= spec['high']
        if not inside:
            raise SweepError(f'--enqueue: {key}={value!r} lies outside '
                             'its distribution in the space')
        params[key] = value
    missing = [k for k in space if k not in params]
    if missing:
        raise SweepError(f'--enqueue: give a value for every space key; '
                         f'missing {missing}')
    return params


def grid_points(space: dict) -> List[dict]:
    """Every point of the grid, as ``{space key: value}``, in a fixed order
    (the product of the keys' values in the space's order)."""
    import itertools
    grid = grid_space(space)
    keys = list(grid)
    return [dict(zip(keys, values))
            for values in itertools.product(*grid.values())]


def space_record(space: dict) -> str:
    """The checked space as canonical JSON (stored with the study so that a
    later worker with another space is refused)."""
    import json
    return json.dumps(space, sort_keys=True)


def space_differences(stored: str, space: dict) -> List[str]:
    """Keys whose distribution differs between a stored space record and
    ``space`` (added, removed or changed), sorted."""
    import json
    old = json.loads(stored)
    new = json.loads(space_record(space))
    out = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            out.append(f'{key} (new)')
        elif key not in new:
            out.append(f'{key} (removed)')
        elif old[key] != new[key]:
            out.append(f'{key} ({old[key]} -> {new[key]})')
    return out
