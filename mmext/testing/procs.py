# Copyright (c) mmext contributors. All rights reserved.
"""Process helpers for tests and stress scripts that kill training runs."""
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, List


def descendants(pid: int) -> List[int]:
    """All live descendants of ``pid``, read from ``/proc``.

    torchrun starts its workers in new sessions, so killing the launcher's
    process group is not enough to kill a whole distributed run.
    """
    children = {}
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            fields = stat.read_text().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc`` and every descendant at once (like a node failure),
    then reap ``proc``."""
    for pid in [proc.pid] + descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def last_checkpoint_is(work_dir: Path, names) -> Callable[[], bool]:
    """A predicate: ``work_dir/last_checkpoint`` names one of ``names``."""
    last = Path(work_dir) / 'last_checkpoint'
    names = tuple(names)

    def check() -> bool:
        try:
            return Path(last.read_text().strip()).name in names
        except OSError:
            return False

    return check


def wait_until(predicate: Callable[[], bool],
               proc: subprocess.Popen,
               timeout: float = 600,
               poll: float = 0.02) -> bool:
    """Poll ``predicate`` until it holds (True), ``proc`` ends or the timeout
    passes (False). There is no timing assumption: the caller reacts to an
    event, the timeout only guards against a hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return predicate()
        time.sleep(poll)
    return False
