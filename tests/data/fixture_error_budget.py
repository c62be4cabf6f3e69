# Copyright (c) mmext contributors. All rights reserved.
"""Measure how far this host's kernels land from the committed float64
numeric fixtures: the error budget behind the tests' 1e-9 tolerance.

Runs every comparison of the three fixture tests (MotionAGFormer memory
paths, official MotionAGFormer checkpoints, official PCAN head) and prints
the worst ``max |actual - reference| / max |reference|`` per fixture, with
the CPU kernel the run used. Run it under each kernel setting::

    python tests/data/fixture_error_budget.py
    ATEN_CPU_CAPABILITY=default python tests/data/fixture_error_budget.py
    ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 \\
        python tests/data/fixture_error_budget.py

The results are recorded in docs/benchmarks.md ("Host-independent numeric
fixtures").
"""
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import torch
from mmengine.registry import DefaultScope

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))


def _module(rel):
    path = TESTS / rel
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _worst(errors):
    what, rel = max(errors, key=lambda e: e[1])
    return f'{rel:.2e} ({what}; {len(errors)} comparisons)'


def main() -> None:
    print(f'torch {torch.__version__}, CPU capability '
          f'{torch.backends.cpu.get_cpu_capability()}, '
          f'ATEN_CPU_CAPABILITY={os.environ.get("ATEN_CPU_CAPABILITY")}, '
          f'MKL_ENABLE_INSTRUCTIONS='
          f'{os.environ.get("MKL_ENABLE_INSTRUCTIONS")}')
    mem = _module('test_models/test_pose3d/test_memory_paths.py')
    with DefaultScope.overwrite_default_scope('mmpose'):
        for name in mem.GEN.CASES:
            mem._check_against_reference(name, mem._build(name))
            mem._check_against_reference(name, mem._build(name,
                                                          with_cp=True))
    print('memory paths (7 cases, default + with_cp):', _worst(mem.ERRORS))

    off = _module('test_models/test_pose3d/test_official_fixtures.py')
    with DefaultScope.overwrite_default_scope('mmpose'), \
            tempfile.TemporaryDirectory() as tmp:
        for variant in sorted(off.KWARGS):
            off._compare_with_official(off._converted(variant, Path(tmp)),
                                       variant)
    print('official MotionAGFormer (6 variants, eval + train):',
          _worst(off.ERRORS))

    pcan = _module('test_models/test_action/test_pcan_head.py')
    with DefaultScope.overwrite_default_scope('mmaction'):
        pcan._compare_with_official(
            pcan._head_from_fixture(pcan.np.load(pcan.FIXTURE)))
    print('official PCAN head (2 train steps + inference):',
          _worst(pcan.ERRORS))


if __name__ == '__main__':
    main()
