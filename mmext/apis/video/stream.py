# Copyright (c) mmext contributors. All rights reserved.
"""Streaming 3D lifting: one 3D pose per new frame with a fixed latency.

:class:`StreamingLifter` keeps a ring buffer of the lifter's ``T`` input
frames. After frame ``f`` arrives it lifts the window of frames
``f - T + 1 .. f`` and emits the pose of frame ``f - L``, where ``L`` is the
*latency in frames* (the window position of the emitted frame is
``k = T - 1 - L``). The window is exactly what :func:`mmext.apis.lift_sequence`
sees for frames ``f - T + 1 .. f`` (same normalisation, flip averaging and
decoding), so a streamed pose equals the offline one for the same window.

* Start: the buffer is pre-filled with ``k`` copies of the first frame, so
  the first pose (frame 0) comes out when frame ``L`` arrives.
* End: :meth:`StreamingLifter.flush` repeats the last frame ``L`` times (the
  offline tail padding) and emits the last ``L`` poses.
* Latency: with ``latency=None`` a *causal* lifter (no output depends on a
  later frame; checked numerically by :func:`is_causal`) gets ``L = 0``;
  any other lifter gets the window centre, ``L = T // 2`` (13 frames for
  T = 27: 0.52 s at 25 fps, plus compute time). Any ``0 <= L < T`` may be
  given; a non-causal lifter then sees fewer future frames than it was
  trained with, and its accuracy may drop.

:class:`VideoPoseStream` adds per-frame detection, 2D pose and online IoU
tracking in front of it.
"""
import time
from collections import deque
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from .keypoints import (checkpoint_keypoint_convention, convert_coco_to_h36m,
                        resolve_keypoint_convention)
from .models import detect_persons, estimate_pose2d
from .tracking import IoUTracker

__all__ = ['is_causal', 'StreamingLifter', 'VideoPoseStream']


@torch.no_grad()
def is_causal(model, atol: float = 1e-5, seed: int = 0) -> bool:
    """Whether no output frame of the lifter depends on a later input frame.

    Runs a random clip and the same clip with its last frame changed; the
    lifter is causal when the outputs of all earlier frames are unchanged
    (a non-causal one, e.g. with temporal attention, changes them).
    """
    from mmext.apis.pose3d_inference import _num_frames
    num = _num_frames(model)
    if num < 2:
        return True
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    x = torch.rand(1, num, 17, 3, generator=gen) * 2 - 1
    y = x.clone()
    y[:, -1] = torch.rand(17, 3, generator=gen) * 2 - 1
    out = model(torch.cat([x, y]).to(device), None, 'tensor').float().cpu()
    return bool(torch.allclose(out[0, :-1], out[1, :-1], atol=atol))


class StreamingLifter:
    """Online lifting with a ring buffer of ``T`` frames (module docstring).

    Args:
        model: a lifter from :func:`mmext.apis.init_lifter`.
        image_size (tuple): (width, height) of the frames in pixels.
        latency (int, optional): ``L`` in frames, ``0 <= L < T``; ``None``
            picks 0 for a causal lifter, else ``T // 2``.
        flip (bool): flip-test averaging, as offline.
    """

    def __init__(self,
                 model,
                 image_size: Tuple[float, float],
                 latency: Optional[int] = None,
                 flip: bool = True):
        from mmext.apis.pose3d_inference import _check_image_size, _num_frames
        self.model = model
        self.image_size = _check_image_size(image_size)
        self.num_frames = _num_frames(model)
        self.causal = is_causal(model)
        if latency is None:
            latency = 0 if self.causal else self.num_frames // 2
        if not isinstance(latency, (int, np.integer)) or not (
                0 <= latency < self.num_frames):
            raise ValueError(
                f'latency: expected an integer in [0, {self.num_frames - 1}]'
                f' (frames; the lifter sees T = {self.num_frames}), got '
                f'{latency!r}')
        self.latency = int(latency)
        self.index = self.num_frames - 1 - self.latency
        self.flip = flip
        self._buf: deque = deque(maxlen=self.num_frames)
        self._ids: deque = deque(maxlen=self.num_frames)
        self._last = None

    def _lift_window(self) -> np.ndarray:
        from mmext.apis import lift_sequence
        window = np.stack(self._buf)
        return lift_sequence(
            self.model,
            window,
            self.image_size,
            stride=self.num_frames,
            flip=self.flip)[self.index]

    def push(self,
             keypoints: np.ndarray,
             frame_id: Optional[int] = None
             ) -> Optional[Tuple[int, np.ndarray]]:
        """Add one frame's H36M 2D pose (17, 2|3) in pixels.

        Returns:
            tuple | None: ``(frame_id, (17, 3) pose)`` of the frame ``L``
            frames back, or None while the first ``L`` frames arrive.
        """
        kpts = np.asarray(keypoints, np.float32)
        if kpts.shape not in ((17, 2), (17, 3)) or not np.isfinite(
                kpts).all():
            raise ValueError('push: expected a finite (17, 2) or (17, 3) '
                             'Human3.6M 2D pose in pixels, got shape '
                             f'{kpts.shape}')
        if kpts.shape[1] == 2:
            kpts = np.concatenate([kpts, np.ones((17, 1), np.float32)], 1)
        if frame_id is None:
            frame_id = (self._ids[-1] + 1) if self._ids else 0
        if not self._buf:  # front padding: k copies of the first frame
            for _ in range(self.index):
                self._buf.append(kpts)
                self._ids.append(None)
        self._buf.append(kpts)
        self._ids.append(frame_id)
        self._last = (kpts, frame_id)
        if len(self._buf) < self.num_frames:
            return None
        return self._ids[self.index], self._lift_window()

    def flush(self) -> List[Tuple[int, np.ndarray]]:
        """Emit the last ``L`` poses (tail padded with the last frame)."""
        if self._last is None:
            return []
        kpts, _ = self._last
        ids = list(self._ids)
        full = len(ids) == self.num_frames
        # real frames at window positions >= k are not emitted yet, except
        # the one at k once the window was full (emitted by its push)
        pending = [i for i in ids[self.index + int(full):] if i is not None]
        out = []
        for target in pending:
            while not (len(self._buf) == self.num_frames
                       and self._ids[self.index] == target):
                self._buf.append(kpts)
                self._ids.append(None)
            out.append((target, self._lift_window()))
        self._buf.clear()
        self._ids.clear()
        self._last = None
        return out


