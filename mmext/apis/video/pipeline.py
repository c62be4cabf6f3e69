# Copyright (c) mmext contributors. All rights reserved.
"""Offline video -> detections -> tracks -> COCO-17 2D -> H36M -> 3D.

Stages (each timed, each with a progress bar when ``progress=True``):

1. ``detect``: decode every frame (OpenCV) and detect persons with the
   mmdet model (:func:`detect_persons`).
2. ``track``: greedy IoU tracking of the boxes (:mod:`.tracking`); keep the
   main person, or every track with ``all_persons`` (largest first).
3. ``pose2d``: decode again and run the mmpose top-down model on the kept
   tracks' boxes only (:func:`estimate_pose2d`), COCO-17.
4. ``lift``: per person, fill short gaps (:func:`fill_gaps`), convert to
   Human3.6M-17 in the lifter's keypoint convention
   (:func:`convert_coco_to_h36m`) and lift every run of valid frames with
   :func:`mmext.apis.lift_sequence` (sliding windows, flip averaging; the
   uncovered tail padded or resampled).

Frames where a person has no pose (outside the track, or in a gap longer
than ``max_gap``) are NaN in the outputs and ``False`` in ``valid``.
"""
import sys
import time
from typing import Dict, List, Optional

import numpy as np

from .io import iter_video, probe_video
from .keypoints import (checkpoint_keypoint_convention, convert_coco_to_h36m,
                        fill_gaps, resolve_keypoint_convention)
from .models import detect_persons, estimate_pose2d
from .tracking import main_track, track_boxes

__all__ = ['video_to_pose2d', 'lift_tracks', 'video_to_pose3d', 'Progress']


class Progress:
    """An mmengine ``ProgressBar`` on stderr, or nothing."""

    def __init__(self, title: str, total: int, enabled: bool = True):
        self.bar = None
        if enabled:
            from mmengine.utils import ProgressBar
            sys.stderr.write(f'[{title}]\n')
            self.bar = ProgressBar(max(int(total), 0), file=sys.stderr)

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            sys.stderr.write('\n')


def video_to_pose2d(video: str,
                    detector,
                    pose2d,
                    all_persons: bool = False,
                    max_persons: Optional[int] = None,
                    bbox_thr: float = 0.3,
                    det_cat_id: int = 0,
                    iou_thr: float = 0.3,
                    max_age: int = 10,
                    max_frames: Optional[int] = None,
                    progress: bool = True) -> Dict:
    """Stages 1-3: detections, tracks and COCO-17 2D poses of a video.

    Returns:
        dict: ``num_frames``, ``fps``, ``image_size`` (w, h),
        ``track_ids`` (P,), ``keypoints_coco`` (P, N, 17, 3) NaN where
        absent, ``boxes`` (P, N, 5) NaN where absent, ``present`` (P, N),
        ``num_tracks`` (all tracks found), ``detections_per_frame`` (N,),
        ``timings`` {stage: seconds}.
    """
    info = probe_video(video)
    timings = {}

    t0 = time.perf_counter()
    boxes_per_frame = []
    bar = Progress('detect', max_frames or info.num_frames, progress)
    for frame in iter_video(video, max_frames):
        boxes_per_frame.append(
            detect_persons(
                detector, frame, person_id=det_cat_id, score_thr=bbox_thr))
        bar.update()
    bar.close()
    num = len(boxes_per_frame)
    timings['detect'] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tracks = track_boxes(boxes_per_frame, iou_thr, max_age)
    if all_persons:
        kept = sorted(tracks, key=lambda t: (-t.weight, t.track_id))
        if max_persons is not None:
            kept = kept[:max_persons]
    else:
        kept = [main_track(tracks)] if tracks else []
    timings['track'] = time.perf_counter() - t0

    t0 = time.perf_counter()
    num_p = len(kept)
    kpts = np.full((num_p, num, 17, 3), np.nan, np.float32)
    boxes = np.full((num_p, num, 5), np.nan, np.float32)
    present = np.zeros((num_p, num), bool)
    bar = Progress('pose2d', num, progress)
    for f, frame in enumerate(iter_video(video, num)):
        who = [p for p, t in enumerate(kept) if f in t.boxes]
        if who:
            fboxes = np.stack([kept[p].boxes[f] for p in who])
            for p, k in zip(who, estimate_pose2d(pose2d, frame, fboxes)):
                kpts[p, f] = k
                boxes[p, f] = kept[p].boxes[f]
                present[p, f] = True
        bar.update()
    bar.close()
    timings['pose2d'] = time.perf_counter() - t0
    return dict(
        video=str(video),
        num_frames=num,
        fps=info.fps,
        image_size=(info.width, info.height),
        track_ids=[t.track_id for t in kept],
        keypoints_coco=kpts,
        boxes=boxes,
        present=present,
        num_tracks=len(tracks),
        detections_per_frame=np.array([len(b) for b in boxes_per_frame]),
        timings=timings)


