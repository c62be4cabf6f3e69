# Copyright (c) mmext contributors. All rights reserved.
"""Load configs and check them *before* a Runner builds anything.

mmengine reports a wrong component name or argument from deep inside a
nested build, often long after start-up and without naming the config key.
:func:`load_config` and :func:`check_config` fail early with a first line that
names the file, the key, what was found and what was expected.
"""
import difflib
import inspect
import os.path as osp
from typing import Iterable, List, Optional, Tuple

from mmengine.config import Config, DictAction  # noqa: F401
from mmengine.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOG_PROCESSORS,
                               LOOPS, METRICS, MODELS, OPTIM_WRAPPERS,
                               OPTIMIZERS, PARAM_SCHEDULERS, TRANSFORMS,
                               VISBACKENDS, VISUALIZERS, Registry)

__all__ = ['ConfigError', 'load_config', 'check_config', 'RUNNER_KEYS']


class ConfigError(ValueError):
    """A config is missing, malformed or names something that does not
    exist."""


# Keys `Runner.from_cfg` reads, plus the usual top-level config variables.
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name', 'cfg',
    'custom_imports', 'model_wrapper_cfg', 'vis_backends', 'data_root',
    'dataset_type', 'train_pipeline', 'val_pipeline', 'test_pipeline',
    'load_from_allow_mismatch', 'runner_type')


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close \
        else ''


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                check_data: bool = True) -> Config:
    """Load a config file, merge ``--cfg-options`` and check it.

    Raises:
        ConfigError: the file is missing or not a valid config, or
            :func:`check_config` finds a problem.
    """
    if not osp.isfile(path):
        raise ConfigError(
            f'config file not found: {path} (expected a Python config, e.g. '
            'configs/pose3d/motionagformer/'
            'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py)')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # syntax errors, bad _base_ paths ...
        raise ConfigError(f'cannot parse config {path}: '
                          f'{type(err).__name__}: {err}') from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    check_config(cfg, source=path, check_data=check_data)
    return cfg


_MODEL_PARTS = ('backbone', 'neck', 'head', 'loss', 'preprocessor',
                'encoder', 'fusion')


def _registry_for_path(path: str) -> Tuple[Optional[Registry], bool]:
    """The registry a ``type`` at config ``path`` is looked up in, and
    whether it must be found there (nested helpers such as a head's codec
    live in other registries and are only checked when found)."""
    parts = path.replace(']', '').replace('[', '.').split('.')
    names = [p for p in parts if not p.isdigit()]
    top, last = parts[0], names[-1]
    if top == 'model':
        required = len(parts) == 1 or any(k in last for k in _MODEL_PARTS)
        return MODELS, required
    if 'pipeline' in names or top.endswith('_pipeline'):
        # items of a pipeline list are transforms; deeper dicts (codecs,
        # nested transforms) are checked only if found
        direct = parts[-1].isdigit() and names[-1].endswith('pipeline')
        return TRANSFORMS, direct
    if top.endswith('_dataloader'):
        if last == 'sampler':
            return DATA_SAMPLERS, True
        if last in ('dataset', 'datasets'):
            return DATASETS, True
        return None, False
    table = {
        'val_evaluator': (METRICS, True),
        'test_evaluator': (METRICS, True),
        'default_hooks': (HOOKS, True),
        'custom_hooks': (HOOKS, True),
        'param_scheduler': (PARAM_SCHEDULERS, True),
        'log_processor': (LOG_PROCESSORS, True),
    }
    if top in table:
        return table[top]
    if top == 'optim_wrapper':
        if last == 'optimizer':
            return OPTIMIZERS, True
        return (OPTIM_WRAPPERS, True) if len(parts) == 1 else (None, False)
    if top == 'visualizer':
        if 'vis_backends' in names:
            return VISBACKENDS, True
        return (VISUALIZERS, True) if len(parts) == 1 else (None, False)
    if top in ('train_cfg', 'val_cfg', 'test_cfg') and len(parts) == 1:
        return LOOPS, True
    return None, False


def _walk(node, path: str):
    """Yield ``(path, dict)`` for every dict with a ``type`` key."""
    if isinstance(node, dict):
        if 'type' in node and isinstance(node['type'], str):
            yield path, node
        for key, value in node.items():
            yield from _walk(value, f'{path}.{key}' if path else key)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _walk(value, f'{path}[{i}]')


def _lookup(registry: Registry, type_name: str, scope: str):
    with registry.switch_scope_and_registry(scope) as reg:
        return reg, reg.get(type_name)


def _known_names(reg: Registry) -> List[str]:
    names, node = set(), reg
    while node is not None:
        names.update(node.module_dict)
        node = node.parent
    return sorted(names)


def _search_chain(reg: Registry) -> str:
    scopes, node = [], reg
    while node is not None:
        scopes.append(node.scope)
        node = node.parent
    return ' -> '.join(scopes)


def _check_arguments(cls, cfg_dict: dict, path: str, source: str) -> None:
    if not inspect.isclass(cls):
        return
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return
    allowed = [n for n in params if n != 'self']
    for key in cfg_dict:
        if key in ('type', '_scope_') or key in allowed:
            continue
        raise ConfigError(
            f'{source}: unknown argument {path}.{key} for '
            f'{cls.__name__} (valid arguments: {", ".join(allowed)}).'
            f'{_suggest(key, allowed)}')


