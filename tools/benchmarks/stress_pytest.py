# Copyright (c) mmext contributors. All rights reserved.
"""Run pytest node ids many times beside CPU burners and count failures.

A stress check for the tests that kill, restart or time processes: each
round runs the given tests in a fresh ``python -m pytest`` process while
``--burners`` busy-loop processes compete for the CPU, as on a loaded CI
host. Not part of the test suite (it takes minutes per round)::

    python tools/benchmarks/stress_pytest.py --runs 10 --burners 1 \\
        tests/test_tools/test_sweep.py::test_journal_study_two_workers_after_a_sigkill

Prints one line per round (pass/fail, wall seconds) and a summary line
``N passed, M failed``; exits 1 if any round failed. ``--log-dir`` keeps
each failing round's pytest output.
"""
import argparse
import os
import os.path as osp
import signal
import subprocess
import sys
import time

BURN = 'while True: pass'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('tests', nargs='+', help='pytest node ids or files')
    parser.add_argument('--runs', type=int, default=10,
                        help='rounds (default 10)')
    parser.add_argument('--burners', type=int, default=1,
                        help='busy-loop processes beside each round '
                        '(default 1)')
    parser.add_argument('--log-dir', default='work_dirs/stress',
                        help='where failing rounds write their output')
    args = parser.parse_args(argv)
    if args.runs < 1 or args.burners < 0:
        parser.error('--runs must be >= 1 and --burners >= 0, got '
                     f'{args.runs} and {args.burners}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get(
        'OMP_NUM_THREADS', '1'), PYTHONUNBUFFERED='1')
    # SIGTERM (e.g. `kill`) ends the run through the `finally` below, so the
    # burners never outlive it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    burners = [subprocess.Popen([sys.executable, '-c', BURN])
               for _ in range(args.burners)]
    passed = failed = 0
    try:
        for i in range(1, args.runs + 1):
            t0 = time.monotonic()
            proc = subprocess.run(
                [sys.executable, '-m', 'pytest', '-q', '-p',
                 'no:cacheprovider', *args.tests],
                env=env, capture_output=True, text=True)
            wall = time.monotonic() - t0
            ok = proc.returncode == 0
            passed += ok
            failed += not ok
            tail = proc.stdout.strip().splitlines()[-1:] or ['']
            print(f'round {i}/{args.runs}: {"pass" if ok else "FAIL"} '
                  f'in {wall:.1f} s ({tail[0]})', flush=True)
            if not ok:
                os.makedirs(args.log_dir, exist_ok=True)
                path = osp.join(args.log_dir, f'round_{i}.log')
                with open(path, 'w') as f:
                    f.write(proc.stdout + proc.stderr)
                print(f'  output: {path}', flush=True)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    print(f'{passed} passed, {failed} failed '
          f'({args.burners} CPU burner(s) beside each round)')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
