# Copyright (c) mmext contributors. All rights reserved.
"""Train one config under several random seeds.

    python tools/train_seeds.py CONFIG --seeds 0 1 2 [--gpus K]
        [--work-dir DIR] [--launcher dist|none] [train.py args ...]

Seed ``k`` trains in ``<work_dir>/seed_<k>`` (``work_dir`` defaults to
``work_dirs/<config name>``) with ``randomness.seed=k``, through
``tools/dist_train.sh`` with ``K`` processes. A seed whose run already
finished is skipped, an interrupted one resumes (``--resume``). The result
tools (``summarize.py``, ``plot_results.py``, ``report.py``) read the
``seed_*`` folders and report mean ± std and n over seeds.
"""
import argparse
import os
import os.path as osp
import socket
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--seeds', type=int, nargs='+', required=True)
    p.add_argument('--gpus', type=int, default=1)
    p.add_argument('--work-dir')
    p.add_argument('--launcher', choices=['dist', 'none'], default='dist',
                   help="'none' runs tools/train.py in one process")
    p.add_argument('--cfg-options', nargs='+', default=[])
    args, rest = p.parse_known_args(argv)
    args.rest = rest
    if len(set(args.seeds)) != len(args.seeds):
        p.error(f'--seeds repeats a seed: {args.seeds}')
    if not osp.isfile(args.config):
        p.error(f'config file not found: {args.config}')
    return args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _finished(work_dir: str, max_epochs) -> bool:
    """The run saved its last epoch's checkpoint."""
    last = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(last) or max_epochs is None:
        return False
    with open(last) as f:
        return f.read().strip().endswith(f'epoch_{max_epochs}.pth')


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    max_epochs = cfg.get('train_cfg', {}).get('max_epochs')
    for opt in args.cfg_options:
        if opt.startswith('train_cfg.max_epochs='):
            max_epochs = int(opt.split('=', 1)[1])
    root = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    python = os.environ.get('PYTHON', sys.executable)
    failed = []
    for seed in args.seeds:
        wd = osp.join(root, f'seed_{seed}')
        if _finished(wd, max_epochs):
            print(f'[seeds] seed {seed}: finished before, skipped ({wd})')
            continue
        os.makedirs(wd, exist_ok=True)
        opts = [f'randomness.seed={seed}'] + list(args.cfg_options)
        if args.launcher == 'none':
            cmd = [python, osp.join(ROOT, 'tools/train.py'), args.config]
        else:
            cmd = ['bash', osp.join(ROOT, 'tools/dist_train.sh'),
                   args.config, str(args.gpus)]
        cmd += ['--work-dir', wd, '--resume', *args.rest,
                '--cfg-options', *opts]
        env = dict(os.environ, PORT=str(_free_port()))
        env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
        env.setdefault('PYTHON', python)
        print(f'[seeds] seed {seed} -> {wd}', flush=True)
        with open(osp.join(wd, 'train_seeds.log'), 'ab') as log:
            rc = subprocess.call(cmd, env=env, stdout=log,
                                 stderr=subprocess.STDOUT)
        if rc != 0:
            print(f'[seeds] seed {seed} FAILED (exit code {rc}); see '
                  f'{osp.join(wd, "train_seeds.log")}', flush=True)
            failed.append(seed)
    if failed:
        print(f'[seeds] failed seeds: {failed}', file=sys.stderr)
        return 1
    print(f'[seeds] all seeds trained in {root}/seed_*')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
