# Copyright (c) mmext contributors. All rights reserved.
"""A two-process CPU run killed with SIGKILL mid-training and resumed must
end exactly where an uninterrupted run with the same seed ends."""
import json
import subprocess
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, free_port, tool_env

from mmext.engine import safe_load
from mmext.testing.procs import kill_tree

CONFIG = ROOT / 'tests/data/configs/toy_regression.py'
# slow enough (~0.6 s an epoch) to be killed in the middle of training
OPTIONS = ['train_dataloader.dataset.delay=0.04']


def _start(work_dir: Path, *extra) -> subprocess.Popen:
    cmd = ['bash', str(ROOT / 'tools/dist_train.sh'), str(CONFIG), '2',
           '--work-dir', str(work_dir), '--cfg-options', *OPTIONS, *extra]
    log = open(work_dir.with_suffix('.log'), 'a')
    return subprocess.Popen(
        cmd, cwd=ROOT, env=tool_env(PORT=free_port()), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)


def _finish(proc: subprocess.Popen, work_dir: Path) -> None:
    assert proc.wait(timeout=300) == 0, \
        work_dir.with_suffix('.log').read_text()[-3000:]


def _val_curve(work_dir: Path) -> dict:
    """epoch (logged as 'step') -> toy/mse from every run's scalars.json
    (a resumed run appends a new timestamped folder)."""
    curve = {}
    for scalars in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            rec = json.loads(line)
            if 'toy/mse' in rec:
                curve[rec['step']] = rec['toy/mse']
    return curve


@pytest.mark.timeout(600)
def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    full.mkdir()
    killed.mkdir()
    _finish(_start(full), full)

    proc = _start(killed)
    last = killed / 'last_checkpoint'
    deadline = time.time() + 240
    while time.time() < deadline:
        if last.exists() and last.read_text().strip().endswith(
                ('epoch_3.pth', 'epoch_4.pth')):
            break
        assert proc.poll() is None, 'run ended before it could be killed'
        time.sleep(0.05)
    else:
        pytest.fail('no checkpoint appeared in time')
    kill_tree(proc)  # like a node failure: every process dies at once
    time.sleep(0.5)
    killed_at = last.read_text().strip()
    assert not (killed / 'epoch_6.pth').exists(), 'the kill came too late'

    _finish(_start(killed, '--resume'), killed)
    log = killed.with_suffix('.log').read_text()
    assert f'Auto resumed from the latest checkpoint {killed_at}' in log

    ref = safe_load(full / 'epoch_6.pth')
    got = safe_load(killed / 'epoch_6.pth')
    for key, value in ref['state_dict'].items():
        torch.testing.assert_close(got['state_dict'][key], value,
                                   rtol=0, atol=0, msg=key)
    # optimizer moments too: the resumed run continues the same trajectory
    for (k1, s1), (k2, s2) in zip(ref['optimizer']['state'].items(),
                                  got['optimizer']['state'].items()):
        torch.testing.assert_close(s1['exp_avg'], s2['exp_avg'],
                                   rtol=0, atol=0)
    # identical validation metrics at every epoch, before and after the kill
    ref_curve, got_curve = _val_curve(full), _val_curve(killed)
    assert sorted(ref_curve) == list(range(1, 7))
    assert got_curve == ref_curve
    # best-checkpoint tracking survived the kill
    ref_info = ref['message_hub']['runtime_info']
    got_info = got['message_hub']['runtime_info']
    assert got_info['best_score'] == ref_info['best_score']
    assert Path(got_info['best_ckpt']).name == Path(ref_info['best_ckpt']).name
    assert (killed / Path(ref_info['best_ckpt']).name).is_file()
    assert len(list(killed.glob('best_*.pth'))) == 1
    # max_keep_ckpts=2 still holds after the resume
    assert sorted(p.name for p in killed.glob('epoch_*.pth')) == \
        ['epoch_5.pth', 'epoch_6.pth']
