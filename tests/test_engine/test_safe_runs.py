# Copyright (c) mmext contributors. All rights reserved.
"""Checkpoints must fit, a work dir has one owner, non-finite losses stop
early, one checkpoint write per epoch, and a resumed run sweeps what a kill
left behind (toy runs of a few seconds)."""
import errno
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ROOT, run_tool
from mmengine.config import Config

from mmext.engine import safe_load
from mmext.engine.errors import (CheckpointMismatchError, NonFiniteError,
                                 ResumeMismatchError, WorkDirLockedError)
from mmext.engine.runner import AutoResumeRunner
from mmext.engine.workdir import LOCK_NAME, WorkDirLock, _start_time

TOY = ROOT / 'tests/data/configs/toy_regression.py'


def _cfg(work_dir, max_epochs=2, **over):
    cfg = Config.fromfile(TOY)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'toy_{Path(work_dir).name}_{time.time_ns()}'
    cfg.train_cfg.max_epochs = max_epochs
    cfg.default_hooks.logger.interval = 100
    cfg.merge_from_dict(over)
    return cfg


def _runner(work_dir, **over):
    return AutoResumeRunner.from_cfg(_cfg(work_dir, **over))


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A 2-epoch toy run (hidden=16): its work dir."""
    wd = tmp_path_factory.mktemp('trained')
    _runner(wd).train()
    return wd


# ------------------------------------------------------- checkpoints fit
def test_load_from_of_another_model_is_refused(tmp_path, trained):
    ckpt = str(trained / 'epoch_2.pth')
    runner = _runner(tmp_path / 'a', load_from=ckpt, **{'model.hidden': 32})
    with pytest.raises(CheckpointMismatchError) as err:
        runner.train()
    line = str(err.value)
    assert '\n' not in line
    assert f'checkpoint {ckpt} does not fit the model' in line
    assert ': 3 of another shape (net.0.weight [16, 8] vs model [32, 8]' \
        in line
    assert 'load_from_allow_mismatch' in line and '--allow-partial' in line


def test_allowed_mismatch_loads_the_rest_and_says_what_it_skipped(
        tmp_path, trained):
    ckpt = str(trained / 'epoch_2.pth')
    ref = safe_load(ckpt)['state_dict']
    runner = _runner(
        tmp_path / 'b', load_from=ckpt, max_epochs=0, **{'model.dim': 8})
    runner.cfg.load_from_allow_mismatch = ['net.3.*']
    with torch.no_grad():
        runner.model.net[3].bias.fill_(7.)
    # a named pattern does not cover the other keys
    state = dict(ref)
    state['extra.weight'] = torch.zeros(1)
    path = tmp_path / 'extra.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(
            CheckpointMismatchError, match='1 unexpected '
            r'\(extra.weight\)'):
        runner.load_checkpoint(str(path))
    runner.cfg.load_from_allow_mismatch = ['extra.*']
    runner.load_checkpoint(str(path))
    torch.testing.assert_close(runner.model.net[0].weight, ref['net.0.weight'])
    # strict=False in load_from: anything may differ
    other = {k: v for k, v in ref.items() if not k.startswith('net.3')}
    torch.save({'state_dict': other}, path)
    runner.cfg.load_from_allow_mismatch = []
    runner.cfg.load_from = dict(path=str(path), strict=False)
    with torch.no_grad():
        runner.model.net[3].bias.fill_(7.)
    runner.load_checkpoint(str(path))
    assert float(runner.model.net[3].bias) == 7.  # skipped: left as built


def test_test_tool_refuses_wrong_checkpoint_in_one_line(tmp_path, trained):
    proc = run_tool([
        'test.py',
        str(TOY),
        str(trained / 'epoch_2.pth'), '--work-dir',
        str(tmp_path), '--cfg-options', 'model.hidden=24'
    ],
                    timeout=300)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: checkpoint {trained}/epoch_2.pth does '
                           'not fit the model')
    assert 'Test metrics' not in proc.stdout
    # --debug shows the traceback
    proc = run_tool([
        'test.py',
        str(TOY),
        str(trained / 'epoch_2.pth'), '--work-dir',
        str(tmp_path), '--debug', '--cfg-options', 'model.hidden=24'
    ],
                    timeout=300)
    assert 'Traceback' in proc.stderr and 'CheckpointMismatchError' in \
        proc.stderr


# ------------------------------------------------------ one owner, resume
def test_resume_auto_refuses_a_checkpoint_of_another_model(tmp_path):
    wd = tmp_path / 'wd'
    _runner(wd, max_epochs=1).train()
    runner = _runner(wd, max_epochs=2, resume='auto', **{'model.hidden': 8})
    with pytest.raises(ResumeMismatchError) as err:
        runner.train()
    msg = str(err.value)
    assert f'cannot resume from {wd}/epoch_1.pth' in msg
    assert 'net.0.weight [16, 8] vs model [8, 8]' in msg
    assert not (wd / LOCK_NAME).exists()  # released after the error


def test_resume_names_optimizer_settings_that_differ(tmp_path):
    wd = tmp_path / 'wd'
    _runner(wd, max_epochs=1).train()
    runner = _runner(
        wd, max_epochs=2, resume='auto', **{'optim_wrapper.optimizer.lr': 0.5})
    runner.train()
    log = next(wd.glob('2*/2*.log'), None)
    text = ''.join(p.read_text() for p in wd.glob('2*/2*.log'))
    assert log is not None
    assert "optim_wrapper differs from the checkpoint's config" in text
    assert "'lr': 0.5" in text and "'lr': 0.03" in text


def _lock(wd, pid, identity, host=None, start=None):
    wd.mkdir(parents=True, exist_ok=True)
    (wd / LOCK_NAME).write_text(
        json.dumps(
            dict(
                pid=pid,
                host=host or socket.gethostname(),
                identity=identity,
                start_time=start,
                config='other.py',
                token='t')))


def test_second_run_in_a_live_work_dir_is_refused(tmp_path):
    from mmext.engine.workdir import config_identity
    wd = tmp_path / 'wd'
    sleeper = subprocess.Popen(['sleep', '60'])
    try:
        ident = config_identity(_cfg(wd))
        _lock(wd, sleeper.pid, ident, start=_start_time(sleeper.pid))
        with pytest.raises(WorkDirLockedError) as err:
            _runner(wd).train()
        assert f'work dir {wd} is in use by another run (pid ' \
            f'{sleeper.pid} on {socket.gethostname()}' in str(err.value)
        assert not list(wd.glob('*.pth'))
        # a lock from another host cannot be checked: respected
        _lock(wd, 1, ident, host='elsewhere')
        with pytest.raises(WorkDirLockedError, match='host cannot be'):
            WorkDirLock(str(wd), ident).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_stale_lock_same_config_resumes_other_config_refused(tmp_path):
    from mmext.engine.workdir import config_identity
    wd = tmp_path / 'wd'
    dead = subprocess.Popen(['true'])
    dead.wait()
    _lock(wd, dead.pid, 'someone-else')
    with pytest.raises(
            WorkDirLockedError, match='different config that '
            'died'):
        _runner(wd, max_epochs=1).train()
    _lock(wd, dead.pid, config_identity(_cfg(wd)))
    runner = _runner(wd, max_epochs=1)
    runner.train()  # the same config takes the dead run's work dir over
    assert (wd / 'epoch_1.pth').is_file()
    assert not (wd / LOCK_NAME).exists()
    # the same experiment with more epochs is the same config
    _runner(wd, max_epochs=2, resume='auto').train()


def test_only_rank0_takes_the_lock_and_errors_reach_every_rank(
        monkeypatch, tmp_path):
    """Ranks other than 0 never touch the lock file (they would refuse
    their own rank 0); rank 0's refusal is broadcast to them."""
    import mmext.engine.runner as runner_module
    wd = tmp_path / 'wd'
    runner = _runner(wd, max_epochs=1)
    _lock(wd, os.getpid(), 'x', start=_start_time(os.getpid()))
    WorkDirLock._held.add('t')  # a live run of this process holds it
    try:
        monkeypatch.setattr(runner_module, 'get_dist_info', lambda: (1, 2))
        sent = {}

        def broadcast(obj, src=0):
            sent['got'] = list(obj)
            obj[0] = 'work dir X is in use by another run (from rank 0)'

        monkeypatch.setattr(runner_module, 'broadcast_object_list', broadcast)
        with pytest.raises(WorkDirLockedError, match='from rank 0'):
            runner.train()
        assert sent['got'] == [None]  # rank 1 did not check the lock itself
    finally:
        WorkDirLock._held.discard('t')


