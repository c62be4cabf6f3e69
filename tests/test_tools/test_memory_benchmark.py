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


STAND_IN = '''
import json, os
import torch
from torch import nn


class MotionAGFormer(nn.Module):
    """Stand-in for upstream's model/MotionAGFormer.py: its constructor
    signature, a small network; records the arguments it was given."""

    def __init__(self, n_layers, dim_in, dim_feat, dim_rep=512, dim_out=3,
                 mlp_ratio=4, act_layer=nn.GELU, attn_drop=0., drop=0.,
                 drop_path=0., use_layer_scale=True,
                 layer_scale_init_value=1e-5, use_adaptive_fusion=True,
                 num_heads=4, qkv_bias=False, qkv_scale=None,
                 hierarchical=False, num_joints=17,
                 use_temporal_similarity=True, temporal_connection_len=1,
                 use_tcn=False, graph_only=False, neighbour_num=4,
                 n_frames=243):
        super().__init__()
        args = {k: v for k, v in locals().items()
                if k not in ('self', '__class__', 'act_layer')}
        with open(os.environ['STAND_IN_ARGS'], 'w') as f:
            json.dump(args, f)
        self.layers = nn.Sequential(
            nn.Linear(dim_in, dim_feat), nn.GELU(),
            *[nn.Sequential(nn.Linear(dim_feat, dim_feat), nn.GELU())
              for _ in range(n_layers)], nn.Linear(dim_feat, dim_out))

    def forward(self, x):
        return self.layers(x)
'''


def test_official_rows_and_ratios(tmp_path):
    official = tmp_path / 'MotionAGFormer'
    (official / 'model').mkdir(parents=True)
    (official / 'model' / 'MotionAGFormer.py').write_text(STAND_IN)
    args_file = tmp_path / 'args.json'
    proc = run_tool([
        'benchmarks/benchmark_memory.py', XS, '--with-cp', 'off',
        '--official', official, '--num-frames', '27', '--batch-sizes', '1',
        '2', '--steps', '1', '--threads', '1'
    ], timeout=600, STAND_IN_ARGS=args_file)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json
    got = json.loads(args_file.read_text())
    # XS from the config (12 layers, dim 64, 27 frames here, 8 heads,
    # neighbour_num 2) and the head's 512-d representation
    assert (got['n_layers'], got['dim_feat'], got['n_frames']) == (12, 64, 27)
    assert (got['num_heads'], got['neighbour_num'], got['dim_rep']) == \
        (8, 2, 512)
    cells = {}
    for line in proc.stdout.splitlines():
        c = [x.strip() for x in line.strip().strip('|').split('|')]
        if len(c) >= 13 and c[0] in ('official', 'this'):
            cells[c[0]] = c
    assert set(cells) == {'official', 'this'}
    ref, this = cells['official'], cells['this']
    assert ref[2] == 'official' and ref[10] == '1.000x'
    # vs official = this slope / official slope (3-decimal cells)
    ratio = float(this[4]) / float(ref[4])
    assert float(this[10][:-1]) == pytest.approx(ratio, rel=0.05, abs=2e-3)
    assert this[12] == '1.00x'  # time vs this checkout's with_cp off
    # a checkout without model/MotionAGFormer.py is refused by name
    bad = run_tool(['benchmarks/benchmark_memory.py', XS, '--official',
                    tmp_path], timeout=120)
    assert bad.returncode != 0
    assert 'expected a checkout of TaatiTeam/MotionAGFormer' in bad.stderr
