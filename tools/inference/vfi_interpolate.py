# Copyright (c) mmext contributors. All rights reserved.
"""Interpolate a video x2 / x4 / x8 with a trained VFI model.

    python tools/inference/vfi_interpolate.py CONFIG CHECKPOINT IN.mp4 OUT.mp4
        [--factor 2|4|8] [--mode recursive|direct] [--flow-scale S]
        [--device cpu|cuda] [--no-progress] [--malloc keep|default]
        [--cfg-options model.feature_warp=False ...]

Frames are read and written with OpenCV; the output (.mp4, .avi, .mkv or
.mov) keeps every input frame and runs at ``factor`` times the input frame
rate. For 4K input use
``--flow-scale 0.25`` (flow estimated at a quarter of the resolution).
"""
import argparse
import sys

from mmengine.config import DictAction

import mmext  # noqa: F401


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('input', help='input video file')
    p.add_argument('output', help='output video file (.mp4, .avi, .mkv, '
                   '.mov)')
    p.add_argument('--factor', type=int, default=2, choices=(2, 4, 8))
    p.add_argument('--mode', default='recursive',
                   choices=('recursive', 'direct'),
                   help='x4/x8 by repeated midpoints or at t = k / factor')
    p.add_argument('--flow-scale', type=float, default=1.0)
    p.add_argument('--device', default='cpu')
    p.add_argument('--fourcc', default=None,
                   help="codec (default: mp4v for .mp4/.mkv/.mov, MJPG "
                   "for .avi)")
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   default={}, help='override config keys, e.g. '
                   'model.feature_warp=False for a phase-1 checkpoint')
    p.add_argument('--no-progress', action='store_true')
    p.add_argument('--malloc', default='keep', choices=('keep', 'default'),
                   help="CPU: 'keep' (default) lets glibc reuse freed "
                   'memory instead of mapping fresh pages for every large '
                   'tensor (linear cost in pixels; resident memory does '
                   "not shrink after a peak); 'default' leaves glibc as is")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmengine.config import Config

    from mmext.apis.vfi_inference import (check_video_output,
                                          init_interpolator, interpolate_video)
    if args.malloc == 'keep':
        from mmext.utils import keep_freed_memory
        keep_freed_memory()
    if args.device.startswith('cuda'):
        import torch
        if not torch.cuda.is_available():
            sys.exit('error: --device cuda but no CUDA device is available')
    if not 0 < args.flow_scale <= 1:
        sys.exit(f'error: --flow-scale must be in (0, 1], got '
                 f'{args.flow_scale}')
    try:
        check_video_output(args.output, args.fourcc)
        cfg = Config.fromfile(args.config)
        cfg.merge_from_dict(args.cfg_options)
        model = init_interpolator(cfg, args.checkpoint, args.device)
        stats = interpolate_video(model, args.input, args.output,
                                  args.factor, args.mode, args.flow_scale,
                                  progress=not args.no_progress,
                                  fourcc=args.fourcc)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    print(f'{args.output}: {stats["frames_in"]} -> {stats["frames_out"]} '
          f'frames at {stats["fps_out"]:.2f} fps')
    return stats


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
