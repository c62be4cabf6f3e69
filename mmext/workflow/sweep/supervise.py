# Copyright (c) mmext contributors. All rights reserved.
"""Run one trial's training and own its whole process tree (Linux).

    python mmext/workflow/sweep/supervise.py --parent PID [--lock-fd FD]
        [--grace S] -- COMMAND ...

The sweep worker starts this file (by path: it imports only the standard
library, so it starts in milliseconds and holds no model) in a session of its
own. It

* makes itself a *child subreaper* (``PR_SET_CHILD_SUBREAPER``): a process
  of the training whose parent dies (a torchrun rank, which torchrun starts
  with ``start_new_session=True``, so outside every process group above it)
  is re-parented here instead of to init, so the whole tree stays
  reachable;
* asks for SIGTERM when the worker dies (``PR_SET_PDEATHSIG``) and checks
  the worker is still its parent right after, so a worker killed even by
  SIGKILL ends its training;
* on SIGTERM, SIGINT or SIGHUP, and when the command exits while processes
  it started still run, sends SIGTERM to every descendant, SIGKILL to those
  left after ``--grace`` seconds, reaps them all and only then exits;
* keeps the trial work dir's lock (``--lock-fd``, an ``flock`` the worker
  took and passed on) until that point, so a retry of the trial cannot start
  while any process of the old run is alive.

The exit code is the command's, or 128 + the signal that stopped it.
"""
import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f'prctl({option}, {value}): {os.strerror(err)}')


def set_parent_death_signal(sig: int = signal.SIGTERM) -> None:
    """Deliver ``sig`` to this process when its parent thread exits."""
    _prctl(PR_SET_PDEATHSIG, int(sig))


def descendants(root: int) -> list:
    """Pids of every live descendant of ``root`` (by ``/proc`` parent
    links; zombies left out)."""
    children = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if fields[0] == 'Z':
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _reap() -> dict:
    """Collect every exited child: ``{pid: exit code}``."""
    done = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done[pid] = os.waitstatus_to_exitcode(status)


def end_tree(root: int, grace: float) -> None:
    """SIGTERM every descendant of ``root``; SIGKILL what is left after
    ``grace`` seconds; return once none is alive (all reaped)."""
    def send(sig):
        for pid in descendants(root):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    send(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while True:
        _reap()
        left = descendants(root)
        if not left:
            return
        if time.monotonic() >= deadline:
            send(signal.SIGKILL)
        time.sleep(0.05)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--parent', type=int, required=True,
                   help='pid of the worker; its death ends the training')
    p.add_argument('--lock-fd', type=int,
                   help='an open, flock-ed file descriptor to hold')
    p.add_argument('--grace', type=float, default=5.0,
                   help='seconds between SIGTERM and SIGKILL')
    p.add_argument('command', nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ['--'] else args.command
    if not cmd:
        p.error('no command given after --')

    stop = []

    def on_signal(signum, frame):
        stop.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != args.parent:  # the worker died before the prctl
        return 128 + signal.SIGTERM

    keep = (args.lock_fd, ) if args.lock_fd is not None else ()
    # the direct child (bash / torchrun / train.py) also gets SIGTERM should
    # this process ever die first; this process has no threads, so a
    # preexec_fn is safe here
    child = subprocess.Popen(cmd, pass_fds=keep,
                             preexec_fn=set_parent_death_signal)
    me = os.getpid()
    code = None
    while True:
        if stop:
            end_tree(me, args.grace)
            return 128 + stop[0]
        done = _reap()
        if child.pid in done:
            code = done[child.pid]
            child.returncode = code
            break
        time.sleep(0.1)
    # the command has exited; anything it left behind goes with it
    if descendants(me):
        end_tree(me, args.grace)
    return 128 - code if code < 0 else code


if __name__ == '__main__':
    sys.exit(main())
