# Copyright (c) mmext contributors. All rights reserved.
"""Result tables over work dirs: Markdown, LaTeX (booktabs), CSV, JSON.

    python tools/analysis_tools/summarize.py WORK_DIR [WORK_DIR ...]
        [--metric MPJPE] [--rule less|greater]
        [--columns test best last params flops samples_per_s epochs
                   gpu_hours]
        [--baseline NAME] [--config-root configs]
        [--per-group [--group-columns MPJPE P-MPJPE]]
        [--out work_dirs/tables/results] [--formats md tex csv json]

A WORK_DIR is a training work dir or a folder of ``seed_<k>`` work dirs
(``tools/train_seeds.py``): cells are mean ± std over seeds. Rows are
grouped by config family: an experiment whose config's ``_base_`` is
another experiment's config is an ablation of it (or name the baseline with
``--baseline``); ablations show the difference to their baseline in the
metric's unit and in %. ``--per-group`` adds the per-action table the pose
metric logs at test time; ``--per-class METRIC`` a per-class table from
the per-sample files of ``tools/test.py --per-sample`` (action
recognition: per-class top-1 accuracy). Nothing is typed in: every value
comes from the work dirs, a value that does not exist is written
``missing``.
"""
import argparse
import os
import os.path as osp
import sys

from mmext.workflow.results import discover, per_group_table, per_sample_groups
from mmext.workflow.tables import (families, group_table, parse_columns,
                                   results_table)

DEFAULT_COLUMNS = ['test', 'best', 'last', 'params', 'flops',
                   'samples_per_s', 'epochs', 'gpu_hours']


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('work_dirs', nargs='+')
    p.add_argument('--metric', default='MPJPE')
    p.add_argument('--rule', choices=['less', 'greater'], default='less')
    p.add_argument('--columns', nargs='+', default=DEFAULT_COLUMNS,
                   help='KIND or KIND:METRIC; kinds: test best last '
                   'best_epoch params flops samples_per_s epochs gpu_hours '
                   'train_seconds')
    p.add_argument('--baseline', help='compare every run to this one')
    p.add_argument('--config-root', nargs='+', default=['configs'],
                   help='where to find the configs named in the work dirs '
                   '(for config families)')
    p.add_argument('--per-group', action='store_true',
                   help='also the per-action table from the test logs')
    p.add_argument('--group-title', default='3D pose errors')
    p.add_argument('--group-columns', nargs='+',
                   default=['MPJPE', 'P-MPJPE'])
    p.add_argument('--per-class', metavar='METRIC',
                   help='also a per-class (per-group) table of METRIC from '
                   'the per-sample files (tools/test.py --per-sample), e.g. '
                   'fused_top1_fine for action recognition')
    p.add_argument('--out', help='write OUT.md/.tex/.csv/.json')
    p.add_argument('--formats', nargs='+', default=['md', 'tex', 'csv',
                                                    'json'],
                   choices=['md', 'tex', 'csv', 'json'])
    p.add_argument('--caption', default='')
    return p


def make_tables(args):
    exps = discover(args.work_dirs)
    columns = parse_columns(args.columns, args.metric)
    fam = families(exps, args.config_root, args.baseline)
    delta = next((c for c in columns if c[0] in ('test', 'best')), None)
    if all(b is None for b in fam.values()):
        delta = None
    tables = {'results': results_table(exps, columns, args.rule, fam,
                                       delta, args.caption)}
    if args.per_group:
        per_run = {e.name: [per_group_table(wd, args.group_title)
                            for wd in e.work_dirs] for e in exps}
        tables['per_group'] = group_table(
            exps, per_run, args.group_columns,
            caption=f'{args.group_title} per group (test)')
    if args.per_class:
        per_run = {e.name: [per_sample_groups(wd, args.per_class)
                            for wd in e.work_dirs] for e in exps}
        tables['per_class'] = group_table(
            exps, per_run, [args.per_class],
            caption=f'{args.per_class} per class (test, per-sample files)')
    return exps, fam, tables


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _, _, tables = make_tables(args)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    for name, table in tables.items():
        print(table.markdown())
        print()
        if args.out:
            stem = args.out if name == 'results' else f'{args.out}_{name}'
            os.makedirs(osp.dirname(osp.abspath(stem)), exist_ok=True)
            for path in table.write(stem, args.formats):
                print(f'written: {path}')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
