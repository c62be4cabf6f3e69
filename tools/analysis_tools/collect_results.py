# Copyright (c) mmext contributors. All rights reserved.
"""Build a result table (and curve plots) from work dirs - never by hand.

    python tools/analysis_tools/collect_results.py WORK_DIR [WORK_DIR ...]
        [--metrics MPJPE P-MPJPE] [--curve MPJPE] [--out table.md]
        [--plot curves.png]

For every work dir it reads

* the newest test run's metrics (``<timestamp>/<timestamp>.json``, written
  by ``tools/test.py`` / ``dist_test.sh``), and
* the validation curve of every training run
  (``<timestamp>/vis_data/scalars.json``; resumed runs are merged by epoch),

and prints a Markdown table: test metrics, the first / best / last
validation value of ``--curve`` and the epoch of the best one.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Tuple

# the work-dir readers are shared with summarize.py / report.py
from mmext.workflow.results import test_metrics, val_curve  # noqa: F401


def _fmt(value) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.2f}' if abs(value) >= 0.01 or value == 0 else \
            f'{value:.2e}'
    return str(value)


def _lookup(metrics: dict, key: str):
    for k, v in metrics.items():
        if k == key or k.endswith('/' + key):
            return v
    return None


def build_table(work_dirs: List[str], metrics: List[str],
                curve_key: Optional[str],
                rule: str = 'less') -> Tuple[str, dict]:
    """Return the Markdown table and the raw numbers behind it."""
    header = ['experiment'] + [f'test {m}' for m in metrics]
    if curve_key:
        header += [f'val {curve_key} ep1', 'best (epoch)', 'last (epoch)']
    rows, raw = [], {}
    for wd in work_dirs:
        name = osp.basename(osp.normpath(wd))
        tm = test_metrics(wd) or {}
        row = [name] + [_fmt(_lookup(tm, m)) for m in metrics]
        entry = dict(test={m: _lookup(tm, m) for m in metrics})
        if curve_key:
            curve = val_curve(wd, curve_key)
            entry['curve'] = curve
            if curve:
                pick = min if rule == 'less' else max
                best_ep = pick(curve, key=lambda e: curve[e])
                last_ep = max(curve)
                first_ep = min(curve)
                row += [
                    _fmt(curve[first_ep]),
                    f'{_fmt(curve[best_ep])} ({best_ep})',
                    f'{_fmt(curve[last_ep])} ({last_ep})'
                ]
            else:
                row += ['-', '-', '-']
        rows.append(row)
        raw[name] = entry
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(['---'] * len(header)) + '|']
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines), raw


def plot_curves(raw: dict, key: str, out: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, entry in raw.items():
        curve = entry.get('curve') or {}
        if curve:
            epochs = sorted(curve)
            ax.plot(epochs, [curve[e] for e in epochs], marker='o',
                    label=name)
    ax.set_xlabel('epoch')
    ax.set_ylabel(f'val {key}')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+')
    parser.add_argument('--metrics', nargs='+', default=['MPJPE'])
    parser.add_argument('--curve', default=None,
                        help='validation metric to summarise per epoch')
    parser.add_argument('--rule', choices=['less', 'greater'],
                        default='less')
    parser.add_argument('--out', help='also write the table here')
    parser.add_argument('--plot', help='plot the --curve of every run')
    args = parser.parse_args(argv)
    missing = [wd for wd in args.work_dirs if not osp.isdir(wd)]
    if missing:
        print(f'error: work dir not found: {missing[0]}', file=sys.stderr)
        return 2
    table, raw = build_table(args.work_dirs, args.metrics, args.curve,
                             args.rule)
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    if args.plot and args.curve:
        plot_curves(raw, args.curve, args.plot)
        print(f'curves: {args.plot}')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
