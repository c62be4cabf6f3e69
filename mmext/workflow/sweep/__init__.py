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
import copy
import glob
import json
import math
import os
import os.path as osp
import re
import socket
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

__all__ = [
    'SweepError', 'load_space', 'check_space', 'suggest', 'grid_space',
    'open_storage', 'objective_spec', 'has_key', 'build_trial_config',
    'SweepWorker', 'parse_enqueue', 'redact'
]

SPACE_TYPES = ('loguniform', 'uniform', 'int', 'categorical', 'preset')
_HOOK_TYPE = 'mmext.OptunaPruningHook'


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


# ------------------------------------------------------------- the config
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


def _set_key(cfg: dict, key: str, value) -> None:
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
        _set_key(data, key, value)
    hooks = [h for h in data.get('custom_hooks', []) or []
             if h.get('type') not in (_HOOK_TYPE, 'OptunaPruningHook')]
    if pruning:
        hooks.append(dict(type=_HOOK_TYPE, metric=metric))
    data['custom_hooks'] = hooks
    data.pop('work_dir', None)
    return Config(data)


# ------------------------------------------------------------ the storage
def redact(url: str) -> str:
    """The URL with its password hidden."""
    return re.sub(r'(://[^:/@]+:)[^@]*@', r'\1***@', url)


def _journal_path(url: str) -> Optional[str]:
    if url.startswith('journal:'):
        path = url[len('journal:'):]
        return path[2:] if path.startswith('//') else path
    if '://' not in url and url.endswith(('.log', '.journal', '.jsonl')):
        return url
    return None


def _pg_driver(url: str) -> str:
    """SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3; use psycopg2
    (the pinned driver) when psycopg 3 is not installed."""
    if not url.startswith('postgresql://'):
        return url
    import importlib.util
    if importlib.util.find_spec('psycopg') is None and \
            importlib.util.find_spec('psycopg2') is not None:
        return 'postgresql+psycopg2://' + url[len('postgresql://'):]
    return url


def open_storage(url: str):
    """An Optuna storage for ``url``.

    * ``sqlite:///path.db`` (the default, one machine);
    * ``journal:///path/file.log`` or a path ending in ``.log`` /
      ``.journal``: Optuna's journal file on a shared filesystem;
    * ``postgresql://user[:password]@host:port/db`` (many machines).

    Raises:
        SweepError: one line saying why the storage cannot be opened.
    """
    import optuna
    path = _journal_path(url)
    shown = redact(url)
    try:
        if path is not None:
            from optuna.storages.journal import (JournalFileBackend,
                                                 JournalStorage)
            folder = osp.dirname(osp.abspath(path))
            if not osp.isdir(folder):
                raise SweepError(f'journal storage {path}: folder {folder} '
                                 'does not exist')
            return JournalStorage(JournalFileBackend(path))
        if url.startswith('sqlite:'):
            folder = osp.dirname(osp.abspath(url.split(':///', 1)[-1]))
            if not osp.isdir(folder):
                raise SweepError(f'storage {url}: folder {folder} does not '
                                 'exist')
            kwargs = dict(connect_args=dict(timeout=120))
        elif url.startswith(('postgresql', 'mysql')):
            kwargs = dict(pool_pre_ping=True)
            if url.startswith('postgresql'):
                kwargs['connect_args'] = dict(connect_timeout=20)
                url = _pg_driver(url)
        else:
            raise SweepError(
                f'storage {redact(url)!r} is not understood; use '
                'sqlite:///FILE.db, journal:///FILE.log or '
                'postgresql://USER@HOST:PORT/DB')
        return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    except SweepError:
        raise
    except ImportError as err:
        raise SweepError(f'storage {shown}: a database driver is '
                         f'missing ({err}); for PostgreSQL install '
                         'psycopg2-binary') from err
    except Exception as err:  # sqlalchemy / driver errors
        reason = str(getattr(err, 'orig', None) or err).strip()
        reason = reason.splitlines()[0] if reason else type(err).__name__
        raise SweepError(f'cannot open storage {shown}: '
                         f'{reason}') from None


def make_sampler(name: str, space: dict, seed: Optional[int]):
    import optuna
    if name == 'tpe':
        return optuna.samplers.TPESampler(seed=seed)
    if name == 'random':
        return optuna.samplers.RandomSampler(seed=seed)
    if name == 'grid':
        return optuna.samplers.GridSampler(grid_space(space), seed=seed)
    raise SweepError(f'--sampler {name!r}: choose tpe, random or grid')


def make_pruner(name: str, startup: int = 2, warmup: int = 0,
                max_resource: int = 1):
    import optuna
    if name == 'median':
        return optuna.pruners.MedianPruner(n_startup_trials=startup,
                                           n_warmup_steps=warmup)
    if name == 'hyperband':
        return optuna.pruners.HyperbandPruner(min_resource=1,
                                              max_resource=max_resource)
    if name == 'none':
        return optuna.pruners.NopPruner()
    raise SweepError(f'--pruner {name!r}: choose median, hyperband or none')


