# Copyright (c) mmext contributors. All rights reserved.
"""Read what training and test runs leave in their work dirs.

A work dir (``tools/train.py --work-dir``) holds one folder per run, named by
its start time ``YYYYmmdd_HHMMSS``, with

* ``<ts>.log``: the text log (environment, config, per-action tables);
* ``vis_data/scalars.json``: one JSON record per logged training iteration
  (``loss``, ``lr``, ``time`` ...) or validation (metrics, ``step`` =
  epoch);
* ``vis_data/config.py``: the merged config of that run;
* ``<ts>.json`` for a test run (``tools/test.py``): its metrics.

An *experiment* is one work dir, or a folder of seed runs
``seed_<k>/`` (``tools/train_seeds.py``). Nothing here makes up a value: a
missing quantity is ``None``.
"""
import ast
import datetime
import json
import math
import os.path as osp
import re
from glob import glob
from typing import Dict, List, Optional

import numpy as np

__all__ = [
    'runs', 'val_curve', 'train_curve', 'test_metrics', 'lookup',
    'run_config', 'timing', 'per_group_table', 'per_sample_groups',
    'complexity', 'Experiment',
    'discover', 'stat', 'config_parent', 'flatten', 'config_diff'
]

_TS = re.compile(r'^\d{8}_\d{6}$')
_LOG_TIME = re.compile(r'^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) - ')


def runs(work_dir: str) -> List[str]:
    """The run folders of ``work_dir``, oldest first."""
    return sorted(d for d in glob(osp.join(work_dir, '*'))
                  if osp.isdir(d) and _TS.match(osp.basename(d)))


