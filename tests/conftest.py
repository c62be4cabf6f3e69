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


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """Undo the default-scope instances a test created.

    mmengine's ``DefaultScope`` is process-global: a test that builds a
    Runner (or calls ``init_default_scope``) under scope ``mmext`` leaves
    that scope current for every later test, so an mmpose or mmaction model
    built afterwards is looked up in the wrong registry and the outcome
    depends on test order. Restoring the instance table after each test
    makes every test see the scope it set up itself.
    """
    from mmengine.registry import DefaultScope
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)
