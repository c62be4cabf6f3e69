# Copyright (c) mmext contributors. All rights reserved.
"""From a video to 3D poses: mmdet detector -> mmpose 2D -> mmext lifter.

    python tools/inference/pose3d_video.py VIDEO LIFTER_CONFIG LIFTER_CKPT \\
        --det-config DET.py --det-checkpoint DET.pth \\
        --pose2d-config POSE.py --pose2d-checkpoint POSE.pth \\
        [--all [--max-persons P]] [--out-dir DIR] [--no-render] \\
        [--bbox-thr 0.3] [--iou-thr 0.3] [--max-age 10] [--max-gap 10] \\
        [--stride S] [--no-flip] [--device cpu] \\
        [--keypoint-convention motionbert|motionagformer-demo] \\
        [--tail pad|resample]

    # live: camera 0, or raw bgr24 frames on stdin, or a file read online
    python tools/inference/pose3d_video.py 0 LIFTER_CONFIG LIFTER_CKPT ... \\
        --stream
    ffmpeg -i in.mp4 -f rawvideo -pix_fmt bgr24 - | python \\
        tools/inference/pose3d_video.py - LIFTER_CONFIG LIFTER_CKPT ... \\
        --stream \\
        --frame-size W H [--latency L]

Offline, it writes to ``--out-dir`` (default ``work_dirs/pose3d_video/
<video name>``): ``<name>_3d.npy`` (N, 17, 3) root-relative 3D of the main
person (``--all``: (P, N, 17, 3), largest tracks first), ``<name>_2d.npy``
the COCO-17 2D poses (x, y, score) in the same layout, ``<name>.json`` (the
same plus per-person frames detected / interpolated / long gaps, units and
the run's timings) and ``<name>_3d.mp4`` (the video with the 2D skeletons
beside the 3D skeletons). Frames without a pose are NaN (``null`` in JSON).
With ``--stream`` the outputs are ``<name>_stream_3d.npy`` and
``<name>_stream.json``; see ``docs/tools/pose3d_video.md``.

``--keypoint-convention`` picks the COCO-17 -> Human3.6M conversion
(``mmext.apis.video.keypoints``): ``motionbert`` (MotionBERT's
``coco2h36m``) or ``motionagformer-demo`` (MotionAGFormer's demo, MHFormer's
heuristic with an extrapolated head top). The default is the one the
lifter's checkpoint records in ``meta['keypoint_convention']`` (the
official-weights converter writes ``motionagformer-demo``), else
``motionbert``. ``--tail`` handles the frames no full window covers:
``pad`` (repeat the last frame) or ``resample`` (stretch them to the window,
as MotionAGFormer's ``demo/vis.py``); the default is ``resample`` with the
``motionagformer-demo`` convention, else ``pad``.
"""
import argparse
import json
import os
import os.path as osp
import pickle
import sys
import time

import numpy as np

from mmext.apis.video import add_video_model_args, init_video_models


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='3D poses from a video (detector -> 2D -> lifter)')
    parser.add_argument(
        'video',
        help='video file; with --stream also a camera index or - (stdin)')
    parser.add_argument('config', help='lifter config file')
    parser.add_argument('checkpoint', help='lifter checkpoint file')
    add_video_model_args(parser)
    parser.add_argument(
        '--all', action='store_true', help='every tracked person')
    parser.add_argument(
        '--max-persons', type=int, default=None, help='with --all: at most P')
    parser.add_argument('--out-dir', help='output directory')
    parser.add_argument(
        '--no-render', action='store_true', help='do not write the mp4')
    parser.add_argument(
        '--stride', type=int, default=None, help='lifter window step (1..T)')
    parser.add_argument(
        '--no-flip', action='store_true', help='no flip-test averaging')
    parser.add_argument(
        '--keypoint-convention',
        choices=('motionbert', 'motionagformer-demo'),
        default=None,
        help='COCO-17 -> H36M conversion (default: the one the lifter '
        "checkpoint's meta records, else motionbert)")
    parser.add_argument(
        '--tail',
        choices=('pad', 'resample'),
        default=None,
        help='frames no full window covers: pad with the last frame, or '
        'resample to the window as MotionAGFormer\'s demo (default: '
        'resample with --keypoint-convention motionagformer-demo, else pad)')
    parser.add_argument(
        '--stream',
        action='store_true',
        help='online mode: one 3D pose per frame with a fixed latency')
    parser.add_argument(
        '--latency',
        type=int,
        default=None,
        help='--stream: latency in frames (default 0 for a causal lifter, '
        'else T // 2)')
    parser.add_argument(
        '--frame-size',
        type=int,
        nargs=2,
        metavar=('W', 'H'),
        help='--stream -: size of the raw bgr24 frames on stdin')
    parser.add_argument(
        '--fps', type=float, default=None, help='fps of a camera / stdin')
    return parser.parse_args(argv)