def _terminate_tree(pid: int) -> None:
    """SIGTERM ``pid`` and its descendants (``dist_train.sh`` runs torchrun
    as a child of bash, which does not pass signals on)."""
    import signal
    children = {}
    for stat in glob.glob('/proc/[0-9]*/stat'):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(
            int(stat.split('/')[2]))
    todo, found = [pid], []
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    for p in found:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_curve(work_dir: str, metric: str) -> Dict[int, float]:
    """Step -> validation ``metric`` over every run in ``work_dir``."""
    from mmext.workflow.results import val_curve
    return val_curve(work_dir, metric)


# -------------------------------------------------------------- the worker
class SweepWorker:
    """Pulls trials from one study until it holds ``n_trials`` that
    finished (complete or pruned) or are running.

    Every trial is a training run ``bash tools/dist_train.sh TRIAL_CONFIG
    GPUS --work-dir <sweep dir>/trial_<n>``. While it runs, a thread writes
    the trial's ``heartbeat`` user attribute; a running trial whose
    heartbeat is older than ``grace`` seconds belongs to a dead worker: the
    next worker that looks marks it failed and enqueues it again (up to
    ``max_retry`` times), and the retry resumes from the dead trial's last
    checkpoint in the same work dir.
    """

    def __init__(self, study, storage_url: str, cfg: Config, space: dict,
                 metric: str, sweep_dir: str, n_trials: int, gpus: int = 1,
                 heartbeat: float = 30., grace: float = 120.,
                 max_retry: int = 2, launcher: str = 'dist',
                 log=print, raw_storage=None,
                 pruner: Optional[dict] = None) -> None:
        self.study = study
        self.pruner = pruner or dict(name='median')
        self.raw_storage = raw_storage or open_storage(storage_url)
        self.storage_url = storage_url
        self.cfg = cfg
        self.space = space
        self.metric = metric
        self.sweep_dir = sweep_dir
        self.n_trials = n_trials
        self.gpus = gpus
        self.heartbeat = heartbeat
        self.grace = grace
        self.max_retry = max_retry
        self.launcher = launcher
        self.log = log
        self.root = osp.dirname(osp.dirname(osp.dirname(
            osp.abspath(__file__))))

    # -- bookkeeping --------------------------------------------------------
    def _trials(self):
        return self.study.get_trials(deepcopy=False)

    def recover_stale(self) -> int:
        """Fail and re-enqueue running trials whose worker died."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState
        now, found = time.time(), 0
        storage = self.raw_storage
        for t in self._trials():
            if t.state != TrialState.RUNNING:
                continue
            beat = t.user_attrs.get('heartbeat')
            if beat is None and t.datetime_start is not None:
                beat = t.datetime_start.timestamp()
            if beat is None or now - beat < self.grace:
                continue
            # the reason first: a finished trial takes no attributes; the
            # worker whose FAIL goes through (one only) enqueues the retry
            try:
                storage.set_trial_user_attr(
                    t._trial_id, 'fail_reason',
                    f'no heartbeat for {now - beat:.0f} s (worker died)')
                storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
            except (UpdateFinishedTrialError, RuntimeError):
                continue  # another worker got there first
            found += 1
            retries = t.user_attrs.get('retries', 0)
            if retries >= self.max_retry:
                self.log(f'[sweep] trial {t.number}: worker died, '
                         f'{retries} retries used; not retried')
                continue
            self.study.enqueue_trial(
                t.params,
                user_attrs=dict(retry_of=t.number, retries=retries + 1,
                                work_dir=t.user_attrs.get('work_dir')))
            self.log(f'[sweep] trial {t.number}: worker died; enqueued '
                     'again (resumes from its last checkpoint)')
        return found

    # -- one trial ----------------------------------------------------------
    def _beat(self, trial, stop: threading.Event, proc) -> None:
        from optuna.exceptions import UpdateFinishedTrialError
        while not stop.wait(self.heartbeat):
            try:
                trial.set_user_attr('heartbeat', time.time())
            except UpdateFinishedTrialError:
                # another worker took this trial for dead (its heartbeat
                # came too late) and will retry it: stop training here so
                # that two runs never share the work dir
                self.log(f'[sweep] trial {trial.number} was declared dead '
                         'by another worker; stopping its run here')
                self._lost = True
                _terminate_tree(proc.pid)
                return
            except Exception as err:  # storage hiccup: try next time
                self.log(f'[sweep] heartbeat failed: {err}')

    def _command(self, cfg_path: str, work_dir: str, resume: bool):
        python = os.environ.get('PYTHON', sys.executable)
        if self.launcher == 'none':
            cmd = [python, osp.join(self.root, 'tools/train.py'), cfg_path]
        else:
            cmd = ['bash', osp.join(self.root, 'tools/dist_train.sh'),
                   cfg_path, str(self.gpus)]
        cmd += ['--work-dir', work_dir]
        if resume:
            cmd.append('--resume')
        return cmd

    def run_trial(self, trial) -> None:
        from optuna.trial import TrialState
        t_start = time.time()
        trial.set_user_attr('heartbeat', t_start)
        params, options = suggest(trial, self.space)
        work_dir = trial.user_attrs.get('work_dir') or osp.join(
            self.sweep_dir, f'trial_{trial.number}')
        os.makedirs(work_dir, exist_ok=True)
        trial.set_user_attr('work_dir', work_dir)
        cfg_path = osp.join(work_dir, 'trial_config.py')
        build_trial_config(self.cfg, options, self.metric).dump(cfg_path)
        resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        env = dict(os.environ)
        env.update({
            'MMEXT_SWEEP_STORAGE': self.storage_url,
            'MMEXT_SWEEP_STUDY': self.study.study_name,
            'MMEXT_SWEEP_TRIAL_ID': str(trial._trial_id),
            'MMEXT_SWEEP_PRUNER': json.dumps(self.pruner),
            'PORT': str(_free_port()),
            'PYTHONPATH': self.root + os.pathsep + env.get('PYTHONPATH', ''),
        })
        env.setdefault('PYTHON', sys.executable)
        desc = ', '.join(f'{k}={v}' for k, v in params.items())
        self.log(f'[sweep] trial {trial.number} starts: {desc}' +
                 (' (resuming)' if resume else ''))
        stop = threading.Event()
        self._lost = False
        with open(osp.join(work_dir, 'sweep_train.log'), 'ab') as out:
            proc = subprocess.Popen(
                self._command(cfg_path, work_dir, resume), env=env,
                stdout=out, stderr=subprocess.STDOUT, cwd=os.getcwd())
            beat = threading.Thread(target=self._beat,
                                    args=(trial, stop, proc), daemon=True)
            beat.start()
            try:
                rc = proc.wait()
            finally:
                stop.set()
                beat.join()
        if self._lost:
            return  # the trial is FAIL already and retried elsewhere
        wall = time.time() - t_start
        trial.set_user_attr('trial_seconds', wall)
        # read what the training process wrote, past Optuna's per-process
        # cache of the trials this process owns
        attrs = self.raw_storage.get_trial(trial._trial_id).user_attrs
        if rc != 0:
            trial.set_user_attr(
                'fail_reason', f'training exited with code {rc}; see '
                f'{osp.join(work_dir, "sweep_train.log")}')
            self.study.tell(trial, state=TrialState.FAIL)
            self.log(f'[sweep] trial {trial.number} FAILED (exit code {rc})')
            return
        if 'pruned_at_step' in attrs:
            self.study.tell(trial, state=TrialState.PRUNED)
            self.log(f'[sweep] trial {trial.number} pruned at step '
                     f'{attrs["pruned_at_step"]} ({wall:.0f} s)')
            return
        curve = {k: v for k, v in read_curve(work_dir, self.metric).items()
                 if math.isfinite(v)}
        if not curve:
            trial.set_user_attr('fail_reason',
                                f'no validation value of {self.metric!r}')
            self.study.tell(trial, state=TrialState.FAIL)
            self.log(f'[sweep] trial {trial.number} FAILED: no validation '
                     f'value of {self.metric}')
            return
        pick = min if self.study.direction.name == 'MINIMIZE' else max
        best_step = pick(curve, key=curve.get)
        trial.set_user_attr('best_step', best_step)
        self.study.tell(trial, curve[best_step])
        self.log(f'[sweep] trial {trial.number} done: {self.metric}='
                 f'{curve[best_step]:.6g} (step {best_step}, {wall:.0f} s)')

    # -- the loop -----------------------------------------------------------
    def run(self) -> int:
        """Run trials until ``n_trials`` of the study finished (complete
        or pruned); returns how many this worker ran."""
        from optuna.trial import TrialState
        taken = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        ran = 0
        while True:
            self.recover_stale()
            trials = self._trials()
            finished = sum(t.state in taken[:2] for t in trials)
            running = sum(t.state == TrialState.RUNNING for t in trials)
            if finished >= self.n_trials:
                return ran
            if finished + running >= self.n_trials:
                # the last trials run elsewhere: wait for them to finish,
                # or to go stale and come back as retries
                time.sleep(min(self.heartbeat, 5.0))
                continue
            trial = self.study.ask()
            ahead = [t for t in self._trials()
                     if t.number < trial.number and t.state in taken]
            if len(ahead) >= self.n_trials:
                # another worker took the last slot at the same moment
                trial.set_user_attr('fail_reason', 'surplus (not run)')
                self.study.tell(trial, state=TrialState.FAIL)
                continue
            try:
                self.run_trial(trial)
            except Exception as err:  # a crashed trial never stops the study
                self.log(f'[sweep] trial {trial.number} FAILED: {err!r}')
                try:
                    trial.set_user_attr('fail_reason', repr(err))
                    self.study.tell(trial, state=TrialState.FAIL)
                except Exception:
                    pass
            ran += 1
