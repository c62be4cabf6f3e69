# Copyright (c) mmext contributors. All rights reserved.
"""A two-process CPU run with persistent dataloader workers doing random
augmentation, killed with SIGKILL mid-training and resumed, must end exactly
where an uninterrupted run with the same seed ends."""
import json
import subprocess
from pathlib import Path

import pytest
import torch
from conftest import ROOT, free_port, tool_env

from mmext.engine import safe_load
from mmext.testing.procs import kill_tree, wait_until

CONFIG = ROOT / 'tests/data/configs/toy_regression.py'
# the same run, blocking after epoch 3's checkpoint until it is killed
STALL_CONFIG = ROOT / 'tests/data/configs/toy_regression_stall3.py'
# as real configs: persistent dataloader workers doing random augmentation
# (sign flip from torch's RNG, input noise from numpy's) besides dropout
OPTIONS = ['train_dataloader.num_workers=2',
           'train_dataloader.persistent_workers=True',
           'train_dataloader.dataset.flip_prob=0.5']


def _start(work_dir: Path, config: Path = CONFIG, *extra) -> subprocess.Popen:
    cmd = ['bash', str(ROOT / 'tools/dist_train.sh'), str(config), '2',
           '--work-dir', str(work_dir), '--cfg-options', *OPTIONS, *extra]
    log = open(work_dir.with_suffix('.log'), 'a')
    return subprocess.Popen(
        cmd, cwd=ROOT, env=tool_env(PORT=free_port()), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)


def _finish(proc: subprocess.Popen, work_dir: Path) -> None:
    assert proc.wait(timeout=600) == 0, \
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


@pytest.mark.timeout(1200)
def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    full.mkdir()
    killed.mkdir()
    _finish(_start(full), full)

    # the killed run blocks after writing epoch_3.pth and last_checkpoint;
    # it is killed once both ranks are there (no timing assumption)
    proc = _start(killed, STALL_CONFIG)
    stalled = [killed / f'stalled_rank{r}' for r in range(2)]
    reached = wait_until(lambda: all(p.exists() for p in stalled), proc,
                         timeout=600)
    assert reached, 'the run did not reach the kill point: ' + \
        killed.with_suffix('.log').read_text()[-3000:]
    kill_tree(proc)  # like a node failure: every process dies at once
    killed_at = (killed / 'last_checkpoint').read_text().strip()
    assert Path(killed_at).name == 'epoch_3.pth'
    assert not (killed / 'epoch_4.pth').exists()

    _finish(_start(killed, CONFIG, '--resume'), killed)
    log = killed.with_suffix('.log').read_text()
    assert f'Auto resumed from the latest checkpoint {killed_at}' in log

    ref = safe_load(full / 'epoch_6.pth')
    got = safe_load(killed / 'epoch_6.pth')
    for key, value in ref['state_dict'].items():
        torch.testing.assert_close(got['state_dict'][key], value,
                                   rtol=0, atol=0, msg=key)
    # optimizer state too: the resumed run continues the same trajectory
    ref_opt, got_opt = ref['optimizer'], got['optimizer']
    assert ref_opt['state'].keys() == got_opt['state'].keys()
    for key, state in ref_opt['state'].items():
        for name in ('step', 'exp_avg', 'exp_avg_sq'):
            torch.testing.assert_close(got_opt['state'][key][name],
                                       state[name], rtol=0, atol=0,
                                       msg=f'{key}.{name}')
    assert [g['lr'] for g in got_opt['param_groups']] == \
        [g['lr'] for g in ref_opt['param_groups']]
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
