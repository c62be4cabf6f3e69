# Copyright (c) mmext contributors. All rights reserved.
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def tool_env(**extra) -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = f'{ROOT}:{env.get("PYTHONPATH", "")}'
    env['PYTHON'] = sys.executable
    env.setdefault('OMP_NUM_THREADS', '1')
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_tool(args, timeout=300, **env) -> subprocess.CompletedProcess:
    """Run ``python tools/<args>`` (or a .sh tool) and capture its output."""
    cmd = (['bash'] if str(args[0]).endswith('.sh') else [sys.executable])
    cmd += [str(ROOT / 'tools' / args[0])] + [str(a) for a in args[1:]]
    return subprocess.run(
        cmd,
        cwd=ROOT,
        env=tool_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout)


@pytest.fixture
def root() -> Path:
    return ROOT


def _restore_default_scopes():
    """Snapshot mmengine's process-global ``DefaultScope`` table; calling
    the returned function puts it back."""
    from mmengine.registry import DefaultScope
    before = dict(DefaultScope._instance_dict)

    def restore():
        DefaultScope._instance_dict.clear()
        DefaultScope._instance_dict.update(before)

    return restore


@pytest.fixture(autouse=True, scope='module')
def _isolate_default_scope_per_module():
    """Undo the default scopes a test module's fixtures created.

    mmengine's ``DefaultScope`` is process-global: a module fixture that
    calls ``init_default_scope('mmpose')``, or a test that builds a Runner
    under ``mmext``, would leave that scope current for every later module,
    so models built there are looked up in the wrong registry and results
    depend on test order. Autouse fixtures are set up first and torn down
    last within their scope, so this snapshot brackets the module's own.
    """
    restore = _restore_default_scopes()
    yield
    restore()


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """The same, per test: each test sees the scope its module set up."""
    restore = _restore_default_scopes()
    yield
    restore()