def lift_tracks(result: Dict,
                lifter,
                max_gap: int = 10,
                stride: Optional[int] = None,
                flip: bool = True,
                batch_size: int = 32,
                progress: bool = True,
                keypoint_convention: Optional[str] = None,
                tail: Optional[str] = None) -> Dict:
    """Stage 4: gap filling, COCO -> H36M and 3D lifting, per person.

    ``keypoint_convention`` (``'motionbert'`` | ``'motionagformer-demo'``,
    see :mod:`.keypoints`) defaults to the one the lifter's checkpoint
    records (:func:`checkpoint_keypoint_convention`); ``tail`` (``'pad'`` |
    ``'resample'``, see :func:`mmext.apis.lift_sequence`) defaults to
    ``'resample'`` with the MotionAGFormer demo's convention (as its
    ``vis.py``) and to ``'pad'`` otherwise.

    Adds to ``result`` (and returns it): ``keypoints_h36m`` (P, N, 17, 3)
    2D + score in H36M order (NaN where not valid), ``keypoints_3d``
    (P, N, 17, 3) root-relative 3D (:func:`mmext.apis.lift_sequence`
    units; NaN where not valid), ``valid`` / ``interpolated`` (P, N),
    ``long_gaps`` (per person, ``[start, end)`` frame ranges),
    ``keypoint_convention``, ``tail`` and ``timings['lift']``.
    """
    from mmext.apis import lift_sequence
    t0 = time.perf_counter()
    if keypoint_convention is None:
        keypoint_convention = checkpoint_keypoint_convention(lifter)
    keypoint_convention = resolve_keypoint_convention(keypoint_convention)
    if tail is None:
        tail = 'resample' if keypoint_convention == 'motionagformer-demo' \
            else 'pad'
    coco = result['keypoints_coco']
    num_p, num = coco.shape[:2]
    h36m = np.full_like(coco, np.nan)
    out3d = np.full_like(coco, np.nan)
    valid = np.zeros((num_p, num), bool)
    interp = np.zeros((num_p, num), bool)
    long_gaps: List[List] = []
    fills = []
    for p in range(num_p):
        fill = fill_gaps(coco[p], result['present'][p], max_gap)
        fills.append(fill)
        valid[p], interp[p] = fill.valid, fill.interpolated
        long_gaps.append([list(g) for g in fill.long_gaps])
        h36m[p][fill.valid] = convert_coco_to_h36m(
            fill.keypoints[fill.valid], keypoint_convention)
    total = sum(len(f.segments) for f in fills)
    bar = Progress('lift', total, progress)
    for p, fill in enumerate(fills):
        for a, b in fill.segments:
            out3d[p, a:b] = lift_sequence(
                lifter,
                h36m[p, a:b],
                result['image_size'],
                stride=stride,
                flip=flip,
                batch_size=batch_size,
                tail=tail)
            bar.update()
    bar.close()
    result.update(
        keypoints_h36m=h36m,
        keypoints_3d=out3d,
        valid=valid,
        interpolated=interp,
        long_gaps=long_gaps,
        max_gap=max_gap,
        keypoint_convention=keypoint_convention,
        tail=tail)
    result['timings']['lift'] = time.perf_counter() - t0
    return result


def video_to_pose3d(video: str, detector, pose2d, lifter,
                    **kwargs) -> Dict:
    """All four stages; keyword arguments go to the stage they belong to.

    See :func:`video_to_pose2d` (``all_persons``, ``max_persons``,
    ``bbox_thr``, ``det_cat_id``, ``iou_thr``, ``max_age``,
    ``max_frames``, ``progress``) and :func:`lift_tracks` (``max_gap``,
    ``stride``, ``flip``, ``batch_size``, ``keypoint_convention``,
    ``tail``).
    """
    lift_keys = ('max_gap', 'stride', 'flip', 'batch_size',
                 'keypoint_convention', 'tail')
    lift_kwargs = {k: kwargs.pop(k) for k in lift_keys if k in kwargs}
    result = video_to_pose2d(video, detector, pose2d, **kwargs)
    return lift_tracks(
        result,
        lifter,
        progress=kwargs.get('progress', True),
        **lift_kwargs)
