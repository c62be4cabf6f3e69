# Copyright (c) mmext contributors. All rights reserved.
"""Speech wav -> gesture motion (npz), optional BVH and mp4.

    python tools/inference/gesture_inference.py CONFIG CHECKPOINT speech.wav \
        --out out/motion.npz [--bvh out/motion.bvh] [--video out/motion.mp4]
        [--seed-clip data/beat/clips/<id>.npz]
        [--beat2-npz out/motion_smplx.npz --smplx-model SMPLX_NEUTRAL_2020.npz]

The seed poses are the first frames of ``--seed-clip`` (default: the first
train clip of the config's data root).
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

import mmext  # noqa: F401
from mmext.apis.gesture_inference import (export_bvh, generate_motion,
                                          init_gesture_model, load_wav_16k,
                                          render_video)
from mmext.datasets.gesture import load_clip, read_split


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('wav')
    p.add_argument('--out', required=True, help='output motion .npz')
    p.add_argument('--bvh', help='also write a BVH (joint rotations)')
    p.add_argument('--bvh-positions', choices=('root', 'all'),
                   default='root',
                   help='position channels of the BVH: the root only (for '
                   'retargeting; bone lengths fixed at their means) or every '
                   'joint (re-reads exactly)')
    p.add_argument('--video', help='also render an mp4 with audio')
    p.add_argument('--beat2-npz', help='also write a BEAT2-format SMPL-X '
                   'npz (poses / trans / betas; SMPL-X skeleton models only)')
    p.add_argument('--smplx-model', help='SMPL-X model npz for --beat2-npz')
    p.add_argument('--seed-clip', help='clip npz whose first frames seed')
    args = p.parse_args(argv)
    try:
        model = init_gesture_model(args.config, args.checkpoint)
        ds = model.cfg.test_dataloader.dataset
        seed_clip = args.seed_clip
        if seed_clip is None:
            first = read_split(ds.data_root, 'train')[0]
            seed_clip = osp.join(ds.data_root, 'clips', f'{first}.npz')
        clip = load_clip(seed_clip)
        s = model.generator.seed_frames
        wave = load_wav_16k(args.wav)
        fps = clip['fps']
        motion = generate_motion(model, wave, 16000, fps,
                                 clip['joints'][:s], ds.window,
                                 ds.get('n_mels', 64))
    except (FileNotFoundError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    np.savez(args.out, joints=motion.astype(np.float32), fps=fps)
    print(f'{args.out}: {motion.shape[0]} frames at {fps} fps')
    if args.bvh:
        err = export_bvh(args.bvh, motion, model.skeleton, fps,
                         positions=args.bvh_positions)
        print(f'{args.bvh} written (joint rotations, {args.bvh_positions} '
              f'position channels; re-reads to within {err:.3g} m)')
    if args.beat2_npz:
        from mmext.datasets.gesture.converters import write_beat2_npz
        if not args.smplx_model:
            sys.exit('error: --beat2-npz needs --smplx-model (your '
                     'SMPLX_NEUTRAL_2020.npz)')
        try:
            err = write_beat2_npz(args.beat2_npz, motion, args.smplx_model,
                                  fps)
        except (FileNotFoundError, ValueError, KeyError) as e:
            sys.exit(f'error: {e}')
        print(f'{args.beat2_npz} written (SMPL-X poses by inverse '
              f'kinematics; re-reads to within {err:.3g} m)')
    if args.video:
        render_video(args.video, motion, model.skeleton,
                     wave[:int(len(motion) / fps * 16000)], 16000, fps)
        print(f'{args.video} written')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