def build_models(args):
    """Detector and 2D model from the arguments (errors name the option)."""
    return init_video_models(args.det_config, args.det_checkpoint,
                             args.pose2d_config, args.pose2d_checkpoint,
                             args.device, args.det_cfg_options)


def _nan_to_none(arr):
    return [None if not np.isfinite(a).all() else a.tolist() for a in arr]


def _stem(video):
    if video == '-' or video.isdigit():
        return 'camera' if video.isdigit() else 'stdin'
    return osp.splitext(osp.basename(video))[0]


UNITS = ('root-relative (pelvis = 0), image-plane kilo-pixels (x 2.5d '
         'factor = metres); MotionBERTLabel.decode without factor')


def run_offline(args, lifter, detector, pose2d, out_dir, stem):
    from mmext.apis.video import video_to_pose3d
    result = video_to_pose3d(
        args.video,
        detector,
        pose2d,
        lifter,
        all_persons=args.all,
        max_persons=args.max_persons,
        bbox_thr=args.bbox_thr,
        det_cat_id=args.det_cat_id,
        iou_thr=args.iou_thr,
        max_age=args.max_age,
        max_frames=args.max_frames,
        progress=not args.quiet,
        max_gap=args.max_gap,
        stride=args.stride,
        flip=not args.no_flip,
        keypoint_convention=args.keypoint_convention,
        tail=args.tail)
    if not result['track_ids']:
        raise ValueError(f'{args.video}: no person was detected in any '
                         f'frame (--bbox-thr {args.bbox_thr}); nothing to '
                         'lift')
    t0 = time.perf_counter()
    sel = slice(None) if args.all else 0
    paths = dict(
        npy_3d=osp.join(out_dir, f'{stem}_3d.npy'),
        npy_2d=osp.join(out_dir, f'{stem}_2d.npy'),
        json=osp.join(out_dir, f'{stem}.json'))
    np.save(paths['npy_3d'], result['keypoints_3d'][sel])
    np.save(paths['npy_2d'], result['keypoints_coco'][sel])
    persons = []
    for p, tid in enumerate(result['track_ids']):
        persons.append(
            dict(
                track_id=int(tid),
                frames_detected=int(result['present'][p].sum()),
                frames_interpolated=int(result['interpolated'][p].sum()),
                frames_valid=int(result['valid'][p].sum()),
                long_gaps=result['long_gaps'][p],
                keypoints_3d=_nan_to_none(result['keypoints_3d'][p]),
                keypoints_2d_coco=_nan_to_none(result['keypoints_coco'][p]),
                boxes=_nan_to_none(result['boxes'][p])))
    result['timings']['write'] = time.perf_counter() - t0
    if not args.no_render:
        t0 = time.perf_counter()
        paths['mp4'] = osp.join(out_dir, f'{stem}_3d.mp4')
        render_offline(args.video, result, paths['mp4'], not args.quiet)
        result['timings']['render'] = time.perf_counter() - t0
    meta = dict(
        video=args.video,
        num_frames=result['num_frames'],
        fps=result['fps'],
        image_size=list(result['image_size']),
        joint_order_3d='h36m',
        joint_order_2d='coco',
        units=UNITS,
        max_gap=args.max_gap,
        keypoint_convention=result['keypoint_convention'],
        tail=result['tail'],
        num_tracks=result['num_tracks'],
        timings=result['timings'],
        persons=persons)
    with open(paths['json'], 'w') as f:
        json.dump(meta, f)
    print(summary(result, paths))
    return result, paths


