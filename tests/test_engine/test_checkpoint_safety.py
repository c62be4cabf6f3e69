# Copyright (c) mmext contributors. All rights reserved.
"""Crash-safe checkpoint writing and code-free checkpoint loading."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, tool_env
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from mmext.engine import UnsafeCheckpointError, safe_load

WRITER = textwrap.dedent('''
    import sys, torch
    import mmext
    from mmengine.runner.checkpoint import save_checkpoint
    from mmext.engine import atomic_write_bytes
    out = sys.argv[1]
    for step in range(1, 10000):
        path = f'{out}/epoch_{step}.pth'
        # ~64 MB: a write takes long enough to be interrupted
        save_checkpoint({'step': step,
                         'w': torch.full((16 * 2**20,), float(step))}, path)
        atomic_write_bytes(path.encode(), f'{out}/last_checkpoint')
''')


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed meanwhile
        return 0


def _wait_for(predicate, timeout=600, proc=None):
    """Poll until ``predicate`` holds; the generous timeout only guards
    against a hang (a loaded CI machine can take minutes to import torch);
    a dead ``proc`` ends the wait at once."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        if proc is not None and proc.poll() is not None:
            return predicate()
        time.sleep(0.002)
    return False


@pytest.mark.timeout(1500)
@pytest.mark.parametrize('trial', range(3))
def test_kill_during_save_never_breaks_last_checkpoint(tmp_path, trial):
    script = tmp_path / 'writer.py'
    script.write_text(WRITER)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)],
                            env=tool_env(), cwd=ROOT)
    try:
        # wait until a checkpoint exists and the next one is half-written
        assert _wait_for(lambda: (tmp_path / 'last_checkpoint').exists(),
                         proc=proc), f'writer ended: {proc.poll()}'
        assert _wait_for(lambda: any(
            _size(p) > 1 << 20 for p in tmp_path.glob('.epoch_*.tmp')),
            proc=proc), 'no write in flight seen'
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    target = (tmp_path / 'last_checkpoint').read_text().strip()
    ckpt = safe_load(target)
    step = int(Path(target).stem.split('_')[1])
    assert ckpt['step'] == step
    assert torch.all(ckpt['w'] == step)
    # no final file is ever truncated: every epoch_*.pth loads completely
    for path in tmp_path.glob('epoch_*.pth'):
        assert safe_load(path)['w'].numel() == 16 * 2**20


class _Evil:

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_crafted_pickle_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    evil = _Evil()
    _Evil.marker = marker
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': evil}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        safe_load(path)
    msg = str(err.value).splitlines()[0]
    assert f'refusing to load checkpoint {path}' in msg
    assert 'system' in msg  # names the offending global (posix.system)
    # the path mmengine's Runner uses for resume / load_from is safe too
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists(), 'the payload ran'


