# Copyright (c) mmext contributors. All rights reserved.
"""Write an experiment report (Markdown + self-contained HTML) from work
dirs.

    python tools/analysis_tools/report.py WORK_DIR [WORK_DIR ...] --out DIR
        [--metric MPJPE] [--rule less|greater] [--baseline NAME]
        [--config-root configs] [--title TEXT]

The report holds the experimental setup (data, frames, optimizer, schedule,
batch, epochs, hardware, GPU-hours, software versions: read from the
configs and logs), the results table (also as LaTeX / CSV / JSON), the
per-action table, the ablations with their difference to the baseline, the
paired significance test where both runs have a per-sample file
(``tools/test.py --per-sample WORK_DIR/per_sample.json``) and the config
diff, and the figures (PNG embedded in the HTML, PDF beside it). A value
that does not exist is written ``missing``.
"""
import argparse
import sys

from mmext.workflow.report import build_report
from mmext.workflow.results import discover


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('work_dirs', nargs='+')
    p.add_argument('--out', required=True)
    p.add_argument('--metric', default='MPJPE')
    p.add_argument('--rule', choices=['less', 'greater'], default='less')
    p.add_argument('--baseline')
    p.add_argument('--config-root', nargs='+', default=['configs'])
    p.add_argument('--group-title', default='3D pose errors')
    p.add_argument('--title', default='Experiment report')
    args = p.parse_args(argv)
    try:
        exps = discover(args.work_dirs)
        out = build_report(exps, args.out, args.metric, args.rule,
                           args.config_root, args.baseline,
                           args.group_title, args.title)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'report: {out["markdown"]}\n        {out["html"]}')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
