# Copyright (c) mmext contributors. All rights reserved.
"""Convert BEAT (BVH + 16 kHz wav) to mmext's gesture clip format.

    python tools/dataset_converters/beat.py BEAT_DIR data/beat --fps 15 \
        [--split-csv BEAT_DIR/train_test_split.csv]
"""
import argparse
import sys

from mmext.datasets.gesture import convert_beat


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('src', help='folder with <id>.bvh and <id>.wav files')
    p.add_argument('out', help='output data root')
    p.add_argument('--fps', type=float, default=15.)
    p.add_argument('--split-csv', help='id,type CSV (BEAT2 format)')
    p.add_argument('--scale', type=float, default=0.01,
                   help='BVH length unit in metres (BEAT: cm -> 0.01)')
    args = p.parse_args(argv)
    try:
        splits = convert_beat(args.src, args.out, args.fps, args.split_csv,
                              args.scale)
    except (FileNotFoundError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    print(', '.join(f'{k}: {len(v)} clips' for k, v in splits.items()))


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
