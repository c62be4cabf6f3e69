# Copyright (c) mmext contributors. All rights reserved.
"""A VFI training run killed with SIGKILL and started again with the SAME
command (AutoResumeRunner, resume='auto') ends exactly where an
uninterrupted run ends; the loss terms, PSNR and SSIM are logged."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, tool_env

from mmext.datasets.vfi.synthetic import texture_image, write_vimeo_triplets
from mmext.engine import safe_load

CONFIG = ROOT / 'configs/vfi/hybrid-vfi-tiny_1xb8-60e_vimeo90k-demo.py'


def _cmd(work_dir: Path, data: Path):
    root = str(data)
    return [
        sys.executable, str(ROOT / 'tools/train.py'), str(CONFIG),
        '--work-dir', str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'train_dataloader.batch_size=4', 'train_cfg.max_epochs=4',
        'train_cfg.val_interval=1', 'max_epochs=4',
        'param_scheduler.1.end=4',
        'train_dataloader.dataset.pipeline.1.crop_size=32',
        'default_hooks.logger.interval=1'
    ]


def _start(work_dir: Path, data: Path) -> subprocess.Popen:
    log = open(work_dir.with_suffix('.log'), 'a')
    return subprocess.Popen(_cmd(work_dir, data), cwd=ROOT, env=tool_env(),
                            stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _finish(proc, work_dir):
    assert proc.wait(timeout=600) == 0, \
        work_dir.with_suffix('.log').read_text()[-3000:]


def _scalars(work_dir: Path):
    recs = []
    for f in sorted(work_dir.glob('*/vis_data/scalars.json')):
        recs += [json.loads(ln) for ln in f.read_text().splitlines()]
    return recs


@pytest.mark.timeout(900)
def test_vfi_sigkill_then_same_command_resumes(tmp_path):
    data = tmp_path / 'vimeo'
    write_vimeo_triplets(str(data), [texture_image(i, 64) for i in range(3)],
                         24, 2, size=32, max_motion=3)
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    full.mkdir()
    killed.mkdir()
    _finish(_start(full, data), full)

    proc = _start(killed, data)
    last = killed / 'last_checkpoint'
    deadline = time.time() + 400
    while time.time() < deadline:
        if last.exists() and last.read_text().strip().endswith(
                ('epoch_1.pth', 'epoch_2.pth')):
            break
        assert proc.poll() is None, 'run ended before it could be killed'
        time.sleep(0.05)
    else:
        pytest.fail('no checkpoint appeared in time')
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = last.read_text().strip()
    assert not (killed / 'epoch_4.pth').exists(), 'the kill came too late'

    _finish(_start(killed, data), killed)  # the same command again
    log = killed.with_suffix('.log').read_text()
    assert f'Auto resumed from the latest checkpoint {killed_at}' in log

    ref = safe_load(full / 'epoch_4.pth')
    got = safe_load(killed / 'epoch_4.pth')
    for key, value in ref['state_dict'].items():
        torch.testing.assert_close(got['state_dict'][key], value, rtol=0,
                                   atol=0, msg=key)
    for s1, s2 in zip(ref['optimizer']['state'].values(),
                      got['optimizer']['state'].values()):
        torch.testing.assert_close(s1['exp_avg'], s2['exp_avg'], rtol=0,
                                   atol=0)
    # the best-PSNR checkpoint survives and matches
    ref_info = ref['message_hub']['runtime_info']
    got_info = got['message_hub']['runtime_info']
    assert got_info['best_score'] == ref_info['best_score']
    assert len(list(killed.glob('best_vfi_PSNR_epoch_*.pth'))) == 1
    # logged scalars: total loss, each term, PSNR and SSIM
    recs = _scalars(full)
    keys = set().union(*recs)
    assert {'loss', 'loss_lap', 'loss_census', 'vfi/PSNR',
            'vfi/SSIM'} <= keys
    assert list(full.glob('*/vis_data/events.out.tfevents.*'))
    val_ref = {r['step']: r['vfi/PSNR'] for r in recs if 'vfi/PSNR' in r}
    val_got = {r['step']: r['vfi/PSNR'] for r in _scalars(killed)
               if 'vfi/PSNR' in r}
    assert val_got == val_ref and sorted(val_ref) == [1, 2, 3, 4]
