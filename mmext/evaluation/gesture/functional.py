# Copyright (c) mmext contributors. All rights reserved.
"""Gesture metrics as the field reports them (FGD, BC, L1 diversity) and
the physics metrics of docs/gesture/evaluation.md."""
import math
from typing import List, Optional, Sequence

import numpy as np
from scipy import linalg
from scipy.signal import argrelextrema

__all__ = [
    'frechet_distance', 'feature_frechet_distance', 'audio_onsets',
    'motion_beats', 'beat_consistency', 'l1_diversity', 'bone_length_error',
    'angle_violation_rate', 'jerk', 'joint_speed', 'speed_correlation',
    'speed_audio_correlation', 'mpjpe'
]


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6,
                     always_offset: bool = False) -> float:
    """``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2)`` with scipy's
    ``sqrtm``; ``eps * I`` is added to both covariances inside the square
    root when the product is singular (the FID/FGD convention), or always
    with ``always_offset`` (EMAGE's ``FGD.frechet_distance``,
    ``emage_evaltools/mertic.py:346-357`` at PantoMatrix c803115). The
    distance is >= 0; a rounding residue below 0 (identical sets give
    about -3e-14) is returned as 0."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f'frechet_distance: shapes differ: {mu1.shape} vs '
                         f'{mu2.shape}, {sigma1.shape} vs {sigma2.shape}')
    diff = mu1 - mu2
    covmean = None if always_offset else linalg.sqrtm(sigma1 @ sigma2)
    if covmean is None or not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    return max(
        0.,
        float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) -
              2 * np.trace(covmean)))


def feature_frechet_distance(a: np.ndarray, b: np.ndarray,
                             always_offset: bool = False) -> float:
    """Fréchet distance between the Gaussians fitted to feature sets
    ``(N, D)`` and ``(M, D)`` (``always_offset``: see
    :func:`frechet_distance`)."""
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError('FGD needs at least 2 samples per set, got '
                         f'{a.shape[0]} and {b.shape[0]}')
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0),
                            np.cov(b, rowvar=False),
                            always_offset=always_offset)


def audio_onsets(wave: np.ndarray, sr: int = 16000,
                 hop_length: int = 512) -> np.ndarray:
    """Onset times (s): ``librosa.onset.onset_detect(units='time')`` with
    EMAGE's hop length 512."""
    import librosa
    return librosa.onset.onset_detect(
        y=np.asarray(wave, np.float32), sr=sr, hop_length=hop_length,
        units='time')


def motion_beats(joints: np.ndarray, fps: float,
                 mean_speed: Optional[np.ndarray] = None,
                 threshold: float = 0.1, order: int = 7) -> List[np.ndarray]:
    """Motion beats per joint, as EMAGE's ``BC.load_motion``.

    Joint speed by finite differences (one-sided at the ends, central
    inside) divided by ``mean_speed`` (per joint; EMAGE loads a file of
    mean training-set velocities; if None, the maximum speed of this
    sequence is used, as EMAGE falls back to); beats are the frames that
    are local minima of the normalised speed (``argrelextrema``,
    ``order``) and whose speed exceeds ``threshold``.

    Returns:
        list[ndarray]: Frame indices per joint.
    """
    joints = np.asarray(joints, np.float64)
    dt = 1. / fps
    vel = np.empty_like(joints)
    vel[0] = (joints[1] - joints[0]) / dt
    vel[-1] = (joints[-1] - joints[-2]) / dt
    vel[1:-1] = (joints[2:] - joints[:-2]) / (2 * dt)
    speed = np.linalg.norm(vel, axis=-1)  # (T, J)
    norm = speed.max() if mean_speed is None else np.asarray(mean_speed)
    speed = speed / np.maximum(norm, 1e-12)
    beats = []
    for j in range(speed.shape[1]):
        minima = argrelextrema(speed[:, j], np.less, order=order)[0]
        beats.append(minima[speed[minima, j] > threshold])
    return beats


def beat_consistency(onsets: np.ndarray, beats: Sequence[np.ndarray],
                     fps: float, joints: Optional[Sequence[int]] = None,
                     sigma: float = 0.3) -> float:
    """EMAGE's BC of one sequence.

    For every selected joint with motion beats: the mean over audio
    onsets ``b`` of ``exp(-min_a |a - b|^2 / (2 sigma^2))``, ``a`` the
    joint's beat times; 0 for a joint without beats. Averaged over the
    selected joints. NaN when there are no onsets.
    """
    joints = range(len(beats)) if joints is None else joints
    if len(onsets) == 0:
        return float('nan')
    total = 0.
    for j in joints:
        if beats[j].size == 0:
            continue
        times = beats[j] / fps
        d = np.abs(np.asarray(onsets)[:, None] - times[None]).min(axis=1)
        total += float(np.mean(np.exp(-d**2 / (2 * sigma**2))))
    return total / len(joints)


