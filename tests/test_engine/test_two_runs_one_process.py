# Copyright (c) mmext contributors. All rights reserved.
"""Two training runs in one process log to their own work dirs.

Regression test: with a fixed visualizer name in the base runtime, mmengine
returned the first run's visualizer to the second Runner, and the second
run's scalars were written into the first run's ``vis_data``."""
import json

from conftest import ROOT

CONFIG = ROOT / 'tests/data/configs/toy_sweep.py'


def _val_steps(work_dir):
    steps = []
    for f in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            if 'toy/mse' in rec:
                steps.append(rec['step'])
    return steps


def test_second_runner_logs_to_its_own_work_dir(tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    for name, epochs in (('first', 1), ('second', 2)):
        cfg = Config.fromfile(str(CONFIG))
        cfg.work_dir = str(tmp_path / name)
        cfg.train_cfg.max_epochs = epochs
        # distinct names: mmengine's default (config name + a timestamp in
        # seconds) could coincide for two fast runs
        cfg.experiment_name = f'two_runs_{name}'
        runner = Runner.from_cfg(cfg)
        runner.train()
        assert runner.visualizer._vis_backends['LocalVisBackend']._save_dir \
            .startswith(str(tmp_path / name))
    assert _val_steps(tmp_path / 'first') == [1]
    assert _val_steps(tmp_path / 'second') == [1, 2]
