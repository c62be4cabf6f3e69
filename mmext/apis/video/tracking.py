# Copyright (c) mmext contributors. All rights reserved.
"""Greedy IoU tracking of person boxes and the main-person rule.

Deliberately simple and documented (no appearance model, no motion model):

* A track remembers the box of the last frame it was matched in.
* In each frame, every (track, detection) pair with IoU >= ``iou_thr`` is a
  candidate; candidates are taken greedily by decreasing IoU, each track and
  each detection at most once.
* A track that was not matched for more than ``max_age`` frames is closed;
  unmatched detections start new tracks.
* The *main person* is the track with the largest sum of ``box area x box
  score`` over its frames: present long, large and confident.

Online use (streaming) calls :meth:`IoUTracker.update` frame by frame; the
main person is then the track with the largest sum *so far*.
"""
from typing import Dict, List, Optional

import numpy as np

__all__ = ['box_iou', 'IoUTracker', 'Track', 'track_boxes', 'main_track']


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of (N, 4) and (M, 4) ``x1, y1, x2, y2`` boxes."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.)


class Track:
    """One tracked person: ``boxes[frame] = (x1, y1, x2, y2, score)``."""

    def __init__(self, track_id: int):
        self.track_id = track_id
        self.boxes: Dict[int, np.ndarray] = {}
        self.weight = 0.  # sum of area x score: the main-person criterion

    @property
    def last_frame(self) -> int:
        return max(self.boxes)

    def add(self, frame: int, box: np.ndarray) -> None:
        box = np.asarray(box, np.float64)
        self.boxes[frame] = box
        area = max(box[2] - box[0], 0.) * max(box[3] - box[1], 0.)
        self.weight += area * float(box[4])

    def __repr__(self):
        return (f'Track(id={self.track_id}, frames={len(self.boxes)}, '
                f'weight={self.weight:.1f})')


class IoUTracker:
    """Online greedy IoU tracker (see the module docstring).

    Args:
        iou_thr (float): least IoU to continue a track.
        max_age (int): frames a track may go unmatched before it is closed.
    """

    def __init__(self, iou_thr: float = 0.3, max_age: int = 10):
        if not 0. < iou_thr <= 1.:
            raise ValueError(f'iou_thr: expected a value in (0, 1], got '
                             f'{iou_thr}')
        if max_age < 0:
            raise ValueError(f'max_age: expected >= 0, got {max_age}')
        self.iou_thr = iou_thr
        self.max_age = max_age
        self.tracks: List[Track] = []
        self._active: List[Track] = []

    def update(self, frame: int, boxes: np.ndarray) -> List[int]:
        """Match the (n, 5) boxes of ``frame``; returns their track ids."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 5)
        self._active = [
            t for t in self._active if frame - t.last_frame <= self.max_age + 1
        ]
        ids = [-1] * len(boxes)
        if self._active and len(boxes):
            last = np.stack([t.boxes[t.last_frame][:4] for t in self._active])
            iou = box_iou(last, boxes[:, :4])
            order = np.dstack(np.unravel_index(
                np.argsort(-iou, axis=None), iou.shape))[0]
            used_t, used_d = set(), set()
            for ti, di in order:
                if iou[ti, di] < self.iou_thr:
                    break
                if ti in used_t or di in used_d:
                    continue
                used_t.add(ti)
                used_d.add(di)
                self._active[ti].add(frame, boxes[di])
                ids[di] = self._active[ti].track_id
        for di, box in enumerate(boxes):
            if ids[di] < 0:
                track = Track(len(self.tracks))
                track.add(frame, box)
                self.tracks.append(track)
                self._active.append(track)
                ids[di] = track.track_id
        return ids

    def main_track(self) -> Optional[Track]:
        """The track with the largest area x score sum so far."""
        return main_track(self.tracks)


def track_boxes(boxes_per_frame: List[np.ndarray],
                iou_thr: float = 0.3,
                max_age: int = 10) -> List[Track]:
    """Track the (n_t, 5) boxes of every frame; returns all tracks."""
    tracker = IoUTracker(iou_thr, max_age)
    for frame, boxes in enumerate(boxes_per_frame):
        tracker.update(frame, boxes)
    return tracker.tracks


def main_track(tracks: List[Track]) -> Optional[Track]:
    """The track with the largest sum of box area x score (None if none)."""
    if not tracks:
        return None
    return max(tracks, key=lambda t: (t.weight, -t.track_id))
