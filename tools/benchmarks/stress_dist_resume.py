# Copyright (c) mmext contributors. All rights reserved.
"""Stress test: 2-process CPU train, SIGKILL mid-run, ``--resume``, repeated
under concurrent CPU load; counts the runs that fail.

    python tools/benchmarks/stress_dist_resume.py [--runs 20]
        [--burners 2] [--procs 2] [--kill-after 3]
        [--config tests/data/configs/toy_regression.py]
        [--work-dir work_dirs/stress_dist_resume] [--keep]

Each run starts ``tools/dist_train.sh CONFIG 2`` on a free port, waits for
``last_checkpoint`` to name ``epoch_<kill-after>.pth``, SIGKILLs the launcher
and every worker at once (like a node failure), then resumes with
``--resume`` to the end. A run fails when the resumed command does not exit
with 0, its log shows a C++ abort (``terminate called``), or its final
checkpoint differs from the uninterrupted reference run's (trained once at
the start). ``--burners`` busy-loop processes run the whole time, so the
training processes are pre-empted at random points, as on a loaded CI
machine. Nothing is timed: the kill point is a checkpoint file, and the
timeouts only guard against hangs.

The result is printed and written to ``WORK_DIR/summary.json``.

``--bare N`` instead runs the cause in isolation, without mmengine: N times
each, alternating, a 2-process gloo script that all-reduces Python tensors
and then exits either as before (no teardown) or through
:func:`mmext.utils.destroy_dist` (barrier + ``destroy_process_group``), and
counts the runs that abort.
"""
import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from mmext.testing.procs import kill_tree, last_checkpoint_is, wait_until

ROOT = Path(__file__).resolve().parents[2]

ABORT = re.compile(r'terminate called|Aborted|core dumped|SIGABRT')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--burners', type=int, default=os.cpu_count(),
                        help='CPU-burner processes (default: one per core)')
    parser.add_argument('--procs', type=int, default=2,
                        help='training processes per run')
    parser.add_argument('--kill-after', type=int, default=3,
                        help='SIGKILL once last_checkpoint names '
                        'epoch_<N>.pth')
    parser.add_argument(
        '--config', default=str(ROOT / 'tests/data/configs/toy_regression.py'))
    parser.add_argument('--cfg-options', nargs='*', default=[
        'train_dataloader.dataset.delay=0.02'])
    parser.add_argument('--work-dir', default='work_dirs/stress_dist_resume')
    parser.add_argument('--timeout', type=float, default=900,
                        help='seconds one command may take before it counts '
                        'as hung')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work dirs of successful runs')
    parser.add_argument('--bare', type=int, default=0, metavar='N',
                        help='run the bare gloo exit test N times per '
                        'teardown instead')
    return parser.parse_args()


def burn():
    """Busy loop until killed."""
    x = 0
    while True:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start(args, work_dir: Path, *extra) -> subprocess.Popen:
    env = dict(os.environ)
    env['PYTHONPATH'] = f'{ROOT}:{env.get("PYTHONPATH", "")}'
    env.setdefault('PYTHON', sys.executable)
    env.setdefault('OMP_NUM_THREADS', '1')
    env['PORT'] = str(free_port())
    cmd = ['bash', str(ROOT / 'tools/dist_train.sh'), args.config,
           str(args.procs), '--work-dir', str(work_dir), *extra]
    if args.cfg_options:
        cmd += ['--cfg-options', *args.cfg_options]
    log = open(work_dir.with_suffix('.log'), 'a')
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        return -999  # hung


def final_checkpoint(work_dir: Path):
    last = work_dir / 'last_checkpoint'
    return Path(last.read_text().strip()) if last.is_file() else None


def same_weights(ref: Path, got: Path) -> bool:
    import torch

    from mmext.engine import safe_load
    a, b = safe_load(ref), safe_load(got)
    if a['meta'].get('epoch') != b['meta'].get('epoch'):
        return False
    return all(
        torch.equal(a['state_dict'][k], b['state_dict'][k])
        for k in a['state_dict'])


