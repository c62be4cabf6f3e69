# Copyright (c) mmext contributors. All rights reserved.
"""Keep freed heap memory for reuse (glibc), for large-tensor CPU work.

glibc's ``malloc`` serves every block above its mmap threshold (at most
32 MiB) with a fresh ``mmap`` and returns it to the kernel on ``free``.
A CPU forward pass over a large image allocates and frees such tensors
hundreds of times, so every op writes into never-touched pages and pays a
page fault per 4 KiB: on the VFI model this made 16x the pixels cost about
34x the time (docs/benchmarks.md, "Video frame interpolation"). Turning
mmap off for ``malloc`` and never trimming the heap lets freed blocks be
reused, which restores linear cost. The price: the process's resident
memory does not shrink after a peak (the peak itself is unchanged).

This is the same remedy PyTorch's CPU performance guide gives (a caching
allocator such as jemalloc or tcmalloc, or these glibc settings); it only
acts on Linux with glibc and is a no-op elsewhere.
"""
import ctypes
import ctypes.util
import sys

__all__ = ['keep_freed_memory']

# glibc <malloc.h> parameter numbers
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse in this process.

    Returns:
        bool: True if the settings took effect (Linux, glibc), else False.
    """
    if not sys.platform.startswith('linux'):
        return False
    name = ctypes.util.find_library('c')
    try:
        libc = ctypes.CDLL(name or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (e.g. musl has no mallopt)
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; the trim threshold is an int, so the
    # largest int means "never give heap memory back"
    ok = mallopt(_M_MMAP_MAX, 0) == 1
    ok &= mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1
    return bool(ok)
