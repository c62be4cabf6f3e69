# Copyright (c) mmext contributors. All rights reserved.
"""The pose3d memory benchmark and step profiler, run for real on a tiny
setting: the numbers they print must have the relations the method
guarantees, and a worker that dies must leave a named failure row, not a
traceback that loses the other rows."""
import re

import pytest
from conftest import ROOT, run_tool

XS = (ROOT / 'configs/pose3d/motionagformer/'
      'motionagformer-xs_27frm_1xb16-60e_h36m.py')


def _rows(stdout):
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) >= 9 and cells[0] == 'this':
            rows[(cells[1], cells[2])] = cells
    return rows


def test_memory_table_and_a_failing_worker(tmp_path):
    bad = tmp_path / 'bad_arch.py'
    bad.write_text(f"_base_ = ['{XS}']\n"
                   "model = dict(backbone=dict(arch='no-such-arch'))\n")
    out = tmp_path / 'table.md'
    proc = run_tool([
        'benchmarks/benchmark_memory.py', XS, bad, '--with-cp', 'off',
        'all', '--num-frames', '27', '--batch-sizes', '1', '2', '--steps',
        '1', '--threads', '1', '--out', out
    ], timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _rows(proc.stdout)
    # XS rows measured: checkpointing keeps less per sample than no
    # checkpointing (XS at 27 frames: tens of MiB against a few; the
    # method's noise is about a MiB)
    good = {k[1]: v for k, v in rows.items() if k[0].startswith('motionagf')}
    assert set(good) == {'off', 'all'}
    off, cp = float(good['off'][4]), float(good['all'][4])
    assert off > 0.005 and cp < 0.5 * off
    # x 243/T is the slope scaled by 243 / 27 (both printed to 3 decimals)
    assert float(good['off'][7]) == pytest.approx(off * 9, abs=0.0005 * 9 +
                                                  0.0005)
    # the broken config's rows say why, and name the config's error
    failed = [ln for ln in proc.stdout.splitlines() if 'bad_arch' in ln]
    assert len(failed) == 2
    assert all('failed: exit code 1' in ln for ln in failed)
    assert 'worker failed' in proc.stderr and 'bad_arch.py' in proc.stderr
    assert out.read_text().count('\n') == 6  # header, rule, 4 rows


def test_step_profiler_reports_every_variant():
    proc = run_tool([
        'benchmarks/profile_pose3d_step.py', XS, '--batch-size', '1',
        '--rounds', '1', '--cp', 'all', '--threads',
        '1'
    ], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = {m.group(1): [float(x) for x in m.group(2, 3, 4)]
             for m in re.finditer(
                 r'^\| (plain|lean|cp=all) \| ([\d.]+) \| ([\d.]+) \| '
                 r'([\d.]+) \|', proc.stdout, re.M)}
    assert set(table) == {'plain', 'lean', 'cp=all'}
    for step, fwd, share in table.values():
        assert 0 < fwd < step
        # the table prints 3 decimals
        assert share == pytest.approx(fwd / step, abs=0.01)
    bound = float(re.search(r'1 \+ forward share = ([\d.]+)x',
                            proc.stdout).group(1))
    lean_step, lean_fwd, _ = table['lean']
    assert bound == pytest.approx(1 + lean_fwd / lean_step, abs=0.01)