# --------------------------------------------------------- non-finite
def test_nan_inputs_stop_training_at_their_batch(tmp_path):
    x = np.random.RandomState(0).randn(32, 8).astype(np.float32)
    x[5, 2] = np.nan
    np.save(tmp_path / 'x.npy', x)
    runner = _runner(
        tmp_path / 'wd',
        max_epochs=3,
        **{
            'train_dataloader.dataset.data_root': str(tmp_path),
            'train_dataloader.sampler.shuffle': False
        })
    with pytest.raises(NonFiniteError) as err:
        runner.train()
    msg = str(err.value)
    assert msg.startswith('non-finite loss (loss=nan) at iter 2, batch 1 '
                          'of epoch 1')
    assert "the batch's inputs hold NaN/Inf (inputs, target)" in msg
    assert 'in the first 20 iterations' in msg


class _FakeRunner:

    def __init__(self, hooks=()):
        self.hooks = list(hooks)
        self.iter = 0
        self.epoch = 0

        class _Log:
            warnings = []

            def warning(self, msg):
                self.warnings.append(msg)

            def info(self, msg):
                pass

        self.logger = _Log()


def test_nonfinite_policy_first_n_then_k_in_a_row():
    from mmengine.structures import BaseDataElement

    from mmext.engine.hooks import GANGuardHook, NonFiniteLossHook
    hook = NonFiniteLossHook(warmup_iters=3, max_consecutive=2)
    runner = _FakeRunner()
    hook.before_train(runner)
    samples = [BaseDataElement(metainfo=dict(sample_idx=i)) for i in (4, 9)]
    batch = dict(inputs=torch.ones(2, 3), data_samples=samples)
    nan = dict(loss=torch.tensor(float('nan')))
    ok = dict(loss=torch.tensor(1.))
    for it in range(3):
        runner.iter = it
        hook.after_train_iter(runner, it, batch, ok)
    runner.iter = 3  # past the warm-up: one NaN warns, two in a row stop
    hook.after_train_iter(runner, 3, batch, nan)
    assert 'non-finite loss at iter 4 (1 in a row' in runner.logger.warnings[0]
    runner.iter = 4
    hook.after_train_iter(runner, 4, batch, ok)
    runner.iter = 5
    hook.after_train_iter(runner, 5, batch, nan)
    runner.iter = 6
    with pytest.raises(NonFiniteError) as err:
        hook.after_train_iter(runner, 6, batch, nan)
    assert 'at iter 7, samples [4, 9]' in str(err.value)
    assert "inputs are finite: the model diverged" in str(err.value)
    assert '2 iterations in a row' in str(err.value)
    # a GAN run keeps GANGuardHook's policy (skip and log the update)
    gan = _FakeRunner([GANGuardHook()])
    hook.before_train(gan)
    hook.after_train_iter(gan, 0, batch, nan)  # no error


