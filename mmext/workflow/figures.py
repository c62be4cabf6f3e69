# Copyright (c) mmext contributors. All rights reserved.
"""Paper figures from work dirs (matplotlib, Agg): training curves, method
bars with error bars over seeds, per-group bars and accuracy-vs-cost
(Pareto) plots. Each function returns the data it drew, so tests and
reports can check every point against the logs."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from .results import Experiment, train_curve, val_curve

__all__ = [
    'smooth', 'plot_curves', 'plot_bars', 'plot_group_bars', 'pareto_front',
    'plot_pareto', 'save'
]


def _plt():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def save(fig, stem: str, formats: Sequence[str] = ('png', )) -> List[str]:
    """Save ``fig`` as ``stem.<fmt>`` for each format (png/pdf/svg)."""
    os.makedirs(osp.dirname(osp.abspath(stem)), exist_ok=True)
    out = []
    for fmt in formats:
        path = f'{stem}.{fmt}'
        fig.savefig(path, dpi=150 if fmt == 'png' else None,
                    bbox_inches='tight')
        out.append(path)
    _plt().close(fig)
    return out


def smooth(values: Sequence[float], weight: float) -> np.ndarray:
    """TensorBoard-style exponential moving average with bias correction
    (``weight`` 0 = no smoothing)."""
    out, last, norm = [], 0.0, 0.0
    for v in values:
        last = weight * last + (1 - weight) * v
        norm = weight * norm + (1 - weight)
        out.append(last / norm)
    return np.asarray(out)


def plot_curves(exps: List[Experiment], key: str, stem: str,
                split: str = 'val', rule: str = 'less',
                weight: float = 0.0, formats=('png', )) -> dict:
    """One line per experiment (the mean over seeds at each step) of a
    validation metric or a training scalar (``split='train'``), optionally
    smoothed; the best point of each raw curve is marked.

    Returns:
        dict: name -> ``{'steps', 'values' (raw mean), 'smoothed',
        'best': (step, value)}``.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    drawn = {}
    for e in exps:
        curves = [(val_curve if split == 'val' else train_curve)(wd, key)
                  for wd in e.work_dirs]
        curves = [c for c in curves if c]
        if not curves:
            continue
        steps = sorted(set.intersection(*[set(c) for c in curves]))
        if not steps:
            continue
        mean = np.array([np.mean([c[s] for c in curves]) for s in steps])
        sm = smooth(mean, weight)
        pick = np.argmin if rule == 'less' else np.argmax
        b = int(pick(mean))
        line, = ax.plot(steps, sm, label=f'{e.name} (n={len(curves)})')
        if weight > 0:
            ax.plot(steps, mean, color=line.get_color(), alpha=0.25)
        ax.scatter([steps[b]], [mean[b]], color=line.get_color(),
                   marker='*', s=90, zorder=3)
        drawn[e.name] = dict(steps=steps, values=mean.tolist(),
                             smoothed=sm.tolist(),
                             best=(steps[b], float(mean[b])))
    ax.set_xlabel('epoch' if split == 'val' else 'iteration')
    ax.set_ylabel(f'{split} {key}')
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=7)
    drawn['files'] = save(fig, stem, formats)
    return drawn


def plot_bars(names: List[str], stats: List[dict], ylabel: str, stem: str,
              formats=('png', )) -> dict:
    """Bars of the mean with ± std error bars (over seeds); an experiment
    without a value gets no bar and a 'missing' label."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(names)), 3.5))
    x = np.arange(len(names))
    means = [s['mean'] for s in stats]
    errs = [s['std'] or 0.0 for s in stats]
    for i, (m, err) in enumerate(zip(means, errs)):
        if m is None:
            ax.text(i, 0, 'missing', ha='center', va='bottom', fontsize=7)
            continue
        ax.bar(i, m, yerr=err if err else None, capsize=4, color=f'C{i}')
        ax.text(i, m, f'{m:.2f}', ha='center', va='bottom', fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=20, ha='right', fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis='y', alpha=0.3)
    files = save(fig, stem, formats)
    return dict(names=names, means=means, stds=errs, files=files)


def plot_group_bars(groups: List[str], series: Dict[str, List[dict]],
                    ylabel: str, stem: str, formats=('png', )) -> dict:
    """Grouped bars (e.g. MPJPE per action), one colour per experiment."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(groups) *
                                        max(1, len(series))), 3.8))
    width = 0.8 / max(1, len(series))
    x = np.arange(len(groups))
    for k, (name, stats) in enumerate(series.items()):
        means = [np.nan if s['mean'] is None else s['mean'] for s in stats]
        errs = [s['std'] or 0.0 for s in stats]
        ax.bar(x + (k - (len(series) - 1) / 2) * width, means, width,
               yerr=errs if any(errs) else None, capsize=2, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(groups, rotation=45, ha='right', fontsize=7)
    ax.set_ylabel(ylabel)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=7)
    files = save(fig, stem, formats)
    return dict(groups=groups, series={
        n: [s['mean'] for s in st] for n, st in series.items()
    }, files=files)


def pareto_front(points: List[tuple], rule: str = 'less') -> List[int]:
    """Indices of the points ``(cost, metric)`` no other point beats in
    both (lower cost, and lower or higher metric by ``rule``)."""
    def better(a, b):
        ma, mb = (a[1], b[1]) if rule == 'less' else (-a[1], -b[1])
        return a[0] <= b[0] and ma <= mb and (a[0] < b[0] or ma < mb)
    return [i for i, p in enumerate(points)
            if not any(better(q, p) for j, q in enumerate(points)
                       if j != i)]


def plot_pareto(names: List[str], costs: List[Optional[float]],
                metrics: List[Optional[float]], xlabel: str, ylabel: str,
                stem: str, rule: str = 'less', formats=('png', )) -> dict:
    """Metric against cost (params or MACs), the Pareto front joined."""
    plt = _plt()
    keep = [i for i in range(len(names))
            if costs[i] is not None and metrics[i] is not None]
    pts = [(costs[i], metrics[i]) for i in keep]
    front = [keep[j] for j in pareto_front(pts, rule)]
    fig, ax = plt.subplots(figsize=(5, 4))
    for i in keep:
        ax.scatter(costs[i], metrics[i], s=40,
                   marker='o' if i in front else 'x')
        ax.annotate(names[i], (costs[i], metrics[i]), fontsize=7,
                    xytext=(3, 3), textcoords='offset points')
    f = sorted(front, key=lambda i: costs[i])
    if len(f) > 1:
        ax.plot([costs[i] for i in f], [metrics[i] for i in f], 'k--',
                lw=0.8, label='Pareto front')
        ax.legend(fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    files = save(fig, stem, formats)
    return dict(front=[names[i] for i in f],
                missing=[names[i] for i in range(len(names))
                         if i not in keep], files=files)
