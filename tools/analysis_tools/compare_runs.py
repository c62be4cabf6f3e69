# Copyright (c) mmext contributors. All rights reserved.
"""Is run B better than run A on the same test samples?

    python tools/test.py CONFIG_A CKPT_A --per-sample a.json
    python tools/test.py CONFIG_B CKPT_B --per-sample b.json
    python tools/analysis_tools/compare_runs.py a.json b.json \
        [--metric MPJPE] [--unit sequence|frame] [--n-boot 10000]
        [--seed 0] [--json out.json]

Pairs the two files' per-sample errors by sample id and prints the mean
difference B - A with its 95% confidence interval and the two-sided
Wilcoxon signed-rank p-value, by default with the sequence (video) as the
unit: a cluster bootstrap and the Wilcoxon test on sequence means (see
docs/tools/significance.md).
"""
import argparse
import json
import sys

from mmext.workflow.significance import compare, describe


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('base', help='per-sample file of the baseline (A)')
    p.add_argument('new', help='per-sample file of the proposed run (B)')
    p.add_argument('--metric', default='MPJPE')
    p.add_argument('--n-boot', type=int, default=10000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--unit', choices=['sequence', 'frame'],
                   default='sequence',
                   help='unit of the tests (frame: every frame independent, '
                   'which overstates significance on videos)')
    p.add_argument('--json', help='also write the result here')
    args = p.parse_args(argv)
    try:
        res = compare(args.base, args.new, args.metric, args.n_boot,
                      args.seed, unit=args.unit)
    except (FileNotFoundError, KeyError, ValueError) as err:
        msg = err.args[0] if err.args else str(err)
        print(f'error: {msg}', file=sys.stderr)
        return 2
    print(f'{args.metric}: A {res["mean_base"]:.2f}, B {res["mean_new"]:.2f}'
          f' on {res["n_frames"]} paired samples')
    print(f'B - A: {describe(res)}')
    if res['only_base'] or res['only_new']:
        print(f'note: {res["only_base"]} samples only in A, '
              f'{res["only_new"]} only in B were left out')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
