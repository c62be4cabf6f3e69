# Copyright (c) mmext contributors. All rights reserved.
"""Command-line options shared by the video tools.

``tools/inference/pose3d_video.py`` and ``tools/inference/action_video.py``
take the same detector, 2D-pose and tracking options; both add them with
:func:`add_video_model_args` and pass them to
:func:`~mmext.apis.video.init_video_models` and the pipeline.
"""
import argparse

from mmengine.config import DictAction

__all__ = ['add_video_model_args']


def add_video_model_args(parser: argparse.ArgumentParser) -> None:
    """Detector / 2D-pose / tracking options of the video tools."""
    parser.add_argument('--det-config', help='mmdet config file')
    parser.add_argument(
        '--det-checkpoint', help='local weights of the detector (.pth)')
    parser.add_argument(
        '--pose2d-config', help='mmpose top-down config (COCO-17 keypoints)')
    parser.add_argument(
        '--pose2d-checkpoint', help='local weights of the 2D model (.pth)')
    parser.add_argument(
        '--det-cfg-options',
        nargs='+',
        action=DictAction,
        help='override detector config settings, e.g. '
        'model.test_cfg.max_per_img=10')
    parser.add_argument(
        '--bbox-thr', type=float, default=0.3, help='least person score')
    parser.add_argument(
        '--det-cat-id',
        type=int,
        default=0,
        help='class index of "person" in the detector (0 for COCO)')
    parser.add_argument(
        '--iou-thr', type=float, default=0.3, help='least IoU to track')
    parser.add_argument(
        '--max-age',
        type=int,
        default=10,
        help='frames a lost track may be re-found in')
    parser.add_argument(
        '--max-gap',
        type=int,
        default=10,
        help='longest gap (frames) filled by linear interpolation; longer '
        'gaps are reported and left empty')
    parser.add_argument(
        '--max-frames', type=int, default=None, help='read at most N frames')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--quiet', action='store_true', help='no progress bars')
