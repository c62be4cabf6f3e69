# Copyright (c) mmext contributors. All rights reserved.
"""Paper figures from work dirs (PDF / SVG for papers, PNG for a look).

    # training curves of any scalar, smoothed, best point marked
    python tools/analysis_tools/plot_results.py curves WD [WD ...] \
        --key MPJPE [--split val|train] [--smooth 0.6] --out figs/curves
    # method comparison: mean bars with ± std over seeds
    python tools/analysis_tools/plot_results.py bars WD [WD ...] \
        --key MPJPE [--column test|best|last] --out figs/bars
    # per-action bars from the test logs
    python tools/analysis_tools/plot_results.py groups WD [WD ...] \
        --key MPJPE --out figs/per_action
    # metric against parameters or MACs with the Pareto front
    python tools/analysis_tools/plot_results.py pareto WD [WD ...] \
        --key MPJPE --cost params|flops --out figs/pareto
    # the sweep plots: tools/sweep.py CONFIG --study NAME --summary

Add ``--formats pdf svg png``. A WD is a work dir or a folder of seed_<k>
work dirs. Every plotted number comes from the logs; see
docs/tools/results.md.
"""
import argparse
import sys

from mmext.workflow import figures
from mmext.workflow.results import discover, per_group_table, stat


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('kind', choices=['curves', 'bars', 'groups', 'pareto'])
    p.add_argument('work_dirs', nargs='+')
    p.add_argument('--key', default='MPJPE')
    p.add_argument('--split', choices=['val', 'train'], default='val')
    p.add_argument('--smooth', type=float, default=0.0,
                   help='EMA weight in [0, 1)')
    p.add_argument('--column', default='test',
                   choices=['test', 'best', 'last'])
    p.add_argument('--cost', choices=['params', 'flops'], default='params')
    p.add_argument('--rule', choices=['less', 'greater'], default='less')
    p.add_argument('--group-title', default='3D pose errors')
    p.add_argument('--out', required=True, help='file stem')
    p.add_argument('--formats', nargs='+', default=['png'],
                   choices=['png', 'pdf', 'svg'])
    args = p.parse_args(argv)
    if not 0 <= args.smooth < 1:
        p.error(f'--smooth must be in [0, 1), got {args.smooth}')
    try:
        exps = discover(args.work_dirs)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    names = [e.name for e in exps]
    if args.kind == 'curves':
        res = figures.plot_curves(exps, args.key, args.out, args.split,
                                  args.rule, args.smooth, args.formats)
    elif args.kind == 'bars':
        stats = [e.metric(args.column, args.key, args.rule) for e in exps]
        res = figures.plot_bars(names, stats, f'{args.column} {args.key}',
                                args.out, args.formats)
    elif args.kind == 'groups':
        tables = {e.name: [per_group_table(wd, args.group_title)
                           for wd in e.work_dirs] for e in exps}
        groups = []
        for ts in tables.values():
            for t in ts:
                groups += [g for g in (t or {}).get('rows', {})
                           if g not in groups and g != 'Average']
        series = {
            e.name: [stat([((t or {}).get('rows', {}).get(g) or {}).get(
                args.key) for t in tables[e.name]]) for g in groups]
            for e in exps
        }
        res = figures.plot_group_bars(groups, series, args.key, args.out,
                                      args.formats)
    else:
        costs = [e.metric(args.cost, args.key)['mean'] for e in exps]
        scale = 1e-6 if args.cost == 'params' else 1e-9
        costs = [None if c is None else c * scale for c in costs]
        metrics = [e.metric(args.column, args.key, args.rule)['mean']
                   for e in exps]
        res = figures.plot_pareto(
            names, costs, metrics,
            'parameters (M)' if args.cost == 'params' else 'MACs (G)',
            f'{args.column} {args.key}', args.out, args.rule, args.formats)
        if res['missing']:
            print('not plotted (no value): ' + ', '.join(res['missing']))
    for path in res['files']:
        print(f'written: {path}')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