def test_nonfinite_hook_is_on_in_the_base_runtime():
    cfg = Config.fromfile(ROOT / 'configs/_base_/default_runtime.py')
    assert cfg.default_hooks.nonfinite.type == 'mmext.NonFiniteLossHook'


# ------------------------------------------------ writes, temp, orphans
def test_improving_epoch_writes_its_checkpoint_once(tmp_path, monkeypatch):
    import mmext.engine.checkpoint as ckpt_module
    writes = []
    original = ckpt_module.atomic_write_bytes

    def counting(data, path):
        writes.append(Path(path).name)
        return original(data, path)

    monkeypatch.setattr(ckpt_module, 'atomic_write_bytes', counting)
    wd = tmp_path / 'wd'
    runner = _runner(wd, max_epochs=3)
    runner.train()
    scores = [
        json.loads(x) for x in next(wd.glob(
            '2*/vis_data/scalars.json')).read_text().splitlines()
    ]
    assert [s['toy/mse'] for s in scores if 'toy/mse' in s
            ] == sorted([s['toy/mse'] for s in scores if 'toy/mse' in s],
                        reverse=True)
    pth = [w for w in writes if w.endswith('.pth')]
    assert pth == ['epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth'], pth
    best = next(wd.glob('best_*.pth'))
    assert best.name == 'best_toy_mse_epoch_3.pth'
    assert os.path.samefile(best, wd / 'epoch_3.pth')
    assert safe_load(best)['meta']['epoch'] == 3


def test_resume_sweeps_temp_files_and_orphaned_bests(tmp_path):
    wd = tmp_path / 'wd'
    _runner(wd, max_epochs=2).train()
    # what kills leave: an interrupted atomic write, a best checkpoint whose
    # deletion was interrupted, a checkpoint max_keep_ckpts had dropped
    (wd / '.epoch_3.pth.k2j4h5g6.tmp').write_bytes(b'partial')
    shutil.copy(wd / 'epoch_1.pth', wd / 'best_toy_mse_epoch_1.pth')
    shutil.copy(wd / 'epoch_1.pth', wd / 'epoch_0.pth')
    unrelated = wd / 'notes.tmp'
    unrelated.write_text('mine')
    runner = _runner(wd, max_epochs=3, resume='auto')
    runner.train()
    assert not (wd / '.epoch_3.pth.k2j4h5g6.tmp').exists()
    assert unrelated.exists()
    assert sorted(p.name for p in wd.glob('best_*.pth')) == \
        ['best_toy_mse_epoch_3.pth']
    assert not (wd / 'epoch_0.pth').exists()
    assert sorted(p.name for p in wd.glob('epoch_*.pth')) == \
        ['epoch_2.pth', 'epoch_3.pth']


def test_disk_full_names_the_file_in_one_line(tmp_path, monkeypatch):
    from mmext.engine.checkpoint import atomic_write_bytes
    from mmext.utils import format_error

    def full(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    (tmp_path / 'epoch_1.pth').write_bytes(b'old')
    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(OSError) as err:
        atomic_write_bytes(b'new', tmp_path / 'epoch_1.pth')
    line = format_error(err.value)
    assert line == (f'error: [Errno 28] cannot write {tmp_path}/epoch_1.pth: '
                    'No space left on device (the previous file, if any, is '
                    'kept)')
    assert (tmp_path / 'epoch_1.pth').read_bytes() == b'old'
    assert not list(tmp_path.glob('.*.tmp'))
