# Copyright (c) mmext contributors. All rights reserved.
"""keep_freed_memory: a large tensor freed and allocated again reuses the
same pages instead of faulting in fresh ones (the cause of the VFI model's
superlinear CPU time at 1024^2). Each setting runs in its own process,
since glibc settings are process-wide."""
import subprocess
import sys

import pytest
from conftest import ROOT, tool_env

PROBE = '''
import resource, sys, torch
from mmext.utils import keep_freed_memory
if sys.argv[1] == 'keep':
    assert keep_freed_memory()
for _ in range(3):  # warm-up: the heap grows to hold the block
    x = torch.ones(2**24)  # 64 MiB, above glibc's largest mmap threshold
    del x
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    x = torch.ones(2**24)
    del x
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
'''


def _faults(setting):
    out = subprocess.run([sys.executable, '-c', PROBE, setting], cwd=ROOT,
                         env=tool_env(), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='glibc allocator settings')
def test_freed_memory_is_reused():
    keep, default = _faults('keep'), _faults('default')
    # 5 x 64 MiB in 4 KiB pages would be 81920 faults; reused pages: ~0
    assert keep < 1000
    assert default > keep
