# Copyright (c) mmext contributors. All rights reserved.
"""Action recognition from a video: detector -> 2D poses -> two-stream model.

    python tools/inference/action_video.py VIDEO ACTION_CONFIG ACTION_CKPT \\
        --det-config DET.py --det-checkpoint DET.pth \\
        --pose2d-config POSE.py --pose2d-checkpoint POSE.pth \\
        [--max-persons 2] [--topk 5] [--out-dir DIR] [--no-render]

Detects and tracks the people of the video (mmdet + IoU tracking), estimates
their COCO-17 2D poses (mmpose), builds the skeleton annotation mmaction2
expects (``keypoint`` (M, T, 17, 2), ``keypoint_score`` (M, T, 17), the
``--max-persons`` largest tracks; NTU60-style models use 2), runs the
two-stream (RGB + pose) model of the config through its test pipeline
(:mod:`mmext.apis.action_inference`), prints the top-k fine and coarse classes
of each stream and fused, and writes ``<name>_skeleton.pkl`` (the annotation),
``<name>_action.json`` and ``<name>_action.mp4`` (skeletons and labels over the
frames) to ``--out-dir`` (default ``work_dirs/action_video/<name>``).
"""
import argparse
import json
import os
import os.path as osp
import pickle
import sys
import time

from mmext.apis.action_inference import (format_action_result,
                                         inference_action, init_action_model)
from mmext.apis.video import add_video_model_args, init_video_models


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Top-k actions of a video (detector -> 2D -> action '
        'model)')
    parser.add_argument('video', help='video file')
    parser.add_argument('config', help='action model config file')
    parser.add_argument('checkpoint', help='action model checkpoint file')
    add_video_model_args(parser)
    parser.add_argument(
        '--max-persons',
        type=int,
        default=2,
        help='persons in the skeleton annotation (largest tracks)')
    parser.add_argument('--topk', type=int, default=5, help='k of top-k')
    parser.add_argument('--out-dir', help='output directory')
    parser.add_argument(
        '--no-render', action='store_true', help='do not write the mp4')
    return parser.parse_args(argv)


def check_keypoints(cfg, path):
    """The model must take COCO-17 skeletons (what the 2D models give)."""
    num = cfg.get('test_dataloader', {}).get('dataset', {}).get(
        'num_keypoints', cfg.get('num_keypoints'))
    if num is not None and num != 17:
        raise ValueError(
            f'{path}: the action model reads {num}-joint skeletons '
            f'(num_keypoints={num}); the video tools produce COCO-17 '
            '(NTU60-style models). MA-52 models need its 28-joint layout, '
            'which COCO-17 detections do not give')


def _label(entry):
    return f"{entry['name']} ({entry['prob']:.2f})"


def render(video, result2d, result, path, progress=True):
    """Skeletons and the top-1 labels over the frames (mp4)."""
    from mmext.apis.video import (VideoWriter, draw_pose2d, draw_text,
                                  iter_video)
    from mmext.apis.video.pipeline import Progress
    lines = []
    for stream, entry in result['streams'].items():
        text = f"{stream}: {_label(entry['fine'][0])}"
        if 'coarse' in entry:
            text += f" / {_label(entry['coarse'][0])}"
        lines.append(text)
    bar = Progress('render', result2d['num_frames'], progress)
    with VideoWriter(path, result2d['fps']) as writer:
        for f, frame in enumerate(iter_video(video,
                                             result2d['num_frames'])):
            for p, tid in enumerate(result2d['track_ids']):
                if result2d['present'][p, f]:
                    draw_pose2d(frame, result2d['keypoints_coco'][p, f],
                                result2d['boxes'][p, f], f'#{tid}', p)
            scale = max(0.35, frame.shape[1] / 1280)
            draw_text(frame, lines, scale=scale)
            writer.write(frame)
            bar.update()
    bar.close()


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmext.apis.video import (build_skeleton_annotation, probe_video,
                                  video_to_pose2d)
    from mmext.utils import ConfigError
    try:
        if args.topk < 1:
            raise ValueError(f'--topk must be >= 1, got {args.topk}')
        if args.max_persons < 1:
            raise ValueError(
                f'--max-persons must be >= 1, got {args.max_persons}')
        if not osp.isfile(args.config):
            raise FileNotFoundError(
                f'action config file not found: {args.config}')
        probe_video(args.video)  # unreadable video: fail before models
        cfg = Config.fromfile(args.config)
        check_keypoints(cfg, args.config)
        detector, pose2d = init_video_models(
            args.det_config, args.det_checkpoint, args.pose2d_config,
            args.pose2d_checkpoint, args.device, args.det_cfg_options)
        result2d = video_to_pose2d(
            args.video,
            detector,
            pose2d,
            all_persons=True,
            max_persons=args.max_persons,
            bbox_thr=args.bbox_thr,
            det_cat_id=args.det_cat_id,
            iou_thr=args.iou_thr,
            max_age=args.max_age,
            max_frames=args.max_frames,
            progress=not args.quiet)
        annotation = build_skeleton_annotation(result2d, args.max_gap)
        t0 = time.perf_counter()
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope', 'mmaction')):
            model = init_action_model(cfg, args.checkpoint, args.device)
            result = inference_action(cfg, model, annotation, args.video,
                                      args.topk)
        result2d['timings']['action'] = time.perf_counter() - t0
        stem = osp.splitext(osp.basename(args.video))[0]
        out_dir = args.out_dir or osp.join('work_dirs', 'action_video', stem)
        os.makedirs(out_dir, exist_ok=True)
        paths = dict(
            skeleton=osp.join(out_dir, f'{stem}_skeleton.pkl'),
            json=osp.join(out_dir, f'{stem}_action.json'))
        with open(paths['skeleton'], 'wb') as f:
            pickle.dump(dict(split={}, annotations=[annotation]), f)
        if not args.no_render:
            t0 = time.perf_counter()
            paths['mp4'] = osp.join(out_dir, f'{stem}_action.mp4')
            render(args.video, result2d, result, paths['mp4'],
                   not args.quiet)
            result2d['timings']['render'] = time.perf_counter() - t0
    except (FileNotFoundError, ValueError, RuntimeError, ConfigError,
            pickle.UnpicklingError) as err:
        sys.exit(f'error: {err}')
    result['persons'] = [int(t) for t in result2d['track_ids']]
    result['num_frames'] = int(result2d['num_frames'])
    result['timings'] = result2d['timings']
    with open(paths['json'], 'w') as f:
        json.dump(result, f, indent=2)
    n = result2d['num_frames']
    print(format_action_result(result))
    print(f"frames: {n}  tracks found: {result2d['num_tracks']}  persons "
          f"used: {len(result2d['track_ids'])}")
    print('time per stage (s): ' + ', '.join(
        f'{k} {v:.2f}' for k, v in result2d['timings'].items()))
    print('\n'.join(f'{k}: {v}' for k, v in paths.items()))
    return result, annotation


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