def check_config(cfg: Config,
                 source: str = '<config>',
                 check_data: bool = True) -> None:
    """Check component names, arguments, top-level keys and data roots.

    Imports ``custom_imports`` and resolves every ``type`` under the config's
    ``default_scope`` in the registry its position implies (``model`` ->
    MODELS, ``*_dataloader.dataset`` -> DATASETS, pipelines -> TRANSFORMS,
    evaluators -> METRICS, hooks -> HOOKS, ...).

    Raises:
        ConfigError: with a first line naming the file and the key.
    """
    from mmengine.utils import import_modules_from_strings

    for key in cfg.keys():
        if key in RUNNER_KEYS:
            continue
        close = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=0.85)
        if close:
            raise ConfigError(
                f'{source}: unknown top-level key {key!r}; did you mean '
                f'{close[0]!r}? (the Runner would silently ignore it)')

    custom = cfg.get('custom_imports')
    if custom:
        try:
            import_modules_from_strings(**custom)
        except ImportError as err:
            raise ConfigError(
                f'{source}: custom_imports failed: {err} (expected importable '
                f'modules, got {custom.get("imports")})') from err

    scope = cfg.get('default_scope', 'mmengine') or 'mmengine'
    for path, node in _walk(cfg.to_dict(), ''):
        registry, required = _registry_for_path(path)
        if registry is None:
            continue
        type_name = node['type']
        node_scope = node.get('_scope_', scope)
        try:
            reg, cls = _lookup(registry, type_name, node_scope)
        except KeyError:
            reg, cls = None, None
        if cls is None:
            if not required:
                continue  # e.g. a codec: lives in another registry
            with registry.switch_scope_and_registry(node_scope) as reg:
                known = _known_names(reg)
                chain = _search_chain(reg)
            raise ConfigError(
                f'{source}: {path}.type={type_name!r} is not a registered '
                f'{registry.name} in scope {node_scope!r} (searched: '
                f'{chain}).{_suggest(type_name, known)} If it is your own '
                'component, list its module in custom_imports.')
        _check_arguments(cls, node, path, source)

    _check_loops(cfg, source)
    _check_dataloaders(cfg, source)
    if check_data:
        _check_data_roots(cfg, source)


def _check_dataloaders(cfg: Config, source: str) -> None:
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(split)
        if not isinstance(loader, dict):
            continue
        for key in ('batch_size', 'num_workers'):
            if key not in loader:
                continue
            value = loader[key]
            low = 1 if key == 'batch_size' else 0
            if isinstance(value, bool) or not isinstance(value, int) or \
                    value < low:
                raise ConfigError(
                    f'{source}: {split}.{key} must be an integer >= {low}, '
                    f'got {value!r} ({type(value).__name__})')


# loop arguments the Runner passes itself (not config keys)
_LOOP_RUNTIME_ARGS = ('self', 'runner', 'dataloader', 'evaluator')


def _check_loops(cfg: Config, source: str) -> None:
    """Unknown keys of ``train_cfg`` / ``val_cfg`` / ``test_cfg`` (e.g. a
    misspelt ``max_epoch``) would be passed to the loop class or, for
    mmengine's defaults, fail deep inside the Runner."""
    from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop,
                                 TestLoop, ValLoop)
    defaults = dict(val_cfg=ValLoop, test_cfg=TestLoop)
    for key in ('train_cfg', 'val_cfg', 'test_cfg'):
        loop = cfg.get(key)
        if not isinstance(loop, dict):
            continue
        loop = dict(loop)
        if 'type' in loop:
            continue  # checked with the other registered types
        if key == 'train_cfg':
            by_epoch = loop.pop('by_epoch', None)
            if by_epoch is None and 'max_iters' in loop and \
                    'max_epochs' not in loop:
                by_epoch = False
            cls = EpochBasedTrainLoop if by_epoch is not False else \
                IterBasedTrainLoop
        else:
            cls = defaults[key]
        try:
            params = inspect.signature(cls.__init__).parameters
        except (TypeError, ValueError):
            continue
        if any(p.kind == p.VAR_KEYWORD for p in params.values()):
            continue
        allowed = [n for n in params if n not in _LOOP_RUNTIME_ARGS]
        for arg in loop:
            if arg in ('type', '_scope_', 'by_epoch') or arg in allowed:
                continue
            raise ConfigError(
                f'{source}: unknown key {key}.{arg} for {cls.__name__} '
                f'(valid keys: {", ".join(allowed)}).'
                f'{_suggest(arg, allowed)}')


def _check_data_roots(cfg: Config, source: str) -> None:
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(split)
        if not isinstance(loader, dict):
            continue
        dataset = loader.get('dataset', {})
        while isinstance(dataset, dict) and 'dataset' in dataset:
            dataset = dataset['dataset']  # dataset wrappers
        if not isinstance(dataset, dict):
            continue
        root = dataset.get('data_root')
        if root and not osp.isdir(root):
            raise ConfigError(
                f'{source}: {split}.dataset.data_root={root!r} does not '
                'exist (expected a directory holding the dataset; for the '
                'demos run the generator in tools/misc/, or pass '
                f'--cfg-options {split}.dataset.data_root=PATH)')