def _records(run: str) -> List[dict]:
    path = osp.join(run, 'vis_data', 'scalars.json')
    if not osp.isfile(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass  # a line cut by a kill
    return out


def get_key(cfg: dict, key: str, default=None):
    """``cfg`` at the dotted ``key`` (list items by index), else
    ``default``."""
    node = cfg
    for part in key.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


def lookup(metrics: dict, key: str):
    """``metrics[key]`` allowing a prefix on either side (``'pose/MPJPE'``
    for ``'MPJPE'``); None if absent."""
    if not metrics:
        return None
    if key in metrics:
        return metrics[key]
    for k, v in metrics.items():
        if k.endswith('/' + key) or key.endswith('/' + k):
            return v
    return None


def val_curve(work_dir: str, key: str) -> Dict[int, float]:
    """Step (epoch for epoch-based runs) -> validation ``key`` over every
    training run of ``work_dir``; a resumed run overrides the steps it
    repeats."""
    curve = {}
    for run in runs(work_dir):
        for rec in _records(run):
            if 'loss' in rec or 'lr' in rec:
                continue
            value = lookup(rec, key)
            if value is not None and 'step' in rec:
                curve[int(rec['step'])] = float(value)
    return curve


def train_curve(work_dir: str, key: str = 'loss') -> Dict[int, float]:
    """Iteration -> training scalar ``key`` (``loss``, ``lr``, ...)."""
    curve = {}
    for run in runs(work_dir):
        for rec in _records(run):
            if 'lr' in rec and key in rec and 'step' in rec:
                curve[int(rec['step'])] = float(rec[key])
    return curve


def test_metrics(work_dir: str) -> Optional[dict]:
    """Metrics of the newest test run (``<ts>/<ts>.json``), or None."""
    for run in reversed(runs(work_dir)):
        path = osp.join(run, f'{osp.basename(run)}.json')
        if osp.isfile(path):
            with open(path) as f:
                lines = [json.loads(x) for x in f if x.strip()]
            if lines:
                return lines[-1]
    return None


def run_config(work_dir: str):
    """The merged config of the newest run (``vis_data/config.py``), or the
    config dumped at the top of the work dir; None if neither exists.

    The dump is read as data (:func:`mmext.fileio.read_config_dict`: an AST
    read of its literals), never executed: a work dir shared by a colleague
    or downloaded with a paper cannot run code when it is tabulated.

    Returns:
        mmengine.config.ConfigDict | None
    """
    from mmengine.config import ConfigDict

    from mmext.fileio import DataFormatError, read_config_dict
    cands = [osp.join(r, 'vis_data', 'config.py')
             for r in reversed(runs(work_dir))]
    cands += sorted(glob(osp.join(work_dir, '*.py')))
    for path in cands:
        if osp.isfile(path):
            try:
                return ConfigDict(read_config_dict(path))
            except DataFormatError:
                continue
    return None


def config_name(work_dir: str) -> Optional[str]:
    """The config's file name, as the Runner dumped it into the work dir
    (``<work_dir>/<config name>.py``)."""
    names = sorted(osp.basename(p) for p in glob(osp.join(work_dir, '*.py')))
    named = [n for n in names  # sweep trials and their test runs
             if n not in ('trial_config.py', 'test_trial_config.py')]
    return (named or names or [None])[0]


def _log_times(path: str):
    first = start = last = None
    with open(path, errors='replace') as f:
        for line in f:
            m = _LOG_TIME.match(line)
            if not m:
                continue
            t = datetime.datetime.strptime(m.group(1), '%Y/%m/%d %H:%M:%S')
            first = first or t
            if start is None and ('Checkpoints will be saved' in line
                                  or 'Epoch(train)' in line
                                  or 'Iter(train)' in line):
                start = t
            last = t
    return first, start, last


def _header_value(path: str, name: str) -> Optional[str]:
    with open(path, errors='replace') as f:
        for i, line in enumerate(f):
            if line.strip().startswith(name + ':'):
                return line.split(':', 1)[1].strip()
            if i > 200:
                break
    return None


def timing(work_dir: str) -> dict:
    """Training time, world size, GPU-hours and throughput of a work dir.

    * ``train_seconds``: per training run, from the first training line to
      the last line of its log (log timestamps have 1 s resolution);
    * ``world_size``: the log header's ``GPU number`` (processes);
    * ``gpu_hours``: ``train_seconds x world_size / 3600`` (process-hours on
      a CPU machine, see ``device``);
    * ``samples_per_s``: ``batch_size x world_size / mean iteration time``
      over the logged training iterations.
    """
    total, world, device = 0.0, None, None
    iter_times = []
    for run in runs(work_dir):
        log = osp.join(run, f'{osp.basename(run)}.log')
        recs = [r for r in _records(run) if 'lr' in r]
        if not osp.isfile(log) or not recs:
            continue  # a test run, or a run that never trained
        _, start, last = _log_times(log)
        if start is not None and last is not None:
            total += (last - start).total_seconds()
        n = _header_value(log, 'GPU number')
        world = int(n) if n and n.isdigit() else world
        cuda = _header_value(log, 'CUDA available')
        gpu = _header_value(log, 'GPU 0')
        device = gpu if gpu else ('CPU' if cuda == 'False' else device)
        iter_times += [r['time'] for r in recs if 'time' in r]
    out = dict(train_seconds=total or None, world_size=world, device=device,
               gpu_hours=None, samples_per_s=None)
    if total and world:
        out['gpu_hours'] = total * world / 3600.
    cfg = run_config(work_dir)
    batch = None
    if cfg is not None:
        batch = cfg.get('train_dataloader', {}).get('batch_size')
    if iter_times and batch and world:
        out['samples_per_s'] = batch * world / float(np.mean(iter_times))
    return out


def epochs_trained(work_dir: str) -> Optional[int]:
    """The last epoch with a training record."""
    ep = [r['epoch'] for run in runs(work_dir) for r in _records(run)
          if 'lr' in r and 'epoch' in r]
    return int(max(ep)) if ep else None


def per_group_table(work_dir: str, title: str = '3D pose errors'
                    ) -> Optional[dict]:
    """The last per-group table a metric printed in the newest test log.

    Reads tables such as Pose3DMetric's per-action table::

        +--------+--------+-------+---------+
        | action | frames | MPJPE | P-MPJPE |
        +--------+--------+-------+---------+
        | Walk   |    120 | 40.12 |   31.50 |
        ...

    Returns:
        dict: ``{'columns': [...], 'rows': {group: {column: value}}}``
        (the ``Average`` row included), or None.
    """
    for run in reversed(runs(work_dir)):
        log = osp.join(run, f'{osp.basename(run)}.log')
        if not osp.isfile(log) or not osp.isfile(
                osp.join(run, f'{osp.basename(run)}.json')):
            continue
        with open(log, errors='replace') as f:
            lines = f.read().splitlines()
        starts = [i for i, x in enumerate(lines) if title in x]
        if not starts:
            continue
        rows, header = [], None
        for line in lines[starts[-1] + 1:]:
            if line.startswith('+'):
                continue
            if not line.startswith('|'):
                break
            cells = [c.strip() for c in line.strip('|').split('|')]
            if header is None:
                header = cells
            else:
                rows.append(cells)
        if header is None:
            continue
        table = {}
        for cells in rows:
            entry = {}
            for h, c in zip(header[1:], cells[1:]):
                try:
                    entry[h] = float(c)
                except ValueError:
                    entry[h] = None
            table[cells[0]] = entry
        return dict(columns=header[1:], rows=table)
    return None


def per_sample_groups(work_dir: str, metric: str) -> Optional[dict]:
    """Per-group means of a per-sample file (``tools/test.py
    --per-sample``) in ``work_dir``: per action for pose, per class
    (accuracy) for action recognition; the ``Average`` row is the mean of
    the group means. Same layout as :func:`per_group_table`."""
    files = sorted(glob(osp.join(work_dir, 'per_sample*.json')))
    if not files:
        return None
    with open(files[0]) as f:
        data = json.load(f)
    values = lookup(data.get('metrics', {}), metric)
    if values is None:
        return None
    groups: Dict[str, list] = {}
    for sid, v in values.items():
        groups.setdefault(str(data['groups'].get(sid)), []).append(v)
    rows = {g: {metric: float(np.mean(v))} for g, v in sorted(
        groups.items(), key=lambda kv: (len(kv[0]), kv[0]))}
    rows['Average'] = {metric: float(np.mean([r[metric]
                                              for r in rows.values()]))}
    return dict(columns=[metric], rows=rows)


def complexity(work_dir: str) -> dict:
    """``complexity.json`` (written by ``get_flops.py --out``): params and
    FLOPs (MACs); empty if absent."""
    path = osp.join(work_dir, 'complexity.json')
    if osp.isfile(path):
        with open(path) as f:
            return json.load(f)
    return {}


# ------------------------------------------------------------ experiments
def stat(values: List[Optional[float]]) -> dict:
    """Mean, sample std (ddof=1; None for one value) and n of the values
    that exist."""
    vals = [float(v) for v in values
            if v is not None and not (isinstance(v, float) and
                                      math.isnan(v))]
    if not vals:
        return dict(mean=None, std=None, n=0, values=[])
    std = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return dict(mean=float(np.mean(vals)), std=std, n=len(vals),
                values=vals)


class Experiment:
    """One config trained once or under several seeds.

    Args:
        path (str): a work dir, or a folder of ``seed_<k>`` work dirs.
        name (str, optional): defaults to the folder name.
    """

    def __init__(self, path: str, name: Optional[str] = None) -> None:
        self.path = osp.normpath(path)
        self.name = name or osp.basename(self.path)
        seeds = sorted(glob(osp.join(self.path, 'seed_*')),
                       key=lambda p: int(re.sub(r'\D', '', osp.basename(p))
                                         or 0))
        self.seed_dirs = [p for p in seeds if osp.isdir(p)]
        self.work_dirs = self.seed_dirs or [self.path]

    @property
    def first(self) -> str:
        return self.work_dirs[0]

    def config(self):
        return run_config(self.first)

    def config_name(self) -> Optional[str]:
        return config_name(self.first)

    def metric(self, column: str, key: str, rule: str = 'less') -> dict:
        """Mean ± std over seeds of one column for metric ``key``.

        Columns: ``test`` (newest test run), ``best`` / ``last`` (the
        validation curve), ``params``, ``flops`` (complexity.json),
        ``samples_per_s``, ``epochs``, ``gpu_hours``, ``train_seconds``.
        """
        vals = []
        for wd in self.work_dirs:
            if column == 'test':
                vals.append(lookup(test_metrics(wd) or {}, key))
            elif column in ('best', 'last', 'best_epoch'):
                curve = val_curve(wd, key)
                if not curve:
                    vals.append(None)
                    continue
                pick = min if rule == 'less' else max
                best = pick(curve, key=curve.get)
                vals.append(dict(best=curve[best], best_epoch=best,
                                 last=curve[max(curve)])[column])
            elif column in ('params', 'flops'):
                vals.append(complexity(wd).get(column))
            elif column == 'epochs':
                vals.append(epochs_trained(wd))
            elif column in ('gpu_hours', 'samples_per_s', 'train_seconds'):
                vals.append(timing(wd)[column])
            else:
                raise KeyError(f'unknown column {column!r}')
        return stat(vals)


def discover(paths: List[str]) -> List[Experiment]:
    """Experiments for the given folders (missing ones raise)."""
    missing = [p for p in paths if not osp.isdir(p)]
    if missing:
        raise FileNotFoundError(f'work dir not found: {missing[0]}')
    return [Experiment(p) for p in paths]


# ---------------------------------------------------------- config family
def config_parent(config_file: str) -> Optional[str]:
    """The first ``_base_`` of a config file (absolute path), if that is a
    leaf config (not a ``_base_/`` fragment)."""
    try:
        tree = ast.parse(open(config_file).read())
    except (OSError, SyntaxError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            try:
                base = ast.literal_eval(node.value)
            except ValueError:
                return None
            bases = [base] if isinstance(base, str) else list(base)
            for b in bases:
                path = osp.normpath(osp.join(osp.dirname(config_file), b))
                if '_base_' not in path.split(osp.sep):
                    return path
    return None


def flatten(node, prefix: str = '') -> Dict[str, object]:
    """Nested dicts/lists -> ``{'a.b.0.c': value}``."""
    out = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(flatten(v, f'{prefix}{k}.'))
    elif isinstance(node, (list, tuple)) and node and any(
            isinstance(v, (dict, list, tuple)) for v in node):
        for i, v in enumerate(node):
            out.update(flatten(v, f'{prefix}{i}.'))
    else:
        out[prefix[:-1]] = list(node) if isinstance(node, tuple) else node
    return out


_IGNORED = ('work_dir', 'experiment_name', 'launcher', 'load_from',
            'resume', 'cfg', 'filename')


def config_diff(base_cfg, cfg) -> List[tuple]:
    """``[(key, base value, value)]`` where two merged configs differ
    (run bookkeeping such as ``work_dir`` left out); a key one config
    lacks shows as ``'(absent)'``."""
    a = flatten(base_cfg.to_dict() if base_cfg is not None else {})
    b = flatten(cfg.to_dict() if cfg is not None else {})
    out = []
    for key in sorted(set(a) | set(b)):
        if key.split('.')[0] in _IGNORED:
            continue
        va, vb = a.get(key, '(absent)'), b.get(key, '(absent)')
        if va != vb:
            out.append((key, va, vb))
    return out
