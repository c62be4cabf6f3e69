# Copyright (c) mmext contributors. All rights reserved.
"""Paired comparison of two runs on the same test samples.

``tools/test.py --per-sample FILE.json`` makes a metric that supports it
(``Pose3DMetric``) write every test sample's error under a stable sample id,
with the sequence (video) each frame belongs to. :func:`compare` pairs two
such files by id and reports the mean difference with a 95% confidence
interval and the two-sided Wilcoxon signed-rank p-value.

Frames of one video are strongly correlated, so by default the *unit* of
both tests is the sequence: a cluster bootstrap that resamples whole
sequences, and the Wilcoxon test on the sequences' mean differences. With
several seeds (one per-sample file per seed and run, paired by seed), each
(seed, sequence) is a unit. ``unit='frame'`` treats every frame as
independent; the result says so.
"""
import inspect
import json
import math
import os.path as osp
from typing import Dict

import numpy as np

__all__ = [
    'enable_per_sample', 'load_per_sample', 'paired_bootstrap_ci',
    'cluster_bootstrap_ci', 'cluster_means', 'wilcoxon_signed_rank',
    'compare', 'describe', 'UNITS'
]

#: the units of :func:`compare`
UNITS = ('sequence', 'frame')


def enable_per_sample(cfg, path: str) -> int:
    """Ask every test metric that supports it to save per-sample errors
    to ``path`` (``tools/test.py --per-sample``); returns how many do.

    Raises:
        ValueError: no test metric of the config supports it.
    """
    from mmengine.registry import METRICS
    if not path.endswith('.json'):
        raise ValueError(f'--per-sample must be a .json file, got {path}')
    evaluators = cfg.test_evaluator
    items = evaluators if isinstance(evaluators, (list, tuple)) else [
        evaluators
    ]
    scope = cfg.get('default_scope', 'mmengine') or 'mmengine'
    found = 0
    for item in items:
        with METRICS.switch_scope_and_registry(scope) as reg:
            cls = reg.get(item['type'])
        if cls is not None and 'per_sample_file' in inspect.signature(
                cls.__init__).parameters:
            item['per_sample_file'] = path
            found += 1
    if not found:
        raise ValueError(
            '--per-sample: no test_evaluator metric of this config can '
            'save per-sample errors (supported: Pose3DMetric, '
            'HierarchicalActionMetric); got '
            f'{[i["type"] for i in items]}')
    return found


def load_per_sample(path: str) -> dict:
    """A per-sample file: ``{'metrics': {name: {sample id: error}},
    'groups': {sample id: action}, 'lower_is_better': bool}``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'per-sample file not found: {path}')
    with open(path) as f:
        data = json.load(f)
    if 'metrics' not in data:
        raise ValueError(f'{path}: not a per-sample file (no "metrics"; '
                         'write one with tools/test.py --per-sample)')
    return data


def paired_bootstrap_ci(diff: np.ndarray,
                        n_boot: int = 10000,
                        alpha: float = 0.05,
                        seed: int = 0) -> tuple:
    """Percentile bootstrap CI of the mean of paired differences.

    Resamples the sample indices with replacement ``n_boot`` times
    (``numpy.random.default_rng(seed).integers``) and takes the
    ``alpha/2`` and ``1 - alpha/2`` quantiles of the resampled means.
    """
    diff = np.asarray(diff, np.float64)
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, min(n_boot, 2_000_000 // max(len(diff), 1)))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, len(diff), size=(stop - start, len(diff)))
        means[start:stop] = diff[idx].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _exact_pvalue(r_plus: float, n: int) -> float:
    """Two-sided exact p-value of the signed-rank statistic (no ties,
    no zeros): the null distribution of W+ by dynamic programming."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    probs = counts / counts.sum()
    w = int(round(r_plus))
    lower = probs[:w + 1].sum()
    upper = probs[w:].sum()
    return float(min(1.0, 2 * min(lower, upper)))


