# Copyright (c) mmext contributors. All rights reserved.
"""Write SYNTHETIC BEAT-format data (BVH + wav + split CSV) and convert it.

    python tools/misc/generate_gesture_demo.py --out-dir data/gesture_demo

Writes ``<out>/beat_src`` (BEAT's file formats) and ``<out>/beat`` (mmext's
clip format, through the real converter). See
mmext/datasets/gesture/synthetic.py for what the data is.
"""
import argparse
import os.path as osp

from mmext.datasets.gesture import convert_beat
from mmext.datasets.gesture.synthetic import generate_beat_demo


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out-dir', default='data/gesture_demo')
    p.add_argument('--train', type=int, default=12)
    p.add_argument('--val', type=int, default=2)
    p.add_argument('--test', type=int, default=12)
    p.add_argument('--duration', type=float, default=12.)
    p.add_argument('--fps', type=float, default=15.)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    src = osp.join(args.out_dir, 'beat_src')
    generate_beat_demo(src, dict(train=args.train, val=args.val,
                                 test=args.test), args.duration, args.seed)
    splits = convert_beat(src, osp.join(args.out_dir, 'beat'), args.fps,
                          osp.join(src, 'train_test_split.csv'))
    print('synthetic BEAT-format data:', ', '.join(
        f'{k} {len(v)} clips' for k, v in splits.items()))


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
