# Copyright (c) mmext contributors. All rights reserved.
"""Write the SYNTHETIC Vimeo-90K-layout triplets of the VFI demo.

Sources are the sample photographs that ship inside scikit-image's wheel
(nothing is downloaded); each triplet is a 64 x 64 window moved by a known
sub-pixel translation (up to ``--max-motion`` pixels between the outer
frames) with opaque discs that move on their own and occlude the
background. The test split uses a photograph the training split never sees.
The true flows at t = 0.5 of every triplet go to ``flow/xxxxx/xxxx.npy``
beside ``sequences/`` (read by tools/analysis_tools/vfi_demo_report.py).

    python tools/misc/generate_vfi_demo.py --out work_dirs/vfi_demo/vimeo
"""
import argparse
import os.path as osp

from mmext.datasets.vfi.synthetic import (SKIMAGE_SAMPLES, load_source_images,
                                          write_vimeo_triplets)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default='work_dirs/vfi_demo/vimeo')
    p.add_argument('--num-train', type=int, default=240)
    p.add_argument('--num-test', type=int, default=48)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--max-motion', type=float, default=6.0)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    try:
        sources = load_source_images(SKIMAGE_SAMPLES, size=160)
    except ImportError as err:
        raise SystemExit(f'error: the demo needs scikit-image (its shipped '
                         f'sample photos): {err}')
    counts = write_vimeo_triplets(args.out, sources, args.num_train,
                                  args.num_test, size=args.size,
                                  max_motion=args.max_motion,
                                  seed=args.seed,
                                  test_sources=[len(sources) - 1],
                                  write_flow=True)
    print(f'wrote {counts["train"]} train / {counts["test"]} test '
          f'SYNTHETIC triplets to {osp.abspath(args.out)} (train photos: '
          f'{", ".join(SKIMAGE_SAMPLES[:-1])}; held-out test photo: '
          f'{SKIMAGE_SAMPLES[-1]})')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
