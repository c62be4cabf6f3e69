# Copyright (c) mmext contributors. All rights reserved.
"""Per-frame 3D pose errors (numpy). Shapes: pred, gt (N, K, 3); mask (N, K).

Each function returns one value per frame (the mean over its visible
joints), so callers can average per frame, per action or per sequence.
"""
from typing import Optional, Sequence

import numpy as np


def _mask(mask: Optional[np.ndarray], shape) -> np.ndarray:
    if mask is None:
        return np.ones(shape[:2], dtype=bool)
    mask = np.asarray(mask).astype(bool).reshape(shape[:2])
    return mask


def _masked_mean(err: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of ``err`` (N, K) over visible joints; NaN for empty frames."""
    cnt = mask.sum(-1)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(cnt > 0, (err * mask).sum(-1) / np.maximum(cnt, 1),
                        np.nan)


def _check(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.shape != gt.shape or pred.ndim != 3:
        raise ValueError(f'pose3d metric: pred shape {pred.shape} and gt '
                         f'shape {gt.shape} must be equal (N, K, C)')


def mpjpe(pred: np.ndarray, gt: np.ndarray,
          mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Mean per-joint position error of each frame (protocol 1)."""
    _check(pred, gt)
    return _masked_mean(np.linalg.norm(pred - gt, axis=-1),
                        _mask(mask, pred.shape))


def scale_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Least-squares scale per frame: ``s = <pred, gt> / <pred, pred>``."""
    num = np.einsum('nkc,nkc->n', pred, gt)
    den = np.einsum('nkc,nkc->n', pred, pred)
    s = np.where(den > 0, num / np.where(den > 0, den, 1.), 1.)
    return pred * s[:, None, None]


def n_mpjpe(pred: np.ndarray, gt: np.ndarray,
            mask: Optional[np.ndarray] = None) -> np.ndarray:
    """MPJPE after per-frame least-squares scale alignment (N-MPJPE)."""
    _check(pred, gt)
    return mpjpe(scale_align(pred, gt), gt, mask)


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Similarity (scale, rotation, translation) alignment of pred to gt.

    Least squares per frame (Umeyama / orthogonal Procrustes with a
    reflection fix), batched over frames.
    """
    mu_p = pred.mean(1, keepdims=True)
    mu_g = gt.mean(1, keepdims=True)
    p0, g0 = pred - mu_p, gt - mu_g
    # cross-covariance (N, C, C): sum_k p0_k^T g0_k
    H = np.einsum('nkc,nkd->ncd', p0, g0)
    U, S, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(np.einsum('nij,njk->nik', U, Vt)))
    D = np.ones_like(S)
    D[:, -1] = d
    # rotation applied as row vectors: p0 @ R, R = U diag(D) Vt
    R = np.einsum('nij,nj,njk->nik', U, D, Vt)
    var_p = (p0**2).sum((1, 2))
    scale = np.where(var_p > 0, (S * D).sum(-1) / np.where(
        var_p > 0, var_p, 1.), 1.)
    return scale[:, None, None] * np.einsum('nkc,ncd->nkd', p0, R) + mu_g


def p_mpjpe(pred: np.ndarray, gt: np.ndarray,
            mask: Optional[np.ndarray] = None) -> np.ndarray:
    """MPJPE after per-frame Procrustes alignment (P-MPJPE, protocol 2).

    Like mmpose's ``keypoint_mpjpe(..., 'procrustes')`` the alignment uses
    all joints and the mask only selects which errors are averaged.
    """
    _check(pred, gt)
    return mpjpe(procrustes_align(pred, gt), gt, mask)


def velocity_error(pred: np.ndarray, gt: np.ndarray,
                   mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Mean per-joint velocity error between consecutive frames (MPJVE).

    ``|| (pred[t] - pred[t-1]) - (gt[t] - gt[t-1]) ||`` averaged over joints
    (visible in both frames), one value for each frame ``t >= 1`` (N-1,),
    in the input's unit per frame.
    """
    _check(pred, gt)
    m = _mask(mask, pred.shape)
    err = np.linalg.norm(np.diff(pred, axis=0) - np.diff(gt, axis=0), axis=-1)
    return _masked_mean(err, m[1:] & m[:-1])


def pck_3d(dist: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Fraction of distances strictly below each threshold.

    Args:
        dist (np.ndarray): joint errors, any shape (flattened).
        thresholds (Sequence[float]): thresholds in the unit of ``dist``.

    Returns:
        np.ndarray: (len(thresholds),) PCK values in [0, 1].
    """
    dist = np.asarray(dist, np.float64).reshape(-1)
    if dist.size == 0:
        return np.full(len(thresholds), np.nan)
    return np.array([(dist < t).mean() for t in thresholds])
