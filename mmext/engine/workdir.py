# Copyright (c) mmext contributors. All rights reserved.
"""A work dir has one owner: the lock file, and the start-of-run sweeps.

:class:`WorkDirLock` writes ``<work_dir>/.mmext_run.lock`` (JSON: pid,
host, process start time, config identity, command) with ``O_EXCL``, so two
runs never write one work dir's checkpoints at once. A lock whose process
is gone (same host, pid dead or reused) is *stale*: it is taken over only by
the same config (the run that died, resumed or restarted); a different
config is refused, naming both. A lock held on another host cannot be
checked and is respected. Only rank 0 of a distributed run takes the lock;
the outcome is broadcast so that every rank fails or proceeds together.

:func:`sweep_temp_files` removes the temp files a killed
:func:`mmext.engine.checkpoint.atomic_write_bytes` left behind; it runs
only while the lock is held.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import re
import socket
import sys
import time
from typing import Optional

from .errors import WorkDirLockedError

__all__ = ['WorkDirLock', 'config_identity', 'sweep_temp_files', 'LOCK_NAME']

LOCK_NAME = '.mmext_run.lock'
# the keys that make two configs "the same experiment"
IDENTITY_KEYS = ('model', 'optim_wrapper', 'param_scheduler', 'randomness')


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return repr(obj)


def config_identity(cfg) -> str:
    """A short hash of what makes a config the same experiment: the model,
    optimizer, schedule, seed and training data (not the work dir, epochs,
    hooks or logging)."""
    d = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    ident = {k: d.get(k) for k in IDENTITY_KEYS}
    loader = d.get('train_dataloader') or {}
    if isinstance(loader, dict):
        ident['train_data'] = [loader.get('dataset'), loader.get('batch_size')]
    text = json.dumps(_plain(ident), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _start_time(pid: int) -> Optional[str]:
    """The process start time (clock ticks since boot) on Linux, else None."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(info: dict) -> bool:
    pid = int(info.get('pid', -1))
    if pid <= 0:
        return False
    if pid == os.getpid():
        # this process: alive only if a lock object here still holds it
        return info.get('token') in WorkDirLock._held
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = info.get('start_time')
    now = _start_time(pid)
    return not (started and now and started != now)  # pid reused


class WorkDirLock:
    """The lock of one work dir (see the module docstring).

    Args:
        work_dir (str): The work dir.
        identity (str): :func:`config_identity` of the run's config.
        name (str): Shown in messages (e.g. the config file).
    """

    _held = set()  # tokens of the locks this process holds

    def __init__(self, work_dir: str, identity: str, name: str = ''):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self.identity = identity
        self.name = name
        self.token = f'{socket.gethostname()}:{os.getpid()}:{time.time_ns()}'
        self.took_over: Optional[dict] = None

    def _info(self) -> dict:
        return dict(
            pid=os.getpid(),
            host=socket.gethostname(),
            start_time=_start_time(os.getpid()),
            identity=self.identity,
            config=self.name,
            token=self.token,
            started=time.strftime('%Y-%m-%d %H:%M:%S'),
            command=' '.join(sys.argv))

    def _read(self) -> Optional[dict]:
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # half-written or corrupt: treat as stale, unknown

    def acquire(self) -> 'WorkDirLock':
        """Take the lock.

        Raises:
            WorkDirLockedError: another live run holds it, or a different
                config's run died holding it.
        """
        os.makedirs(self.work_dir, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY,
                             0o644)
            except FileExistsError:
                info = self._read()
                if info is None:
                    continue  # released meanwhile: try again
                self._check_stale(info)
                try:  # stale and ours to take: replace it
                    os.remove(self.path)
                except FileNotFoundError:
                    pass
                self.took_over = info
                continue
            with os.fdopen(fd, 'w') as f:
                json.dump(self._info(), f)
            WorkDirLock._held.add(self.token)
            return self
        raise WorkDirLockedError(
            f'work dir {self.work_dir}: could not take {self.path} (another '
            'run keeps re-creating it); use another --work-dir')

    def _check_stale(self, info: dict) -> None:
        owner = (f"pid {info.get('pid', '?')} on {info.get('host', '?')}, "
                 f"config {info.get('config') or '?'}, started "
                 f"{info.get('started', '?')}")
        host = info.get('host')
        if info and host != socket.gethostname():
            raise WorkDirLockedError(
                f'work dir {self.work_dir} is in use by another run '
                f'({owner}); '
                'its host cannot be checked from here. Use another '
                f'--work-dir, or delete {self.path} if that run is over')
        if info and _alive(info):
            raise WorkDirLockedError(
                f'work dir {self.work_dir} is in use by another run '
                f'({owner}); two runs would overwrite each other\'s '
                'checkpoints. Use another --work-dir, or wait for it to end')
        if info and info.get('identity') != self.identity:
            raise WorkDirLockedError(
                f'work dir {self.work_dir} belongs to a run of a different '
                f'config that died ({owner}); resuming it with this config '
                'would mix two experiments. Use another --work-dir, or '
                f'delete {self.path} to take the work dir over')

    def release(self) -> None:
        """Remove the lock file if this lock still owns it."""
        if self.token not in WorkDirLock._held:
            return
        WorkDirLock._held.discard(self.token)
        info = self._read()
        if info and info.get('token') == self.token:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass


# atomic_write_bytes names its temp files `.<target name>.<8 chars>.tmp`
_TMP_RE = re.compile(r'^\..+\.[A-Za-z0-9_]{8}\.tmp$')


def sweep_temp_files(*dirs: str) -> list:
    """Remove the temp files of interrupted atomic writes in ``dirs``.

    Returns:
        list[str]: The removed paths.
    """
    removed = []
    for d in dict.fromkeys(x for x in dirs if x):
        for path in glob.glob(osp.join(glob.escape(d), '.*.tmp')):
            if _TMP_RE.match(osp.basename(path)) and osp.isfile(path):
                try:
                    os.remove(path)
                    removed.append(path)
                except OSError:
                    pass
    return removed
