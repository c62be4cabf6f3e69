# Copyright (c) mmext contributors. All rights reserved.
"""Feed every tool bad input and tally how each case ends.

    python tools/misc/bad_input_tally.py [--only SUBSTRING] [--part K/N]
        [--json OUT] [--keep DIR] [--timeout 240]

Every case runs one tool as a separate process (``python tools/...``) on
inputs this script generates in a temp dir (a toy regression config and
its checkpoints; crafted pickles, npz and yaml whose payload would create a
marker file; truncated, random, text and renamed files; NaN data; a locked
work dir; a too-small file-size limit). A case ends as

* ``one-line``: exit status != 0, the last stderr line is ``error: ...``
  (or argparse's ``...: error: ...``), it contains the expected words, and
  there is no traceback;
* ``correct``: a case that should succeed exited 0 (with what it checks);
* ``traceback``: a Python traceback was printed;
* ``silent``: a bad input exited 0, or a crafted file's payload ran;
* ``unclear``: failed, but the last line is not a one-line error naming
  what was expected.

The tally and one line per case are printed; the exit status is 1 unless
every case is ``one-line`` or ``correct``. Cases whose toolbox is not
installed (mmpose, mmaction2 with full mmcv) are skipped and counted as
such. The data are SYNTHETIC (generated here); nothing is downloaded.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Callable, List, Optional

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = osp.join(ROOT, 'tests/data/configs/toy_regression.py')
ACTION_CFG = osp.join(
    ROOT, 'configs/action/'
    'rgbpose-conv3d-tiny_pcan_1xb4-8e_ma52-demo.py')
GESTURE_CFG = osp.join(
    ROOT, 'configs/gesture/'
    'gesture-gan-tiny_1xb16-12e_beat-demo.py')
VFI_CFG = osp.join(ROOT,
                   'configs/vfi/hybrid-vfi-tiny_1xb8-60e_vimeo90k-demo.py')
H36M_CFG = osp.join(
    ROOT, 'configs/pose3d/motionagformer/'
    'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py')
HP3D_CFG = osp.join(
    ROOT, 'configs/pose3d/motionagformer/'
    'motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp.py')


def _data_opts(root: str, ann: str) -> List[str]:
    return [
        f'{split}_dataloader.dataset.{key}={value}'
        for split in ('train', 'val', 'test')
        for key, value in (('data_root', root), ('ann_file', ann))
    ]


class _Payload:
    """Pickles as ``os.system('touch MARKER')``."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class Case:

    def __init__(self,
                 name: str,
                 argv: List[str],
                 expect: Optional[str],
                 needs: Optional[str] = None,
                 marker: Optional[str] = None,
                 shell_prefix: str = '',
                 setup: Optional[Callable[[], None]] = None,
                 check: Optional[Callable[[], bool]] = None):
        self.name, self.argv, self.expect = name, argv, expect
        self.needs, self.marker, self.shell_prefix = needs, marker, \
            shell_prefix
        self.setup, self.check = setup, check


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _toy_args(work_dir: str, *opts: str) -> List[str]:
    return [
        'train.py', TOY, '--work-dir', work_dir, '--cfg-options',
        'train_cfg.max_epochs=1', *opts
    ]