def render_offline(video, result, path, progress=True):
    """The video with 2D skeletons beside the 3D skeletons (mp4)."""
    from mmext.apis.video import (VideoWriter, draw_pose2d, draw_text,
                                  iter_video, side_by_side)
    from mmext.apis.video.pipeline import Progress
    from mmext.visualization.pose3d import Skeleton3DRenderer
    pts = result['keypoints_3d']
    num_p = min(len(pts), 3)
    finite = pts[:num_p][np.isfinite(pts[:num_p]).all((-1, -2))]
    radius = float(np.abs(finite - finite[:, :1]).max()) if len(
        finite) else 1.
    renderer = Skeleton3DRenderer(
        num_p,
        radius=max(radius, 1e-6),
        titles=[f'3D person {t}' for t in result['track_ids'][:num_p]])
    bar = Progress('render', result['num_frames'], progress)
    try:
        with VideoWriter(path, result['fps']) as writer:
            for f, frame in enumerate(
                    iter_video(video, result['num_frames'])):
                for p in range(len(pts)):
                    if result['valid'][p, f] and result['present'][p, f]:
                        draw_pose2d(frame, result['keypoints_coco'][p, f],
                                    result['boxes'][p, f],
                                    f'#{result["track_ids"][p]}', p)
                draw_text(frame, [f'frame {f}'])
                panel = renderer.render([pts[p, f] for p in range(num_p)])
                writer.write(side_by_side(frame, panel))
                bar.update()
    finally:
        renderer.close()
        bar.close()


def summary(result, paths) -> str:
    n = result['num_frames']
    lines = [
        f"video: {result['video']}  frames: {n}  fps: {result['fps']:.2f}"
        f"  size: {result['image_size'][0]}x{result['image_size'][1]}",
        f"tracks found: {result['num_tracks']}  persons kept: "
        f"{len(result['track_ids'])}  detections/frame: "
        f"{result['detections_per_frame'].mean():.2f}",
        f"keypoint convention: {result['keypoint_convention']}  tail: "
        f"{result['tail']}"
    ]
    for p, tid in enumerate(result['track_ids']):
        gaps = result['long_gaps'][p]
        lines.append(
            f"  person {tid}: detected {int(result['present'][p].sum())}, "
            f"interpolated {int(result['interpolated'][p].sum())}, "
            f"with 3D {int(result['valid'][p].sum())} / {n} frames; "
            f'gaps > {result["max_gap"]} frames left empty: '
            + (', '.join(f'{a}-{b - 1}' for a, b in gaps) or 'none'))
    lines.append('time per stage (s, ms/frame):')
    total = 0.
    per = 1000 / max(n, 1)
    for stage, sec in result['timings'].items():
        total += sec
        lines.append(f'  {stage:<8s} {sec:8.2f}  {sec * per:8.1f}')
    lines.append(f"  {'total':<8s} {total:8.2f}  {total * per:8.1f}")
    lines += [f'{k}: {v}' for k, v in paths.items()]
    return '\n'.join(lines)


def frame_source(args):
    """Frames for --stream: camera index, '-' (stdin) or a video file."""
    from mmext.apis.video import (iter_camera, iter_raw_frames, iter_video,
                                  probe_video)
    if args.video == '-':
        if not args.frame_size:
            raise ValueError('--stream -: give --frame-size W H of the raw '
                             'bgr24 frames on stdin')
        return (iter_raw_frames(sys.stdin.buffer, args.frame_size,
                                args.max_frames), tuple(args.frame_size),
                args.fps or 25.)
    if args.video.isdigit() and not osp.exists(args.video):
        frames = iter_camera(int(args.video), args.max_frames)
        first = next(frames, None)
        if first is None:
            raise ValueError(f'camera {args.video}: no frame was read')

        def chain():
            yield first
            yield from frames
        return chain(), (first.shape[1], first.shape[0]), args.fps or 25.
    info = probe_video(args.video)
    return (iter_video(args.video, args.max_frames),
            (info.width, info.height), args.fps or info.fps)


