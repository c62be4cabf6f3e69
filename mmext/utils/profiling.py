# Copyright (c) mmext contributors. All rights reserved.
"""Timing, memory and table helpers shared by the benchmark scripts.

The scripts under ``tools/benchmarks/`` measure side by side in one run and
print Markdown tables; these are the pieces they share:

* :func:`sync` waits for the device (CUDA kernels run asynchronously, so a
  timer must stop only after them);
* :func:`time_calls` times a callable with that synchronisation;
* :func:`proc_status_mib` / :func:`reset_peak_rss` read and reset the
  process's resident-set peak on Linux (the CPU's "peak memory");
* :func:`markdown_table` writes one table.
"""
import time
from typing import Callable, List, Optional, Sequence

__all__ = [
    'sync', 'time_calls', 'proc_status_mib', 'reset_peak_rss',
    'markdown_table'
]


def sync(device=None) -> None:
    """Wait for the queued kernels of ``device`` (a no-op off CUDA).

    Args:
        device (torch.device | str, optional): ``None`` or a non-CUDA device
            does nothing; a CUDA device calls ``torch.cuda.synchronize``.
    """
    if device is None:
        return
    import torch
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_calls(fn: Callable[[], object],
               repeat: int,
               warmup: int = 0,
               device=None) -> List[float]:
    """Seconds of each of ``repeat`` calls of ``fn`` after ``warmup`` calls.

    The device is synchronised before the clock starts and before it stops,
    so queued kernels count to the call that queued them.
    """
    if repeat < 1 or warmup < 0:
        raise ValueError(f'time_calls: repeat must be >= 1 and warmup >= 0, '
                         f'got {repeat} and {warmup}')
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    return times


def proc_status_mib(key: str) -> float:
    """A ``/proc/self/status`` memory entry in MiB (``VmRSS``, ``VmHWM``)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) / 1024.
    raise RuntimeError(f'{key} not in /proc/self/status')


def reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS counter (``VmHWM``) of this process."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def markdown_table(header: Sequence[str],
                   rows: Sequence[Sequence[object]],
                   align: Optional[Sequence[str]] = None) -> str:
    """A Markdown table.

    Args:
        header: the column titles.
        rows: one sequence of cells per row (formatted with ``str``).
        align: per column ``'l'``, ``'r'`` or ``''`` (none); defaults to
            none for every column.

    Returns:
        str: the table, without a trailing newline.
    """
    align = list(align) if align is not None else [''] * len(header)
    if len(align) != len(header):
        raise ValueError(f'markdown_table: {len(align)} alignments for '
                         f'{len(header)} columns')
    rule = {'': '---', 'l': ':---', 'r': '---:'}
    lines = ['| ' + ' | '.join(map(str, header)) + ' |',
             '|' + '|'.join(rule[a] for a in align) + '|']
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f'markdown_table: a row has {len(row)} cells '
                             f'for {len(header)} columns: {list(row)}')
        lines.append('| ' + ' | '.join(map(str, row)) + ' |')
    return '\n'.join(lines)
