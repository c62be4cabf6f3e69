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

Two conventions are available (``KEYPOINT_CONVENTIONS``); a lifter should be
fed the one its in-the-wild use was made with:

* ``'motionbert'``: :func:`coco_to_h36m`, above (mmext's default).
* ``'motionagformer-demo'``: :func:`coco_to_h36m_motionagformer_demo`, the
  conversion of MotionAGFormer's in-the-wild demo (TaatiTeam/MotionAGFormer
  ``demo/vis.py:4`` imports ``h36m_coco_format`` from
  ``demo/lib/preprocess.py``, whose ``coco_h36m`` (lines 10-37) is MHFormer's
  heuristic): an extrapolated head top, a thorax and a neck moved towards
  the nose, a spine pushed sideways; scores as in lines 58-62.
"""
from typing import Dict, List, Tuple

import numpy as np

from mmext.structures.coco import COCO17_NAMES, COCO_TO_H36M

__all__ = [
    'COCO17_NAMES', 'COCO_TO_H36M', 'coco_to_h36m', 'fill_gaps',
    'runs_of', 'GapFill', 'KEYPOINT_CONVENTIONS', 'DEFAULT_CONVENTION',
    'coco_to_h36m_motionagformer_demo', 'convert_coco_to_h36m',
    'resolve_keypoint_convention', 'checkpoint_keypoint_convention'
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


#: Names accepted by :func:`convert_coco_to_h36m` and
#: ``tools/inference/pose3d_video.py --keypoint-convention``.
KEYPOINT_CONVENTIONS = ('motionbert', 'motionagformer-demo')
#: For checkpoints whose meta records no convention (mmext-trained ones).
DEFAULT_CONVENTION = 'motionbert'

_Combo = Dict[int, float]  # COCO joint -> weight
_MID_SHOULDERS: _Combo = {5: .5, 6: .5}
_COPIES = {1: 12, 2: 14, 3: 16, 4: 11, 5: 13, 6: 15, 11: 5, 12: 7, 13: 9,
           14: 6, 15: 8, 16: 10}


def _motionagformer_demo_tables() -> Tuple[List[_Combo], ...]:
    """Per-channel linear combinations of ``coco_h36m`` (upstream
    ``demo/lib/preprocess.py:10-29``) and of its scores (lines 58-62).

    With ``n`` the nose, ``ms`` / ``mh`` / ``me`` the mid-shoulders /
    -hips / -eyes: pelvis = ``mh``; thorax = ``ms + (n - ms) / 3``, its y
    raised by ``2/3 (me.y - n.y)``; spine = the mean of shoulders and hips,
    its x moved by ``2 (spine.x - (pelvis.x + thorax.x) / 2)`` (=
    ``-(n.x - ms.x) / 3``); neck = ``n - (n - ms) / 4``; head top x = the
    mean of eyes and ears, y = ``2 me.y - n.y`` (the nose-to-eyes distance
    again above the eyes). Scores: pelvis, thorax = the mean of hips /
    shoulders, spine = the mean of those two, neck = the nose's, head = the
    mean of eyes and ears.
    """
    x: List[_Combo] = [{} for _ in range(17)]
    y: List[_Combo] = [{} for _ in range(17)]
    score: List[_Combo] = [{} for _ in range(17)]
    for h36m, coco in _COPIES.items():
        x[h36m] = y[h36m] = score[h36m] = {coco: 1.}
    x[0] = y[0] = score[0] = {11: .5, 12: .5}
    four = {5: .25, 6: .25, 11: .25, 12: .25}
    x[7] = {5: 5 / 12, 6: 5 / 12, 11: .25, 12: .25, 0: -1 / 3}
    y[7] = score[7] = four
    x[8] = {5: 1 / 3, 6: 1 / 3, 0: 1 / 3}
    y[8] = {5: 1 / 3, 6: 1 / 3, 0: 1., 1: -1 / 3, 2: -1 / 3}
    score[8] = dict(_MID_SHOULDERS)
    x[9] = y[9] = {0: .75, 5: .125, 6: .125}
    score[9] = {0: 1.}
    x[10] = score[10] = {1: .25, 2: .25, 3: .25, 4: .25}
    y[10] = {1: 1., 2: 1., 0: -1.}
    return x, y, score


_MAG_DEMO = _motionagformer_demo_tables()


def _combine(arr: np.ndarray, tables: Tuple[List[_Combo], ...]) -> np.ndarray:
    """Channel ``c`` of H36M joint ``h`` = sum of ``w * arr[..., j, c]``
    over ``tables[c][h]`` (only the joints named there: a NaN elsewhere
    does not spread)."""
    out = np.empty(arr.shape, np.float64)
    for c in range(arr.shape[-1]):
        table = tables[min(c, len(tables) - 1)]
        for h36m, combo in enumerate(table):
            out[..., h36m, c] = sum(w * arr[..., j, c]
                                    for j, w in combo.items())
    return out


def coco_to_h36m_motionagformer_demo(keypoints: np.ndarray) -> np.ndarray:
    """COCO-17 -> Human3.6M-17 as MotionAGFormer's in-the-wild demo does.

    Upstream ``demo/lib/preprocess.py`` (``coco_h36m``, lines 10-37, and the
    scores of ``h36m_coco_format``, lines 58-62), which ``demo/vis.py``
    uses; the formulas are in :func:`_motionagformer_demo_tables`. Each
    output coordinate is an affine combination of the same axis of the
    inputs (weights sum to 1), so it commutes with the screen
    normalisation.

    Args:
        keypoints (np.ndarray): ``(..., 17, C)`` in COCO order, ``C`` 2
            (x, y) or 3 (x, y, score).

    Returns:
        np.ndarray: ``(..., 17, C)`` float32 in Human3.6M order.
    """
    arr = np.asarray(keypoints)
    if arr.ndim < 2 or arr.shape[-2] != 17 or arr.shape[-1] not in (2, 3):
        raise ValueError(
            'coco_to_h36m_motionagformer_demo: expected COCO-17 keypoints of '
            f'shape (..., 17, 2|3) (x, y[, score]), got {arr.shape}')
    return _combine(arr.astype(np.float64), _MAG_DEMO).astype(np.float32)


def resolve_keypoint_convention(convention: str) -> str:
    """Check a convention name (one clear error naming the choices)."""
    if convention not in KEYPOINT_CONVENTIONS:
        raise ValueError(
            f'keypoint convention {convention!r} is not known; expected one '
            f'of {KEYPOINT_CONVENTIONS}')
    return convention


def checkpoint_keypoint_convention(lifter) -> str:
    """The convention a lifter's checkpoint records, else the default.

    ``meta['keypoint_convention']`` is written by
    ``tools/model_converters/motionagformer_official_to_mmext.py``
    (``'motionagformer-demo'`` for upstream weights: upstream's in-the-wild
    demo feeds them that conversion); checkpoints without it (mmext-trained
    ones) give :data:`DEFAULT_CONVENTION`.

    Args:
        lifter: a model from :func:`mmext.apis.init_lifter` (its
            ``checkpoint_meta``) or a checkpoint's meta dict.
    """
    meta = lifter if isinstance(lifter, dict) else getattr(
        lifter, 'checkpoint_meta', None) or {}
    convention = meta.get('keypoint_convention', DEFAULT_CONVENTION)
    if convention not in KEYPOINT_CONVENTIONS:
        raise ValueError(
            f"checkpoint meta['keypoint_convention']={convention!r} is not "
            f'known; expected one of {KEYPOINT_CONVENTIONS}')
    return convention


def convert_coco_to_h36m(keypoints: np.ndarray,
                         convention: str = DEFAULT_CONVENTION) -> np.ndarray:
    """COCO-17 -> Human3.6M-17 in the named convention.

    Args:
        keypoints (np.ndarray): ``(..., 17, C)`` in COCO order.
        convention (str): one of :data:`KEYPOINT_CONVENTIONS`.

    Returns:
        np.ndarray: ``(..., 17, C)`` float32 in Human3.6M order.
    """
    if resolve_keypoint_convention(convention) == 'motionagformer-demo':
        return coco_to_h36m_motionagformer_demo(keypoints)
    return coco_to_h36m(keypoints)


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
