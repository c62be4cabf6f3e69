# Copyright (c) mmext contributors. All rights reserved.
"""CPU time per stage of tools/inference/pose3d_video.py and streaming latency.

Generates a SYNTHETIC video (stick figures; ``--seconds`` at ``--fps``),
then:

1. runs ``tools/inference/pose3d_video.py`` offline on it (as a command)
   and reports the seconds and ms per frame of each stage (decode +
   detect, track, 2D pose, lift, render/write) from the tool's JSON;
2. streams the same frames' 2D poses through
   :class:`mmext.apis.video.StreamingLifter` (the demo lifter, latency
   ``T // 2``; and the causal demo config, latency 0) and reports the
   per-frame lifting time (median, 90th percentile), the throughput and the
   ratio of streaming to offline lifting cost per frame (offline lifts one
   ``T``-frame window per ``T`` frames, streaming one per frame);
3. streams the video frame by frame through
   :class:`mmext.apis.video.VideoPoseStream` (detect + 2D + lift) and
   reports its per-frame time and throughput.

Without ``--det-*`` / ``--pose2d-*`` the tiny random-weight TEST configs
(``tests/data/configs/tiny_*.py``) are used; the lifter is the demo
MotionAGFormer config with random weights unless ``--lifter-checkpoint``
is given (the compute cost does not depend on the weights). Example::

    OMP_NUM_THREADS=1 python tools/benchmarks/benchmark_pose3d_video.py \
        --seconds 10 --work-dir work_dirs/bench_video
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time

import numpy as np

import mmext  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CFG = osp.join(ROOT, 'tests', 'data', 'configs')
LIFTER = osp.join(ROOT, 'configs/pose3d/motionagformer/'
                  'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py')
CAUSAL = osp.join(ROOT, 'configs/pose3d/mambagcn/'
                  'mambagcn-xs4l_27frm-causal_1xb16-10e_h36m-demo.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=10.)
    parser.add_argument('--fps', type=float, default=25.)
    parser.add_argument('--size', type=int, nargs=2, default=(320, 240))
    parser.add_argument('--det-config', default=osp.join(
        CFG, 'tiny_rtmdet_person.py'))
    parser.add_argument('--det-checkpoint')
    parser.add_argument('--pose2d-config', default=osp.join(
        CFG, 'tiny_topdown_coco.py'))
    parser.add_argument('--pose2d-checkpoint')
    parser.add_argument('--lifter-config', default=LIFTER)
    parser.add_argument('--lifter-checkpoint')
    parser.add_argument('--causal-config', default=CAUSAL)
    parser.add_argument('--work-dir', default='work_dirs/bench_pose3d_video')
    return parser.parse_args(argv)


def _stats(seconds):
    ms = 1000 * np.asarray(seconds)
    return np.median(ms), np.percentile(ms, 90), 1000 / ms.mean()


def main(argv=None):
    args = parse_args(argv)
    import torch

    from mmext.apis import init_lifter
    from mmext.apis.video import (StreamingLifter, VideoPoseStream,
                                  coco_to_h36m, fill_gaps,
                                  init_person_detector, init_pose2d,
                                  iter_video)
    from mmext.testing.video import (make_detector_checkpoint,
                                     make_lifter_checkpoint,
                                     make_pose_checkpoint,
                                     write_synthetic_video)
    os.makedirs(args.work_dir, exist_ok=True)
    num = int(round(args.seconds * args.fps))
    video = write_synthetic_video(
        osp.join(args.work_dir, 'synthetic.mp4'), num, tuple(args.size),
        args.fps)
    det_ckpt = args.det_checkpoint or make_detector_checkpoint(
        args.det_config, osp.join(args.work_dir, 'det_random.pth'))
    pose_ckpt = args.pose2d_checkpoint or make_pose_checkpoint(
        args.pose2d_config, osp.join(args.work_dir, 'pose_random.pth'))
    lift_ckpt = args.lifter_checkpoint or make_lifter_checkpoint(
        args.lifter_config, osp.join(args.work_dir, 'lifter_random.pth'))
    causal_ckpt = make_lifter_checkpoint(
        args.causal_config, osp.join(args.work_dir, 'causal_random.pth'))

    print(f'# benchmark_pose3d_video: {num} frames ({args.seconds:g} s at '
          f'{args.fps:g} fps, {args.size[0]}x{args.size[1]}), CPU '
          f'{platform.processor() or platform.machine()}, torch threads '
          f'{torch.get_num_threads()}')
    print(f'detector {osp.basename(args.det_config)} '
          f'({"given" if args.det_checkpoint else "random"} weights), 2D '
          f'{osp.basename(args.pose2d_config)} '
          f'({"given" if args.pose2d_checkpoint else "random"} weights), '
          f'lifter {osp.basename(args.lifter_config)}\n')

    # 1. offline tool, run as a command (its JSON holds the stage timings)
    t0 = time.perf_counter()
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'inference', 'pose3d_video.py'), video,
        args.lifter_config, lift_ckpt, '--det-config', args.det_config,
        '--det-checkpoint', det_ckpt, '--pose2d-config', args.pose2d_config,
        '--pose2d-checkpoint', pose_ckpt, '--out-dir', args.work_dir,
        '--quiet'
    ], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f'tools/inference/pose3d_video.py failed: '
                 f'{proc.stderr.strip()[-2000:]}')
    stem = osp.splitext(osp.basename(video))[0]
    with open(osp.join(args.work_dir, f'{stem}.json')) as f:
        result = json.load(f)
    n = result['num_frames']
    print('\n## offline tools/inference/pose3d_video.py, time per stage\n')
    print('| stage | s | ms/frame | share |\n|---|---|---|---|')
    total = sum(result['timings'].values())
    for stage, sec in result['timings'].items():
        print(f'| {stage} | {sec:.2f} | {1000 * sec / n:.1f} | '
              f'{100 * sec / total:.0f}% |')
    print(f'| total (stages) | {total:.2f} | {1000 * total / n:.1f} | |')
    print(f'| wall incl. start-up and model loading | {wall:.2f} | | |')
    # the main person's 2D poses as the tool lifted them (gaps filled)
    coco = np.load(osp.join(args.work_dir, f'{stem}_2d.npy'))
    fill = fill_gaps(coco, np.isfinite(coco).all((-1, -2)), 10)
    h36m = coco_to_h36m(fill.keypoints[fill.valid])
    size = tuple(result['image_size'])

    # 2. streaming lifter vs offline lifting of the same 2D poses
    print('\n## streaming lifter (per pushed frame)\n')
    print('| lifter | T | latency (frames) | median ms | p90 ms | frames/s '
          '| offline ms/frame | streaming / offline |\n|---|---|---|---|'
          '---|---|---|---|')
    from mmext.apis import lift_sequence
    for name, cfg, ckpt in (('demo MotionAGFormer-XS4L', args.lifter_config,
                             lift_ckpt), ('causal demo MambaGCN',
                                          args.causal_config, causal_ckpt)):
        model = init_lifter(cfg, ckpt)
        t0 = time.perf_counter()
        lift_sequence(model, h36m, size)
        offline = (time.perf_counter() - t0) / len(h36m)
        stream = StreamingLifter(model, size)
        times = []
        for kpts in h36m:
            t0 = time.perf_counter()
            stream.push(kpts)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        stream.flush()
        med, p90, fps = _stats(times)
        print(f'| {name} ({"causal" if stream.causal else "non-causal"}) | '
              f'{stream.num_frames} | {stream.latency} | {med:.1f} | '
              f'{p90:.1f} | {fps:.1f} | {1000 * offline:.2f} | '
              f'{med / 1000 / offline:.1f}x |')

    # 3. whole streaming pipeline
    detector = init_person_detector(args.det_config, det_ckpt)
    pose2d = init_pose2d(args.pose2d_config, pose_ckpt)
    lifter = init_lifter(args.lifter_config, lift_ckpt)
    stream = VideoPoseStream(detector, pose2d, lifter, size)
    totals = []
    for frame in iter_video(video):
        t0 = time.perf_counter()
        stream.push(frame)
        totals.append(time.perf_counter() - t0)
    stream.flush()
    print('\n## VideoPoseStream (detect + 2D + lift per frame, demo lifter, '
          f'latency {stream.latency} frames = '
          f'{1000 * stream.latency / args.fps:.0f} ms at {args.fps:g} fps)\n')
    print('| part | median ms/frame |\n|---|---|')
    for k in ('detect', 'pose2d', 'lift'):
        print(f'| {k} | {1000 * np.median([t[k] for t in stream.timings]):.1f}'
              ' |')
    med, p90, fps = _stats(totals)
    print(f'| total | {med:.1f} (p90 {p90:.1f}) |')
    print(f'\nthroughput {fps:.1f} frames/s; a pose leaves {stream.latency} '
          f'frames + one frame of compute ({med:.0f} ms median) after its '
          'frame arrived')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