def one_run(args, work_dir: Path, ref_ckpt: Path) -> dict:
    work_dir.mkdir(parents=True)
    result = dict(run=work_dir.name)
    proc = start(args, work_dir)
    reached = wait_until(
        last_checkpoint_is(work_dir, [f'epoch_{args.kill_after}.pth']),
        proc, timeout=args.timeout)
    if proc.poll() is None:
        kill_tree(proc)
        result['killed'] = True
    else:  # ended before the kill point: its own exit code must be 0
        result['killed'] = False
        result['first_rc'] = proc.returncode
    result['reached_kill_point'] = reached
    resumed = start(args, work_dir, '--resume')
    result['rc'] = finish(resumed, args.timeout)
    log = work_dir.with_suffix('.log').read_text(errors='replace')
    result['abort_in_log'] = bool(ABORT.search(log))
    ckpt = final_checkpoint(work_dir)
    result['final'] = ckpt.name if ckpt else None
    result['matches_reference'] = bool(
        ckpt and ckpt.is_file() and same_weights(ref_ckpt, ckpt))
    result['failed'] = (result['rc'] != 0 or result['abort_in_log']
                        or not result['matches_reference']
                        or result.get('first_rc', 0) != 0)
    return result


BARE = """
import sys, torch, torch.distributed as dist
dist.init_process_group('gloo')
for _ in range(50):
    dist.all_reduce(torch.randn(1000))
if sys.argv[1] == 'destroy':
    from mmext.utils import destroy_dist
    destroy_dist()
"""


def bare_runs(args, out: Path) -> dict:
    script = out / 'bare_gloo_exit.py'
    script.write_text(BARE)
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=f'{ROOT}:{os.environ.get("PYTHONPATH", "")}')
    counts = {'none': [0, 0], 'destroy': [0, 0]}  # [runs, failures]
    for i in range(args.bare):
        for teardown in ('none', 'destroy'):
            log = out / f'bare_{teardown}_{i:03d}.log'
            with open(log, 'w') as f:
                rc = subprocess.call(
                    [sys.executable, '-m', 'torch.distributed.run',
                     '--nproc_per_node', str(args.procs), '--master_port',
                     str(free_port()), str(script), teardown],
                    env=env, stdout=f, stderr=subprocess.STDOUT,
                    timeout=args.timeout)
            failed = rc != 0 or bool(ABORT.search(log.read_text()))
            counts[teardown][0] += 1
            counts[teardown][1] += failed
            if not failed:
                log.unlink()
        print(json.dumps(counts), flush=True)
    return counts


def main():
    args = parse_args()
    out = Path(args.work_dir).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    burners = [mp.Process(target=burn, daemon=True)
               for _ in range(args.burners)]
    for b in burners:
        b.start()
    results = []
    try:
        if args.bare:
            counts = bare_runs(args, out)
            summary = dict(
                command=' '.join([Path(sys.executable).name] + sys.argv),
                burners=args.burners, procs=args.procs,
                runs_failures=counts)
            (out / 'summary.json').write_text(json.dumps(summary, indent=1))
            for teardown, (runs, fails) in counts.items():
                print(f'bare gloo exit, teardown={teardown}: {fails} of '
                      f'{runs} runs failed')
            return
        ref_dir = out / 'reference'
        ref_dir.mkdir()
        rc = finish(start(args, ref_dir), args.timeout)
        ref_ckpt = final_checkpoint(ref_dir)
        if rc != 0 or ref_ckpt is None:
            sys.exit(f'the uninterrupted reference run failed (rc={rc}); '
                     f'see {ref_dir}.log')
        for i in range(args.runs):
            res = one_run(args, out / f'run_{i:03d}', ref_ckpt)
            results.append(res)
            print(json.dumps(res), flush=True)
            if not res['failed'] and not args.keep:
                shutil.rmtree(out / res['run'])
    finally:
        for b in burners:
            b.kill()
            b.join()
    failures = [r['run'] for r in results if r['failed']]
    summary = dict(
        command=' '.join([Path(sys.executable).name] + sys.argv),
        runs=len(results), failures=len(failures), failed_runs=failures,
        killed=sum(r['killed'] for r in results), burners=args.burners,
        procs=args.procs, results=results)
    (out / 'summary.json').write_text(json.dumps(summary, indent=1))
    print(f'{len(results)} runs of {args.procs}-process train + SIGKILL + '
          f'--resume with {args.burners} CPU burners: {len(failures)} '
          f'failed {failures}')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