def wilcoxon_signed_rank(diff) -> Dict[str, float]:
    """Two-sided Wilcoxon signed-rank test of paired differences.

    Zero differences are dropped (Wilcox's method), ties get average
    ranks. The statistic is ``min(W+, W-)``. For up to 50 differences
    without ties the p-value is exact; otherwise the normal approximation
    with the tie correction of the variance (no continuity correction).
    """
    from scipy.stats import norm, rankdata
    d = np.asarray(diff, np.float64)
    d = d[d != 0]
    n = len(d)
    if n == 0:
        return dict(statistic=0.0, pvalue=1.0, n=0, method='none')
    ranks = rankdata(np.abs(d))
    r_plus = float(ranks[d > 0].sum())
    r_minus = float(ranks[d < 0].sum())
    stat = min(r_plus, r_minus)
    ties = len(np.unique(np.abs(d))) < n
    if n <= 50 and not ties:
        return dict(statistic=stat, pvalue=_exact_pvalue(r_plus, n), n=n,
                    method='exact')
    mean = n * (n + 1) / 4
    _, counts = np.unique(np.abs(d), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - (counts**3 - counts).sum() / 48
    z = (stat - mean) / math.sqrt(var)
    return dict(statistic=stat, pvalue=float(min(1.0, 2 * norm.cdf(z))),
                n=n, method='normal')


def cluster_bootstrap_ci(diff: np.ndarray,
                         clusters,
                         n_boot: int = 10000,
                         alpha: float = 0.05,
                         seed: int = 0) -> tuple:
    """Percentile cluster-bootstrap CI of the mean of paired differences.

    Resamples whole clusters (sequences) with replacement ``n_boot`` times
    (``numpy.random.default_rng(seed).integers`` over the sorted cluster
    labels) and takes, for each resample, the mean over all frames of the
    drawn clusters (a cluster drawn twice counts twice); the CI is the
    ``alpha/2`` and ``1 - alpha/2`` quantiles of those means.
    """
    diff = np.asarray(diff, np.float64)
    labels, inverse = np.unique(np.asarray(clusters).astype(str),
                                return_inverse=True)
    sums = np.bincount(inverse, weights=diff, minlength=len(labels))
    counts = np.bincount(inverse, minlength=len(labels)).astype(np.float64)
    rng = np.random.default_rng(seed)
    k = len(labels)
    means = np.empty(n_boot)
    chunk = max(1, min(n_boot, 2_000_000 // max(k, 1)))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, k, size=(stop - start, k))
        means[start:stop] = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def cluster_means(diff: np.ndarray, clusters) -> tuple:
    """``(labels, mean difference per cluster, frames per cluster)``, the
    labels sorted."""
    diff = np.asarray(diff, np.float64)
    labels, inverse = np.unique(np.asarray(clusters).astype(str),
                                return_inverse=True)
    sums = np.bincount(inverse, weights=diff, minlength=len(labels))
    counts = np.bincount(inverse, minlength=len(labels))
    return labels, sums / counts, counts


def _paired(base_file: str, new_file: str, metric: str):
    a, b = load_per_sample(base_file), load_per_sample(new_file)
    for data, path in ((a, base_file), (b, new_file)):
        if metric not in data['metrics']:
            raise KeyError(f'{path}: no per-sample {metric!r}; it has '
                           f'{sorted(data["metrics"])}')
    ea, eb = a['metrics'][metric], b['metrics'][metric]
    ids = sorted(set(ea) & set(eb))
    if len(ids) < 2:
        raise ValueError(f'{base_file} and {new_file} share {len(ids)} '
                         'sample ids: not the same test set')
    seqs = a.get('sequences') or {}
    seq = [seqs.get(i) for i in ids]
    va = np.array([ea[i] for i in ids], np.float64)
    vb = np.array([eb[i] for i in ids], np.float64)
    return dict(a=a, va=va, vb=vb, seq=seq, ids=ids,
                only_base=len(set(ea) - set(eb)),
                only_new=len(set(eb) - set(ea)))


def compare(base_file,
            new_file,
            metric: str = 'MPJPE',
            n_boot: int = 10000,
            seed: int = 0,
            unit: str = 'sequence') -> dict:
    """``new - base`` on the samples both files hold.

    Args:
        base_file, new_file: a per-sample file each, or a list of them (one
            per seed, paired by position: seed k of A with seed k of B).
        unit: ``'sequence'`` (default): cluster bootstrap over sequences
            and Wilcoxon on the per-sequence mean differences, each (seed,
            sequence) a unit with several seeds; a file without sequence
            ids falls back to frames, and ``unit`` in the result says so.
            ``'frame'``: every frame a unit (i.i.d. bootstrap, Wilcoxon on
            frames), which overstates significance on videos.

    Returns:
        dict: ``unit``, ``n`` (units of the tests), ``n_sequences``,
        ``n_frames``, ``n_seeds``, ``mean_base``, ``mean_new``,
        ``mean_diff`` (over frames), ``ci`` (95%), ``pvalue`` (Wilcoxon),
        ``only_base`` / ``only_new`` (ids one file lacks).
    """
    if unit not in UNITS:
        raise ValueError(f'unit must be one of {UNITS}, got {unit!r}')
    bases = list(base_file) if isinstance(base_file, (list, tuple)) else \
        [base_file]
    news = list(new_file) if isinstance(new_file, (list, tuple)) else \
        [new_file]
    if len(bases) != len(news) or not bases:
        raise ValueError(f'{len(bases)} baseline and {len(news)} new '
                         'per-sample files: give one per seed for both')
    pairs = [_paired(fa, fb, metric) for fa, fb in zip(bases, news)]
    va = np.concatenate([p['va'] for p in pairs])
    vb = np.concatenate([p['vb'] for p in pairs])
    diff = vb - va
    has_seq = all(s is not None for p in pairs for s in p['seq'])
    used = unit if has_seq or unit == 'frame' else 'frame'
    if used == 'sequence':
        clusters = [f'{k}/{s}' for k, p in enumerate(pairs)
                    for s in p['seq']]
        lo, hi = cluster_bootstrap_ci(diff, clusters, n_boot=n_boot,
                                      seed=seed)
        _, unit_diff, _ = cluster_means(diff, clusters)
    else:
        lo, hi = paired_bootstrap_ci(diff, n_boot=n_boot, seed=seed)
        unit_diff = diff
    w = wilcoxon_signed_rank(unit_diff)
    n_seq = len({s for p in pairs for s in p['seq']}) if has_seq else None
    data = pairs[0]['a']
    u = data.get('unit')
    return dict(metric=metric, unit_of_value=u if u == 'mm' else None,
                unit=used, requested_unit=unit, n=int(len(unit_diff)),
                n_sequences=n_seq, n_frames=int(len(pairs[0]['ids'])),
                n_seeds=len(pairs), mean_base=float(va.mean()),
                mean_new=float(vb.mean()), mean_diff=float(diff.mean()),
                ci=(lo, hi), pvalue=w['pvalue'], wilcoxon=w,
                only_base=sum(p['only_base'] for p in pairs),
                only_new=sum(p['only_new'] for p in pairs), n_boot=n_boot,
                seed=seed)


def describe(result: dict) -> str:
    """One line, with the units of the test and their number, e.g.
    ``-1.23 mm [95% CI -1.80, -0.66], Wilcoxon p = 0.002 (per sequence:
    n = 12 sequences, 2400 frames)``."""
    unit = result.get('unit_of_value')
    u = f' {unit}' if unit else ''
    lo, hi = result['ci']
    seeds = result.get('n_seeds', 1)
    frames = f'{result["n_frames"]} frames' + (
        f' x {seeds} seeds' if seeds > 1 else '')
    if result.get('unit') == 'sequence':
        units = f'{result["n_sequences"]} sequences' + (
            f' x {seeds} seeds = {result["n"]} units' if seeds > 1 else '')
        how = f'per sequence: n = {units}, {frames}'
    else:
        why = ('; the files name no sequences'
               if result.get('requested_unit') == 'sequence' else '')
        how = (f'per frame, frames treated as independent{why}: n = '
               f'{result["n"]} frames')
        if result.get('n_sequences'):
            how += f' in {result["n_sequences"]} sequences'
    return (f'{result["mean_diff"]:+.2f}{u} [95% CI {lo:+.2f}, {hi:+.2f}], '
            f'Wilcoxon p = {result["pvalue"]:.3g} ({how})')