def build_cases(tmp: str) -> List[Case]:
    """Generate the inputs under ``tmp`` and return the cases."""
    import torch
    j = lambda *p: osp.join(tmp, *p)  # noqa: E731
    marker = j('PAYLOAD_RAN')
    env = dict(os.environ, PYTHONPATH=ROOT)

    # a real toy checkpoint (hidden=16), trained once
    subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), TOY, '--work-dir',
        j('trained'), '--cfg-options', 'train_cfg.max_epochs=1'
    ],
                   cwd=ROOT,
                   env=env,
                   check=True,
                   capture_output=True)
    good = j('trained', 'epoch_1.pth')
    with open(good, 'rb') as f:
        blob = f.read()
    with open(j('truncated.pth'), 'wb') as f:
        f.write(blob[:len(blob) // 3])
    with open(j('random.pth'), 'wb') as f:
        f.write(b'\x07' + os.urandom(512))
    with open(j('text.pth'), 'w') as f:
        f.write('this is a README, not weights\n')
    np.save(j('renamed.npy'), np.zeros(4))
    os.replace(j('renamed.npy'), j('renamed.pth'))
    torch.save({'state_dict': {}, 'meta': _Payload(marker)}, j('crafted.pth'))
    # data files
    os.makedirs(j('crafted_data'))
    with open(j('crafted_data', 'h36m.pkl'), 'wb') as f:  # MotionBERT
        pickle.dump({'train': {'joint_2d': _Payload(marker)}}, f)
    np.savez(
        j('crafted_data', 'data_test_3dhp.npz'),
        data=np.array({'TS1': _Payload(marker)}, dtype=object))
    with open(j('crafted_skeleton.pkl'), 'wb') as f:
        pickle.dump({'annotations': [{'keypoint': _Payload(marker)}]}, f)
    ann = dict(
        frame_dir='clip0',
        total_frames=8,
        img_shape=(64, 64),
        original_shape=(64, 64),
        label=0,
        keypoint=np.zeros((1, 8, 17, 2), np.float32),
        keypoint_score=np.ones((1, 8, 17), np.float32))
    nan = dict(ann, keypoint=np.full((1, 8, 17, 2), np.nan, np.float32))
    with open(j('nan_skeleton.pkl'), 'wb') as f:
        pickle.dump({'annotations': [nan]}, f)
    with open(j('truncated_skeleton.pkl'), 'wb') as f:
        f.write(pickle.dumps({'annotations': [ann]})[:50])
    x = np.random.RandomState(0).randn(32, 8).astype(np.float32)
    x[3, 1] = np.nan
    os.makedirs(j('nan_data'))
    np.save(j('nan_data', 'x.npy'), x)
    with open(j('bad_syntax.py'), 'w') as f:
        f.write('model = dict(type=\n')
    with open(j('batch_str.py'), 'w') as f:  # a string where an int goes
        f.write(f"_base_ = ['{TOY}']\n"
                "train_dataloader = dict(batch_size='16')\n")
    # a work dir with a dumped config that would run code when executed
    os.makedirs(j('shared_wd', '20260101_000000', 'vis_data'))
    with open(j('shared_wd', '20260101_000000', 'vis_data', 'config.py'),
              'w') as f:
        f.write(f"import os\nos.system('touch {marker}')\n"
                "model = dict(type='ToyRegressor')\n")
    with open(j('shared_wd', 'toy_regression.py'), 'w') as f:
        f.write(f"__import__('os').system('touch {marker}')\n")
    # a work dir held by a live process of another config
    os.makedirs(j('locked'))
    holder = subprocess.Popen(['sleep', '600'])
    with open(j('locked', '.mmext_run.lock'), 'w') as f:
        json.dump(
            dict(
                pid=holder.pid,
                host=socket.gethostname(),
                identity='another',
                config='other.py',
                token='x'), f)
    build_cases.holder = holder
    # a finished run of another model, then resume='auto' with this one
    subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), TOY, '--work-dir',
        j('other_model'), '--cfg-options', 'train_cfg.max_epochs=1',
        'model.hidden=8'
    ],
                   cwd=ROOT,
                   env=env,
                   check=True,
                   capture_output=True)

    mm_action = 'mmcv.ops'  # mmaction.models needs full mmcv
    cases = [
        # ---------------------------------------------------- train.py
        Case('train: config file missing',
             ['train.py', j('nope.py')], 'config file not found'),
        Case('train: config syntax error',
             ['train.py', j('bad_syntax.py')], 'cannot parse config'),
        Case('train: misspelt top-level key',
             _toy_args(j('w1'), 'trian_cfg.max_epochs=2'),
             "did you mean 'train_cfg'"),
        Case('train: misspelt model argument',
             _toy_args(j('w2'), 'model.hiden=3'), 'unknown argument'),
        Case('train: unknown model type',
             _toy_args(j('w3'), 'model.type=ToyRegresor'),
             'is not a registered model'),
        Case("train: batch_size='16' in a config",
             ['train.py', j('batch_str.py'), '--work-dir',
              j('w4')], "batch_size must be an integer >= 1, got '16'"),
        Case('train: misspelt train_cfg.max_epoch',
             _toy_args(j('w5'), 'train_cfg.max_epoch=3'),
             'unknown key train_cfg.max_epoch'),
        Case(
            'train: data_root missing',
            _toy_args(
                j('w6'), f"train_dataloader.dataset.data_root={j('none')}"),
            'does not exist'),
        Case('train: --launcher bogus',
             ['train.py', TOY, '--launcher', 'bogus'], 'invalid choice'),
        Case('train: --resume PATH missing', [
            'train.py', TOY, '--work-dir',
            j('w7'), '--resume',
            j('none.pth')
        ], 'checkpoint not found'),
        Case('train: load_from missing',
             _toy_args(j('w8'), f"load_from={j('none.pth')}"),
             'checkpoint file not found'),
        Case('train: load_from truncated',
             _toy_args(j('w9'), f"load_from={j('truncated.pth')}"),
             'not a readable torch checkpoint'),
        Case('train: load_from random bytes',
             _toy_args(j('w10'), f"load_from={j('random.pth')}"),
             'not a readable torch checkpoint'),
        Case(
            'train: load_from crafted pickle',
            _toy_args(j('w11'), f"load_from={j('crafted.pth')}"),
            'refusing to load checkpoint',
            marker=marker),
        Case('train: load_from of another model',
             _toy_args(j('w12'), f'load_from={good}', 'model.hidden=32'),
             'does not fit the model'),
        Case(
            'train: load_from of another model --allow-partial',
            _toy_args(j('w13'), f'load_from={good}', 'model.hidden=32') +
            ['--allow-partial'],
            None,
            check=lambda: osp.isfile(j('w13', 'epoch_1.pth'))),
        Case(
            'train: NaN in the training data',
            _toy_args(
                j('w14'),
                f"train_dataloader.dataset.data_root={j('nan_data')}"),
            'non-finite loss'),
        Case('train: work dir owned by a live run', _toy_args(j('locked')),
             'in use by another run'),
        Case('train: resume=auto over another model\'s checkpoint',
             _toy_args(j('other_model'), 'resume=auto'), 'cannot resume from'),
        Case(
            'train: disk full (file-size limit) while saving',
            _toy_args(j('w15')),
            'cannot write',
            shell_prefix='ulimit -f 12; '),
        Case(
            'train: correct run',
            _toy_args(j('w16')),
            None,
            check=lambda: osp.isfile(j('w16', 'epoch_1.pth'))),
        # ----------------------------------------------------- test.py
        Case('test: checkpoint missing',
             ['test.py', TOY, j('none.pth')], 'checkpoint file not found'),
        Case('test: checkpoint of another model', [
            'test.py', TOY, good, '--work-dir',
            j('t1'), '--cfg-options', 'model.hidden=24'
        ], 'does not fit the model'),
        Case(
            'test: crafted checkpoint',
            ['test.py', TOY,
             j('crafted.pth'), '--work-dir',
             j('t2')],
            'refusing to load checkpoint',
            marker=marker),
        Case('test: text file as checkpoint',
             ['test.py', TOY,
              j('text.pth'), '--work-dir',
              j('t3')], 'not a readable torch checkpoint'),
        Case('test: .npy renamed to .pth',
             ['test.py', TOY,
              j('renamed.pth'), '--work-dir',
              j('t4')], 'not a readable torch checkpoint'),
        Case('test: truncated checkpoint',
             ['test.py', TOY,
              j('truncated.pth'), '--work-dir',
              j('t5')], 'not a readable torch checkpoint'),
        Case(
            'test: crafted MotionBERT H36M pickle', [
                'test.py', H36M_CFG, good, '--work-dir',
                j('t7'), '--cfg-options',
                *_data_opts(j('crafted_data'), 'h36m.pkl')
            ],
            'refusing to load',
            needs='mmpose',
            marker=marker),
        Case(
            'test: crafted MPI-INF-3DHP npz', [
                'test.py', HP3D_CFG, good, '--work-dir',
                j('t8'), '--cfg-options',
                *_data_opts(j('crafted_data'), 'data_test_3dhp.npz')
            ],
            'refusing to load',
            needs='mmpose',
            marker=marker),
        Case('test: --out not a pickle',
             ['test.py', TOY, good, '--out',
              j('x.json')], '--out must be a .pkl'),
        Case('test: correct checkpoint',
             ['test.py', TOY, good, '--work-dir',
              j('t6')], None),
        # --------------------------------------------- action_inference
        Case('action_inference: config missing', [
            'inference/action_inference.py',
            j('nope.py'), good, '--video', 'v.mp4', '--skeleton',
            j('nan_skeleton.pkl')
        ], 'config file not found'),
        Case(
            'action_inference: crafted skeleton pkl', [
                'inference/action_inference.py', ACTION_CFG, good, '--video',
                'v.mp4', '--skeleton',
                j('crafted_skeleton.pkl')
            ],
            'refusing to load',
            needs=mm_action,
            marker=marker),
        Case(
            'action_inference: NaN keypoints', [
                'inference/action_inference.py', ACTION_CFG, good, '--video',
                'v.mp4', '--skeleton',
                j('nan_skeleton.pkl')
            ],
            'non-finite values',
            needs=mm_action),
        Case(
            'action_inference: truncated skeleton pkl', [
                'inference/action_inference.py', ACTION_CFG, good, '--video',
                'v.mp4', '--skeleton',
                j('truncated_skeleton.pkl')
            ],
            'truncated',
            needs=mm_action),
        Case('action_inference: --topk 0', [
            'inference/action_inference.py', ACTION_CFG, good, '--video',
            'v.mp4', '--skeleton',
            j('nan_skeleton.pkl'), '--topk', '0'
        ], '--topk must be >= 1'),
        # ------------------------------------------ gesture / vfi tools
        Case('gesture_inference: truncated checkpoint', [
            'inference/gesture_inference.py', GESTURE_CFG,
            j('truncated.pth'),
            j('a.wav'), '--out',
            j('g.npz')
        ], 'not a readable torch checkpoint'),
        Case('vfi_interpolate: truncated checkpoint', [
            'inference/vfi_interpolate.py', VFI_CFG,
            j('truncated.pth'),
            j('in.mp4'),
            j('out.mp4')
        ], 'not a readable torch checkpoint'),
        Case('vfi_interpolate: --flow-scale 2', [
            'inference/vfi_interpolate.py', VFI_CFG, good,
            j('in.mp4'),
            j('out.mp4'), '--flow-scale', '2'
        ], '--flow-scale must be'),
        # ------------------------------------------------ report tools
        Case(
            'summarize: a shared work dir whose config.py runs code', [
                'analysis_tools/summarize.py',
                j('shared_wd'), '--out',
                j('tables', 'results')
            ],
            None,
            marker=marker),
        Case('print_config: config missing',
             ['misc/print_config.py', j('nope.py')], 'not found'),
    ]
    return cases


