# Copyright (c) mmext contributors. All rights reserved.
"""Write a SYNTHETIC two-stream demo dataset in the MA-52 or NTU60 format.

Stick figures whose motion depends on the class, rendered to mp4 (OpenCV)
together with the matching mmaction2 skeleton pkl (MA-52: 28 joints, list
files; NTU60: 17 COCO joints, xsub/xview splits). Not real data: see
docs/action/data.md for the real formats and where to get them.

Example::

    python tools/misc/generate_action_demo.py --dataset ma52 \
        --out-dir data/ma52_demo
"""
import argparse
import time

from mmext.datasets.action.synthetic import generate_demo


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dataset', required=True, choices=['ma52', 'ntu60'])
    parser.add_argument(
        '--out-dir', help='default: data/<dataset>_demo', default=None)
    parser.add_argument('--clips-per-class', type=int, default=12)
    parser.add_argument('--num-frames', type=int, default=40)
    parser.add_argument('--size', type=int, default=96, help='frame size px')
    parser.add_argument(
        '--frames',
        action='store_true',
        help='also write extracted frames frames/<frame_dir>/img_%%05d.jpg')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    out_dir = args.out_dir or f'data/{args.dataset}_demo'
    start = time.perf_counter()
    info = generate_demo(
        args.dataset,
        out_dir,
        clips_per_class=args.clips_per_class,
        num_frames=args.num_frames,
        size=args.size,
        write_frames=args.frames,
        seed=args.seed)
    took = time.perf_counter() - start
    print(f'SYNTHETIC {args.dataset} demo written to {out_dir} in '
          f'{took:.1f} s: fine classes {info["classes"]}, clips per split '
          f'{info["num_clips"]}, skeletons {info["ann_file"]}')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