class VideoPoseStream:
    """Frames in, 3D poses of the main person out, with a fixed latency.

    Per frame: detect persons, update an :class:`IoUTracker`, pick the
    followed track (kept while it lives; otherwise the track with the
    largest area x score sum so far), estimate its COCO-17 pose, convert
    to Human3.6M and push to a :class:`StreamingLifter`. A frame without
    the followed person repeats the last pose with scores 0 (no look-ahead
    interpolation online). Frames before the first pose give nothing.
    ``keypoint_convention`` (COCO -> H36M, see :mod:`.keypoints`) defaults
    to the one the lifter's checkpoint records.

    ``timings`` holds, per pushed frame, the seconds spent in ``detect``,
    ``pose2d`` and ``lift``.
    """

    def __init__(self,
                 detector,
                 pose2d,
                 lifter,
                 image_size: Tuple[int, int],
                 latency: Optional[int] = None,
                 flip: bool = True,
                 bbox_thr: float = 0.3,
                 iou_thr: float = 0.3,
                 max_age: int = 10,
                 det_cat_id: int = 0,
                 keypoint_convention: Optional[str] = None):
        self.detector, self.pose2d = detector, pose2d
        if keypoint_convention is None:
            keypoint_convention = checkpoint_keypoint_convention(lifter)
        self.keypoint_convention = resolve_keypoint_convention(
            keypoint_convention)
        self.lifter = StreamingLifter(lifter, image_size, latency, flip)
        self.tracker = IoUTracker(iou_thr, max_age)
        self.bbox_thr = bbox_thr
        self.det_cat_id = det_cat_id
        self.followed = None
        self.frame_id = -1
        self._last_pose = None
        self.timings: List[Dict[str, float]] = []
        self.poses_2d: Dict[int, np.ndarray] = {}

    @property
    def latency(self) -> int:
        """Frames between a frame's arrival and its 3D pose."""
        return self.lifter.latency

    def push(self, frame: np.ndarray) -> Optional[Tuple[int, np.ndarray]]:
        """One BGR frame in; ``(frame_id, (17, 3))`` L frames back out."""
        self.frame_id += 1
        f = self.frame_id
        t0 = time.perf_counter()
        boxes = detect_persons(
            self.detector,
            frame,
            person_id=self.det_cat_id,
            score_thr=self.bbox_thr)
        ids = self.tracker.update(f, boxes)
        t1 = time.perf_counter()
        alive = {t.track_id: t for t in self.tracker._active}
        if self.followed not in alive and alive:
            best = max(alive.values(), key=lambda t: (t.weight, -t.track_id))
            self.followed = best.track_id
        pose = None
        if self.followed in ids:
            box = boxes[ids.index(self.followed)]
            pose = estimate_pose2d(self.pose2d, frame, box[None])[0]
            self.poses_2d[f] = pose
        t2 = time.perf_counter()
        out = None
        if pose is not None:
            self._last_pose = convert_coco_to_h36m(
                pose, self.keypoint_convention)
            out = self.lifter.push(self._last_pose, f)
        elif self._last_pose is not None:
            held = self._last_pose.copy()
            held[:, 2] = 0
            out = self.lifter.push(held, f)
        t3 = time.perf_counter()
        self.timings.append(dict(detect=t1 - t0, pose2d=t2 - t1, lift=t3 - t2))
        return out

    def flush(self) -> List[Tuple[int, np.ndarray]]:
        """The last ``latency`` poses at the end of the stream."""
        return self.lifter.flush()