def classify(case: Case, proc, timed_out: bool) -> str:
    err = proc.stderr if proc is not None else ''
    if case.marker and osp.exists(case.marker):
        os.remove(case.marker)
        return 'silent'  # the crafted file ran code
    if timed_out:
        return 'unclear'
    if 'Traceback (most recent call last)' in err:
        return 'traceback'
    if case.expect is None:
        if proc.returncode == 0 and (case.check is None or case.check()):
            return 'correct'
        return 'unclear'
    if proc.returncode == 0:
        return 'silent'
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ''
    is_error = last.startswith('error: ') or ': error: ' in last
    return 'one-line' if is_error and case.expect in last else 'unclear'


def run_case(case: Case, timeout: int):
    cmd = [sys.executable, osp.join(ROOT, 'tools', case.argv[0])] + \
        case.argv[1:]
    if case.shell_prefix:
        quoted = ' '.join(f"'{a}'" for a in cmd)
        cmd = ['bash', '-c', case.shell_prefix + quoted]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    try:
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout)
        return proc, False
    except subprocess.TimeoutExpired:
        return None, True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', help='run the cases whose name has this')
    parser.add_argument(
        '--part',
        help="K/N: run every N-th case from the K-th (e.g. '1/4'), "
        'to split the tally into short runs')
    parser.add_argument('--json', help='write the per-case results here')
    parser.add_argument('--keep', help='generate the inputs here (kept)')
    parser.add_argument(
        '--timeout', type=int, default=240, help='seconds per case')
    args = parser.parse_args(argv)
    tmp = args.keep or tempfile.mkdtemp(prefix='mmext_tally_')
    os.makedirs(tmp, exist_ok=True)
    start = time.time()
    try:
        cases = build_cases(tmp)
        if args.only:
            cases = [c for c in cases if args.only in c.name]
        if args.part:  # every N-th case, from the K-th (1-based)
            k, n = (int(v) for v in args.part.split('/'))
            cases = cases[k - 1::n]
        results = []
        for case in cases:
            if case.needs and not _have(case.needs):
                results.append(
                    dict(
                        case=case.name,
                        outcome='skipped',
                        last=f'needs {case.needs}'))
                print(f'skipped    {case.name} (needs {case.needs})')
                continue
            proc, timed_out = run_case(case, args.timeout)
            outcome = classify(case, proc, timed_out)
            lines = (proc.stderr.strip().splitlines() if proc else []) or \
                ['(timed out)' if timed_out else '(no stderr)']
            results.append(
                dict(case=case.name, outcome=outcome, last=lines[-1][:300]))
            print(f'{outcome:<10} {case.name}: {lines[-1][:160]}', flush=True)
    finally:
        holder = getattr(build_cases, 'holder', None)
        if holder is not None:
            holder.kill()
            holder.wait()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    counts = {
        k: sum(r['outcome'] == k for r in results)
        for k in ('one-line', 'correct', 'traceback', 'silent', 'unclear',
                  'skipped')
    }
    print(f'\n{len(results)} cases: ' + ', '.join(f'{v} {k}'
                                                  for k, v in counts.items()) +
          f' ({time.time() - start:.0f} s)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(counts=counts, cases=results), f, indent=1)
    bad = counts['traceback'] + counts['silent'] + counts['unclear']
    return 1 if bad else 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
