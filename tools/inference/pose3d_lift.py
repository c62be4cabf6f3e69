# Copyright (c) mmext contributors. All rights reserved.
"""Lift a 2D keypoint sequence (Human3.6M 17 joints) to 3D.

    python tools/inference/pose3d_lift.py CONFIG CHECKPOINT \\
        --input KPTS.{npy,json} \\
        --image-size W H [--out OUT.{npy,json}] [--render OUT.{png,mp4}] \\
        [--gt GT.npy] [--stride S] [--no-flip] [--device cpu]

The sequence may have any length N: it is cut into windows of the model's
clip length T (``model.backbone.num_frames``) every ``--stride`` frames
(default T), the last window padded by repeating the last frame, and
overlapping predictions are averaged. Output: (N, 17, 3) root-relative 3D in
image-plane kilo-pixels (multiply by the 2.5d factor for metres); see
``docs/pose3d/inference.md``. The checkpoint is read with
:func:`mmext.engine.safe_load` (weights-only).
"""
import argparse
import pickle
import sys

from mmengine.config import DictAction

import mmext  # noqa: F401  (applies the upstream patches first)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Lift a 2D keypoint sequence (H36M order) to 3D')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'checkpoint',
        help='checkpoint: mmengine .pth (state_dict key) or a plain '
        'state_dict')
    parser.add_argument(
        '--input',
        required=True,
        help='2D keypoints: .npy (N,17,2|3) or .json (list of frames of 17 '
        '[x, y(, score)], or {"keypoints": ...})')
    parser.add_argument(
        '--image-size',
        required=True,
        nargs=2,
        type=float,
        metavar=('W', 'H'),
        help='width and height of the images, in pixels')
    parser.add_argument('--out', help='write the 3D poses here (.npy/.json)')
    parser.add_argument(
        '--render', help='draw the 3D poses to a .png strip or an .mp4')
    parser.add_argument(
        '--gt', help='(N,17,3) ground-truth .npy drawn beside the '
        'prediction by --render')
    parser.add_argument(
        '--stride',
        type=int,
        default=None,
        help='step between windows (1..T, default T)')
    parser.add_argument(
        '--no-flip', action='store_true', help='disable flip-test averaging')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--fps', type=float, default=25., help='mp4 fps')
    parser.add_argument(
        '--render-stride',
        type=int,
        default=1,
        help='draw every k-th frame (mp4), png panels are taken from these')
    parser.add_argument(
        '--max-panels', type=int, default=10, help='panels in a png strip')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmext.apis import (init_lifter, lift_sequence, load_keypoints_2d,
                            save_keypoints_3d)
    from mmext.utils import ConfigError
    from mmext.visualization.pose3d import render_skeleton_3d
    if not (args.out or args.render):
        sys.exit('error: nothing to do: give --out and/or --render')
    try:
        for name in ('out', 'render'):
            path = getattr(args, name)
            ok = {'out': ('.npy', '.json'), 'render': ('.png', '.mp4')}[name]
            if path and not path.lower().endswith(ok):
                raise ValueError(
                    f'--{name} {path}: expected a file ending in '
                    f'{" or ".join(ok)}')
        keypoints = load_keypoints_2d(args.input)
        gt = None
        if args.gt:
            if not args.render:
                raise ValueError('--gt is only used by --render')
            gt = _load_gt(args.gt, len(keypoints))
        model = init_lifter(
            args.config,
            args.checkpoint,
            device=args.device,
            cfg_options=args.cfg_options)
        pred = lift_sequence(
            model,
            keypoints,
            args.image_size,
            stride=args.stride,
            flip=not args.no_flip,
            batch_size=args.batch_size)
        if args.out:
            save_keypoints_3d(pred, args.out, image_size=args.image_size)
            print(f'{pred.shape[0]} frames of 3D poses {pred.shape} written '
                  f'to {args.out}')
        if args.render:
            render_skeleton_3d(
                pred,
                gt,
                args.render,
                fps=args.fps,
                stride=args.render_stride,
                max_panels=args.max_panels)
            print(f'rendering written to {args.render}')
    except (FileNotFoundError, ValueError, RuntimeError, ConfigError,
            pickle.UnpicklingError) as err:
        sys.exit(f'error: {err}')
    return pred


def _load_gt(path, num_frames):
    import os.path as osp

    import numpy as np
    if not osp.isfile(path):
        raise FileNotFoundError(f'--gt file not found: {path} (expected '
                                f'a .npy of shape ({num_frames}, 17, 3))')
    try:
        gt = np.load(path, allow_pickle=False)
    except Exception as err:
        raise ValueError(f'--gt {path}: not a readable .npy array (expected '
                         f'shape ({num_frames}, 17, 3)): {err}') from None
    if gt.shape != (num_frames, 17, 3):
        raise ValueError(f'--gt {path}: expected shape ({num_frames}, 17, 3) '
                         f'(one 3D pose per input frame), got {gt.shape}')
    return gt


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
