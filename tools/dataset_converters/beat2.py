# Copyright (c) mmext contributors. All rights reserved.
"""Convert BEAT2 (SMPL-X npz + 16 kHz wav) to mmext's gesture clip format.

    python tools/dataset_converters/beat2.py BEAT2_DIR data/beat2 \
        --smplx-model SMPLX_NEUTRAL_2020.npz [--fps 30] [--split-csv CSV]
"""
import argparse
import sys

from mmext.datasets.gesture import convert_beat2


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('src', help='folder with the npz files and wavs')
    p.add_argument('out', help='output data root')
    p.add_argument('--smplx-model', required=True,
                   help='your SMPL-X model npz (SMPLX_NEUTRAL_2020.npz)')
    p.add_argument('--fps', type=float, default=30.)
    p.add_argument('--split-csv', help='BEAT2 train_test_split.csv')
    p.add_argument('--flat-hand-mean', action='store_true',
                   help='do not add the model file\'s hands_meanl/r to the '
                   'hand poses (BEAT2 and EMAGE use flat_hand_mean=False, '
                   'the default here)')
    p.add_argument('--speakers', type=int, nargs='+',
                   help='keep only these speaker ids; EMAGE\'s BEAT2 '
                   'benchmark: --speakers 2 (scott)')
    args = p.parse_args(argv)
    try:
        splits = convert_beat2(args.src, args.out, args.smplx_model,
                               args.fps, args.split_csv,
                               flat_hand_mean=args.flat_hand_mean,
                               speakers=args.speakers)
    except (FileNotFoundError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    print(', '.join(f'{k}: {len(v)} clips' for k, v in splits.items()))


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