def l1_diversity(samples: np.ndarray) -> float:
    """EMAGE's L1div: mean over rows of ``sum |x - mean(x)|`` (rows are
    flattened poses or sequences)."""
    x = np.asarray(samples, np.float64).reshape(len(samples), -1)
    return float(np.abs(x - x.mean(0)).sum() / x.shape[0])


def bone_length_error(joints: np.ndarray, bones, ref_lengths) -> float:
    """Mean ``|length - reference|`` over bones and frames (metres)."""
    c = [b[0] for b in bones]
    p = [b[1] for b in bones]
    lengths = np.linalg.norm(joints[..., c, :] - joints[..., p, :], axis=-1)
    return float(np.abs(lengths - np.asarray(ref_lengths)).mean())


def angle_violation_rate(joints: np.ndarray, triplets) -> float:
    """Fraction of (frame, joint) bend angles outside their limits;
    ``triplets`` as :meth:`Skeleton.bend_triplets`. NaN if empty."""
    if not triplets:
        return float('nan')
    g, p, j = ([t[k] for t in triplets] for k in range(3))
    lo = np.array([t[3] for t in triplets])
    hi = np.array([t[4] for t in triplets])
    u = joints[..., p, :] - joints[..., g, :]
    v = joints[..., j, :] - joints[..., p, :]
    cos = (u * v).sum(-1) / np.maximum(
        np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-12)
    theta = np.arccos(np.clip(cos, -1, 1))
    return float(((theta < lo - 1e-9) | (theta > hi + 1e-9)).mean())


def jerk(joints: np.ndarray, fps: float) -> float:
    """Mean norm of the third time derivative (m/s^3), frames on axis
    -3."""
    d3 = np.diff(np.asarray(joints, np.float64), n=3, axis=-3) * fps**3
    return float(np.linalg.norm(d3, axis=-1).mean()) if d3.size else math.nan


def _pearson(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    """Pearson r of two 1D series; 0 when either is constant (a still
    output has no correlation with anything)."""
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return float((a * b).sum()) / den if den > eps else 0.


def joint_speed(joints: np.ndarray, fps: float) -> np.ndarray:
    """``(T, J, 3) -> (T - 1, J)`` speed (m/s) by forward differences."""
    return np.linalg.norm(np.diff(joints, axis=-3), axis=-1) * fps


def speed_correlation(pred: np.ndarray, gt: np.ndarray, joints: Sequence[int],
                      start: int = 0) -> float:
    """Mean over windows and ``joints`` of the Pearson r between the
    predicted and the real speed series from frame ``start`` on.

    ``pred`` / ``gt``: ``(N, T, J, 3)``. A constant (e.g. still) series
    counts as r = 0.
    """
    rs = []
    for p, g in zip(pred, gt):
        sp = joint_speed(p[start:], 1.)
        sg = joint_speed(g[start:], 1.)
        rs += [_pearson(sp[:, j], sg[:, j]) for j in joints]
    return float(np.mean(rs)) if rs else float('nan')


def speed_audio_correlation(motion: np.ndarray, onset: np.ndarray,
                            joints: Sequence[int], start: int = 0) -> float:
    """Mean over windows of the Pearson r between the speed of ``joints``
    (summed) and the audio onset strength, frame by frame from ``start``
    on: a motion-audio measure that drops when the audio is shuffled.

    ``motion``: ``(N, T, J, 3)``; ``onset``: ``(N, T)`` (the speed of
    frame ``t`` is taken between ``t - 1`` and ``t``).
    """
    rs = []
    for m, o in zip(motion, onset):
        sp = joint_speed(m[start:], 1.)[:, list(joints)].sum(-1)
        rs.append(_pearson(sp, np.asarray(o[start + 1:], np.float64)))
    return float(np.mean(rs)) if rs else float('nan')


def mpjpe(pred: np.ndarray, gt: np.ndarray, start: int = 0) -> float:
    """Mean joint distance (m) over windows, joints and frames from
    ``start`` on (``start`` = seed frames: the error after the seed)."""
    return float(np.linalg.norm(pred[:, start:] - gt[:, start:],
                                axis=-1).mean())
