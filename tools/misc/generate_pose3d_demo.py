# Copyright (c) mmext contributors. All rights reserved.
"""Write a small SYNTHETIC Human3.6M / MPI-INF-3DHP-format data set.

    python tools/misc/generate_pose3d_demo.py --out-dir data/h36m_demo \
        [--train-subjects S1 S5] [--test-subjects S9] [--frames 54] \
        [--actions Directions Eating ...] [--clip-len 27] [--seed 0] \
        [--formats motionbert clips mmpose 3dhp]

See mmext/datasets/pose3d/synthetic.py for what the data is and
docs/pose3d/data.md for the formats.
"""
import argparse
import time

from mmext.datasets.pose3d.synthetic import (DEFAULT_ACTIONS,
                                             SUPPORTED_ACTIONS, generate)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', default='data/h36m_demo')
    parser.add_argument('--train-subjects', nargs='+', default=['S1', 'S5'])
    parser.add_argument('--test-subjects', nargs='+', default=['S9'])
    parser.add_argument('--actions', nargs='+', default=list(DEFAULT_ACTIONS),
                        help=f'subset of {SUPPORTED_ACTIONS}')
    parser.add_argument('--frames', type=int, default=54,
                        help='frames per (subject, action, camera) video')
    parser.add_argument('--clip-len', type=int, nargs='+', default=[27],
                        help='T of the pre-cut H36M-<T> clip folders')
    parser.add_argument('--formats', nargs='+',
                        default=['motionbert', 'clips', 'mmpose', '3dhp'])
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    t0 = time.time()
    summary = generate(args.out_dir, args.train_subjects, args.test_subjects,
                       args.actions, args.frames, args.clip_len, args.formats,
                       args.seed)
    print(f'SYNTHETIC demo data written to {args.out_dir} in '
          f'{time.time() - t0:.1f} s')
    for k, v in summary.items():
        print(f'  {k}: {v}')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
