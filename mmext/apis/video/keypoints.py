# Copyright (c) mmext contributors. All rights reserved.
"""COCO-17 -> Human3.6M-17 conversion and gap filling of 2D tracks.

COCO-17 (mmpose's ``coco.py`` metainfo)::

    0 nose, 1 left_eye, 2 right_eye, 3 left_ear, 4 right_ear,
    5 left_shoulder, 6 right_shoulder, 7 left_elbow, 8 right_elbow,
    9 left_wrist, 10 right_wrist, 11 left_hip, 12 right_hip,
    13 left_knee, 14 right_knee, 15 left_ankle, 16 right_ankle

Human3.6M-17 (the lifters' input order)::

    0 pelvis, 1 r-hip, 2 r-knee, 3 r-ankle, 4 l-hip, 5 l-knee, 6 l-ankle,
    7 spine, 8 thorax, 9 neck/nose, 10 head, 11 l-shoulder, 12 l-elbow,
    13 l-wrist, 14 r-shoulder, 15 r-elbow, 16 r-wrist

The joints COCO lacks are synthesised as MotionBERT's ``coco2h36m``
(``lib/data/dataset_action.py``) and mmpose's
``convert_keypoint_definition(..., 'coco', 'h36m')`` do: pelvis = mid-hips,
thorax = mid-shoulders, spine = mid(pelvis, thorax), H36M joint 9
("neck/nose") = the COCO nose, head = mid-eyes. Every channel (x, y and the
score) is averaged the same way, so a synthesised joint's score is the mean
of its sources' scores.
"""
from typing import List, Tuple

import numpy as np

from mmext.structures.coco import COCO17_NAMES, COCO_TO_H36M

__all__ = [
    'COCO17_NAMES', 'COCO_TO_H36M', 'coco_to_h36m', 'fill_gaps',
    'runs_of', 'GapFill'
]


def _conversion_matrix() -> np.ndarray:
    mat = np.zeros((17, 17), np.float64)
    for h36m, coco in enumerate(COCO_TO_H36M):
        mat[h36m, list(coco)] = 1. / len(coco)
    return mat


_MATRIX = _conversion_matrix()


def coco_to_h36m(keypoints: np.ndarray) -> np.ndarray:
    """COCO-17 keypoints -> Human3.6M-17 (see the module docstring).

    Args:
        keypoints (np.ndarray): ``(..., 17, C)`` in COCO order, any channels
            (x, y[, score]); NaNs propagate to the joints built from them.

    Returns:
        np.ndarray: ``(..., 17, C)`` float32 in Human3.6M order.
    """
    arr = np.asarray(keypoints)
    if arr.ndim < 2 or arr.shape[-2] != 17:
        raise ValueError('coco_to_h36m: expected COCO-17 keypoints of shape '
                         f'(..., 17, C), got {arr.shape}')
    out = np.einsum('hc,...cd->...hd', _MATRIX, arr.astype(np.float64))
    return out.astype(np.float32)


def runs_of(mask: np.ndarray) -> List[Tuple[int, int]]:
    """``[start, end)`` ranges of the True runs of a 1-D boolean mask."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    diff = np.diff(m.astype(np.int8))
    starts = np.flatnonzero(diff == 1)
    ends = np.flatnonzero(diff == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends)]


class GapFill(dict):
    """Result of :func:`fill_gaps` (a dict with attribute access).

    Keys: ``keypoints`` (N, K, C) filled (NaN where not filled),
    ``valid`` (N,) frames with a detected or interpolated pose,
    ``interpolated`` (N,) frames filled by interpolation,
    ``long_gaps`` ``[(start, end), ...]`` missing runs longer than
    ``max_gap`` inside the track (``end`` exclusive), ``segments`` the
    ``[start, end)`` runs of valid frames.
    """

    __getattr__ = dict.__getitem__


def fill_gaps(keypoints: np.ndarray, present: np.ndarray,
              max_gap: int) -> GapFill:
    """Fill missing frames of a track by capped linear interpolation.

    A run of missing frames ``a .. b-1`` with detections at both ``a - 1``
    and ``b`` and at most ``max_gap`` frames is filled with
    ``k[i] = k[a-1] + (i - a + 1) / (b - a + 1) * (k[b] - k[a-1])`` for every
    channel (scores included). Longer runs are left empty and reported in
    ``long_gaps``; frames before the first and after the last detection are
    outside the track and left empty (not reported as gaps).

    Args:
        keypoints (np.ndarray): (N, K, C); rows of missing frames are
            ignored.
        present (np.ndarray): (N,) bool, frames with a detection.
        max_gap (int): longest run of missing frames that is interpolated
            (0 disables interpolation).

    Returns:
        GapFill: see :class:`GapFill`.
    """
    kpts = np.asarray(keypoints, np.float64)
    present = np.asarray(present, bool)
    if kpts.ndim != 3 or present.shape != kpts.shape[:1]:
        raise ValueError(
            'fill_gaps: expected keypoints (N, K, C) and present (N,), got '
            f'{kpts.shape} and {present.shape}')
    if not isinstance(max_gap, (int, np.integer)) or max_gap < 0:
        raise ValueError(f'max_gap: expected an integer >= 0, got {max_gap}')
    num = len(kpts)
    out = np.full_like(kpts, np.nan)
    out[present] = kpts[present]
    interpolated = np.zeros(num, bool)
    long_gaps = []
    for a, b in runs_of(~present):
        if a == 0 or b == num:
            continue  # before the first / after the last detection
        if b - a > max_gap:
            long_gaps.append((a, b))
            continue
        left, right = kpts[a - 1], kpts[b]
        w = (np.arange(a, b) - (a - 1)) / (b - (a - 1))
        out[a:b] = left + w[:, None, None] * (right - left)
        interpolated[a:b] = True
    valid = present | interpolated
    return GapFill(
        keypoints=out.astype(np.float32),
        valid=valid,
        interpolated=interpolated,
        long_gaps=long_gaps,
        segments=runs_of(valid))
