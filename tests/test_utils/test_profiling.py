# Copyright (c) mmext contributors. All rights reserved.
"""mmext.utils.profiling: the benchmark scripts' shared helpers."""
import pytest

from mmext.utils.profiling import (markdown_table, proc_status_mib,
                                   reset_peak_rss, sync, time_calls)


def test_markdown_table_matches_a_hand_written_one():
    table = markdown_table(['a', 'b'], [[1, 'x'], ['2.50', None]],
                           align=['', 'r'])
    assert table == ('| a | b |\n'
                     '|---|---:|\n'
                     '| 1 | x |\n'
                     '| 2.50 | None |')
    assert markdown_table(['a'], []) == '| a |\n|---|'


def test_markdown_table_errors_name_the_mismatch():
    with pytest.raises(ValueError, match='a row has 1 cells for 2 columns'):
        markdown_table(['a', 'b'], [[1]])
    with pytest.raises(ValueError, match='1 alignments for 2 columns'):
        markdown_table(['a', 'b'], [], align=['r'])


def test_time_calls_counts_and_warms_up():
    calls = []
    times = time_calls(lambda: calls.append(1), repeat=3, warmup=2,
                       device='cpu')
    assert len(calls) == 5 and len(times) == 3
    assert all(t >= 0 for t in times)
    with pytest.raises(ValueError, match='repeat must be >= 1'):
        time_calls(lambda: None, repeat=0)


def test_sync_off_cuda_is_a_no_op():
    sync(None)
    sync('cpu')


def test_peak_rss_reset_and_read():
    import os
    if not os.path.exists('/proc/self/clear_refs'):
        pytest.skip('needs Linux /proc')
    reset_peak_rss()
    rss, peak = proc_status_mib('VmRSS'), proc_status_mib('VmHWM')
    assert 0 < rss <= peak + 1  # peak restarts at the current RSS
    with pytest.raises(RuntimeError, match='NoSuchKey not in'):
        proc_status_mib('NoSuchKey')
