# Copyright (c) mmext contributors. All rights reserved.
"""tools/analysis_tools/collect_results.py, run as a command."""
import json

from conftest import run_tool

TOOL = 'analysis_tools/collect_results.py'


def _write_run(run_dir, scalars=(), test=None):
    (run_dir / 'vis_data').mkdir(parents=True)
    with open(run_dir / 'vis_data' / 'scalars.json', 'w') as f:
        for rec in scalars:
            f.write(json.dumps(rec) + '\n')
    if test is not None:
        (run_dir / f'{run_dir.name}.json').write_text(json.dumps(test))


def test_table_merges_resumed_runs_and_reads_test_metrics(tmp_path):
    wd = tmp_path / 'exp_a'
    # first run: epochs 1-2, killed; resumed run: epochs 3-4
    _write_run(wd / '20260101_000000', [
        {'loss': 3.0, 'epoch': 1, 'step': 5},
        {'pose/MPJPE': 100.0, 'step': 1},
        {'pose/MPJPE': 60.0, 'step': 2},
    ])
    _write_run(wd / '20260101_000500', [
        {'pose/MPJPE': 40.0, 'step': 3},
        {'pose/MPJPE': 45.0, 'step': 4},
    ])
    _write_run(wd / '20260101_001000', test={'pose/MPJPE': 41.234,
                                             'pose/P-MPJPE': 30.5})
    out = tmp_path / 'table.md'
    proc = run_tool([TOOL, wd, '--metrics', 'MPJPE', 'P-MPJPE', '--curve',
                     'MPJPE', '--out', out])
    assert proc.returncode == 0, proc.stderr
    # the curve merges both runs: epoch 1 of the first, best (3) and last
    # (4) of the resumed one; the test metrics come from the newest run
    table = out.read_text()
    assert table.splitlines()[2] == \
        '| exp_a | 41.23 | 30.50 | 100.00 | 40.00 (3) | 45.00 (4) |'
    assert table.strip() in proc.stdout


def test_missing_work_dir_is_reported(tmp_path):
    proc = run_tool([TOOL, tmp_path / 'nope'])
    assert proc.returncode == 2
    assert 'work dir not found' in proc.stderr