def run_stream(args, lifter, detector, pose2d, out_dir, stem):
    from mmext.apis.video import VideoPoseStream
    frames, size, fps = frame_source(args)
    stream = VideoPoseStream(
        detector,
        pose2d,
        lifter,
        size,
        latency=args.latency,
        flip=not args.no_flip,
        bbox_thr=args.bbox_thr,
        det_cat_id=args.det_cat_id,
        iou_thr=args.iou_thr,
        max_age=args.max_age,
        keypoint_convention=args.keypoint_convention)
    print(f'streaming: lifter T = {stream.lifter.num_frames} frames, '
          f'{"causal" if stream.lifter.causal else "non-causal"}; latency '
          f'{stream.latency} frames ({stream.latency / fps * 1000:.0f} ms at '
          f'{fps:g} fps) + compute time', flush=True)
    outputs = {}
    t_start = time.perf_counter()
    for frame in frames:
        out = stream.push(frame)
        if out is not None:
            outputs[out[0]] = out[1]
            if not args.quiet:
                t = stream.timings[-1]
                print(f'frame {stream.frame_id}: 3D pose of frame {out[0]} '
                      f'({1000 * sum(t.values()):.1f} ms)', flush=True)
    for fid, pose in stream.flush():
        outputs[fid] = pose
    wall = time.perf_counter() - t_start
    num = stream.frame_id + 1
    poses = np.full((num, 17, 3), np.nan, np.float32)
    for fid, pose in outputs.items():
        poses[fid] = pose
    paths = dict(
        npy_3d=osp.join(out_dir, f'{stem}_stream_3d.npy'),
        json=osp.join(out_dir, f'{stem}_stream.json'))
    np.save(paths['npy_3d'], poses)
    per_stage = {
        k: float(np.mean([t[k] for t in stream.timings]))
        for k in ('detect', 'pose2d', 'lift')
    } if stream.timings else {}
    meta = dict(
        source=args.video,
        num_frames=num,
        fps=fps,
        image_size=list(size),
        latency_frames=stream.latency,
        keypoint_convention=stream.keypoint_convention,
        causal_lifter=stream.lifter.causal,
        window_frames=stream.lifter.num_frames,
        units=UNITS,
        joint_order_3d='h36m',
        mean_seconds_per_frame=per_stage,
        wall_seconds=wall,
        keypoints_3d=_nan_to_none(poses))
    with open(paths['json'], 'w') as f:
        json.dump(meta, f)
    print(f'{num} frames, {len(outputs)} 3D poses in {wall:.2f} s '
          f'({num / max(wall, 1e-9):.2f} frames/s); mean ms/frame: ' +
          ', '.join(f'{k} {1000 * v:.1f}' for k, v in per_stage.items()))
    print('\n'.join(f'{k}: {v}' for k, v in paths.items()))
    return poses, paths


def main(argv=None):
    args = parse_args(argv)
    from mmext.apis import init_lifter
    from mmext.utils import ConfigError
    try:
        if not args.stream and not osp.isfile(args.video):
            raise FileNotFoundError(f'video file not found: {args.video}')
        if args.max_persons is not None and not args.all:
            raise ValueError('--max-persons needs --all')
        if args.stream and args.all:
            raise ValueError('--stream follows one person; --all is for '
                             'video files')
        if not args.stream:
            from mmext.apis.video import probe_video
            probe_video(args.video)  # unreadable video: fail before models
        detector, pose2d = build_models(args)
        lifter = init_lifter(args.config, args.checkpoint, args.device)
        stem = _stem(args.video)
        out_dir = args.out_dir or osp.join('work_dirs', 'pose3d_video', stem)
        os.makedirs(out_dir, exist_ok=True)
        if args.stream:
            return run_stream(args, lifter, detector, pose2d, out_dir, stem)
        return run_offline(args, lifter, detector, pose2d, out_dir, stem)
    except (FileNotFoundError, ValueError, RuntimeError, ConfigError,
            pickle.UnpicklingError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