def test_truncated_checkpoint_gives_clear_error(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save({'w': torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RuntimeError, match='not a readable torch checkpoint'):
        safe_load(path)
    with pytest.raises(FileNotFoundError, match='checkpoint file not found'):
        safe_load(tmp_path / 'missing.pth')


def _toy_runner(work_dir, resume=False, max_epochs=3, **hook):
    cfg = Config.fromfile(ROOT / 'tests/data/configs/toy_regression.py')
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.experiment_name = f'toy_{work_dir.name}_{time.time_ns()}'
    cfg.train_cfg.max_epochs = max_epochs
    cfg.default_hooks.checkpoint.update(hook)
    cfg.default_hooks.logger.interval = 100
    return Runner.from_cfg(cfg)


def test_runner_checkpoints_load_weights_only(tmp_path):
    runner = _toy_runner(tmp_path)
    runner.train()
    ckpt = safe_load(tmp_path / 'epoch_3.pth')
    assert 'message_hub' in ckpt and 'optimizer' in ckpt
    assert ckpt['meta']['epoch'] == 3


def test_kill_inside_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    """mmengine's CheckpointHook deletes the oldest checkpoint *before*
    saving; killed in between, last_checkpoint names a deleted file."""
    runner = _toy_runner(tmp_path, max_keep_ckpts=1, save_best=None)
    original = runner.save_checkpoint

    def save(out_dir, filename, *args, **kwargs):
        if filename == 'epoch_3.pth':
            raise KeyboardInterrupt('killed while saving')
        return original(out_dir, filename, *args, **kwargs)

    monkeypatch.setattr(runner, 'save_checkpoint', save)
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    last = (tmp_path / 'last_checkpoint').read_text().strip()
    assert Path(last).name == 'epoch_2.pth'
    assert safe_load(last)['meta']['epoch'] == 2


def test_numpy_metadata_loads(tmp_path):
    """Runner checkpoints carry dataset_meta with numpy arrays (mmpose's
    keypoint colours, sigmas ...) and numpy scalars in the message hub."""
    import numpy as np
    meta = dict(dataset_meta=dict(
        colors=np.array([[255, 128, 0]], dtype=np.uint8),
        sigmas=np.linspace(0, 1, 5, dtype=np.float32),
        empty=np.zeros((0, 3)), flip=[1, 0]),
        best=np.float64(37.5), epoch=np.int64(3))
    torch.save({'meta': meta, 'state_dict': {'w': torch.ones(2)}},
               tmp_path / 'ckpt.pth')
    got = safe_load(tmp_path / 'ckpt.pth')['meta']
    np.testing.assert_array_equal(got['dataset_meta']['colors'],
                                  meta['dataset_meta']['colors'])
    np.testing.assert_array_equal(got['dataset_meta']['sigmas'],
                                  meta['dataset_meta']['sigmas'])
    assert got['dataset_meta']['empty'].shape == (0, 3)
    assert got['best'] == 37.5 and got['epoch'] == 3


def test_kill_after_best_save_resumes_without_orphans(tmp_path, monkeypatch):
    """Killed after epoch 3's validation, while epoch_3.pth is written:
    best_*_epoch_3.pth (a link to epoch_3.pth, made after it) does not
    exist yet; the resumed run redoes epoch 3 and its validation, so no
    best checkpoint is orphaned and the best record is the uninterrupted
    one."""
    full = _toy_runner(tmp_path / 'full')
    full.train()
    ref_best = full.message_hub.get_info('best_score')

    runner = _toy_runner(tmp_path / 'killed')
    original = runner.save_checkpoint

    def save(out_dir, filename, *args, **kwargs):
        if filename == 'epoch_3.pth':
            assert not list((tmp_path / 'killed').glob('best_*epoch_3.pth'))
            raise KeyboardInterrupt('killed while saving')
        return original(out_dir, filename, *args, **kwargs)

    monkeypatch.setattr(runner, 'save_checkpoint', save)
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert (tmp_path / 'killed' / 'last_checkpoint').read_text().strip() \
        .endswith('epoch_2.pth')
    monkeypatch.undo()

    resumed = _toy_runner(tmp_path / 'killed', resume=True)
    resumed.train()
    bests = sorted(p.name for p in (tmp_path / 'killed').glob('best_*.pth'))
    assert bests == sorted(p.name
                           for p in (tmp_path / 'full').glob('best_*.pth'))
    assert len(bests) == 1
    assert resumed.message_hub.get_info('best_score') == ref_best


@pytest.mark.parametrize('umask', [0o022, 0o002, 0o077])
def test_atomic_writes_honour_umask(tmp_path, umask):
    """mkstemp creates 0600 files; a checkpoint must get the mode a plain
    open() gives it: 0o666 & ~umask (0644 under the usual 022)."""
    from mmengine.runner.checkpoint import save_checkpoint

    from mmext.engine import atomic_write_bytes
    from mmext.engine.checkpoint import current_umask
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        plain = tmp_path / 'plain'
        plain.write_bytes(b'x')  # what the OS gives an ordinary new file
        want = plain.stat().st_mode & 0o777
        assert want == 0o666 & ~umask
        atomic_write_bytes(b'epoch_1.pth', tmp_path / 'last_checkpoint')
        # through mmengine's saver (patched file backend), a replace too
        save_checkpoint({'w': torch.ones(2)}, str(tmp_path / 'epoch_1.pth'))
        save_checkpoint({'w': torch.ones(3)}, str(tmp_path / 'epoch_1.pth'))
    finally:
        os.umask(old)
    for name in ('last_checkpoint', 'epoch_1.pth'):
        assert (tmp_path / name).stat().st_mode & 0o777 == want, name
    assert not list(tmp_path.glob('.*.tmp'))


KILLED_RUN = textwrap.dedent('''
    import os, signal, sys
    import mmext
    import mmext.engine.hooks.checkpoint_hook as hook_module
    from mmengine.config import Config
    from mmengine.runner import Runner
    config, work_dir, point = sys.argv[1:]
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    cfg.resume = True
    cfg.train_cfg.max_epochs = 3
    cfg.default_hooks.logger.interval = 100
    runner = Runner.from_cfg(cfg)
    save, write = runner.save_checkpoint, hook_module.atomic_write_bytes

    def killing_save(out_dir, filename, *args, **kwargs):
        if point == 'before_epoch_ckpt' and filename == 'epoch_3.pth':
            os.kill(os.getpid(), signal.SIGKILL)
        return save(out_dir, filename, *args, **kwargs)

    def killing_write(data, path):
        if point == 'before_last_checkpoint' and \\
                data.decode().endswith('epoch_3.pth'):
            os.kill(os.getpid(), signal.SIGKILL)
        return write(data, path)

    runner.save_checkpoint = killing_save
    hook_module.atomic_write_bytes = killing_write
    runner.train()
''')


@pytest.mark.timeout(300)
@pytest.mark.parametrize('point',
                         ['before_epoch_ckpt', 'before_last_checkpoint'])
def test_sigkill_before_resume_point_keeps_its_best(tmp_path, point):
    """A run resumed from epoch_2.pth validates epoch 3, writes a new best
    and is SIGKILLed before epoch_3.pth or before last_checkpoint names it
    (right after a resume, mmengine's hook does not re-save the last
    checkpoint when the best improves, so nothing else covers this window).
    The resume point (epoch_2.pth) names the previous best as ``best_ckpt``:
    that file must still exist, and resuming again must end with exactly
    one best checkpoint."""
    work_dir = tmp_path / 'run'
    _toy_runner(work_dir, max_epochs=2).train()
    assert list(work_dir.glob('best_*_epoch_2.pth'))
    script = tmp_path / 'killed_run.py'
    script.write_text(KILLED_RUN)
    proc = subprocess.run(
        [sys.executable, str(script),
         str(ROOT / 'tests/data/configs/toy_regression.py'), str(work_dir),
         point], env=tool_env(), cwd=ROOT, capture_output=True, text=True,
        timeout=240)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    if point == 'before_epoch_ckpt':
        # the new best is a link to epoch_3.pth, made only once it exists
        assert not list(work_dir.glob('best_*_epoch_3.pth'))
    else:
        assert list(work_dir.glob('best_*_epoch_3.pth')), \
            'no new best written'
    last = (work_dir / 'last_checkpoint').read_text().strip()
    assert Path(last).name == 'epoch_2.pth'
    named_best = safe_load(last)['message_hub']['runtime_info']['best_ckpt']
    assert Path(named_best).is_file(), \
        f'the resume point names a deleted best checkpoint {named_best}'

    resumed = _toy_runner(work_dir, resume=True)
    resumed.train()
    bests = list(work_dir.glob('best_*.pth'))
    assert [p.name for p in bests] == \
        [Path(resumed.message_hub.get_info('best_ckpt')).name]
    assert bests[0].name.endswith('epoch_3.pth')
