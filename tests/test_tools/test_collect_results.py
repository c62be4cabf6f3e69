# Copyright (c) mmext contributors. All rights reserved.
import importlib.util
import json

from conftest import ROOT  # noqa: F401

spec = importlib.util.spec_from_file_location(
    'collect_results', ROOT / 'tools/analysis_tools/collect_results.py')
collect_results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(collect_results)


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
    table, raw = collect_results.build_table([str(wd)],
                                             ['MPJPE', 'P-MPJPE'], 'MPJPE')
    assert raw['exp_a']['curve'] == {1: 100.0, 2: 60.0, 3: 40.0, 4: 45.0}
    assert raw['exp_a']['test'] == {'MPJPE': 41.234, 'P-MPJPE': 30.5}
    assert table.splitlines()[2] == \
        '| exp_a | 41.23 | 30.50 | 100.00 | 40.00 (3) | 45.00 (4) |'


def test_missing_work_dir_is_reported(tmp_path, capsys):
    assert collect_results.main([str(tmp_path / 'nope')]) == 2
    assert 'work dir not found' in capsys.readouterr().err
