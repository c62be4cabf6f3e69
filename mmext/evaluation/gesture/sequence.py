# Copyright (c) mmext contributors. All rights reserved.
"""Whole-sequence evaluation, as EMAGE evaluates BEAT2: each test
sequence generated autoregressively from its first seed only."""
from typing import Dict, List, Optional, Sequence

import numpy as np

from . import functional as F
from .gesture_metric import GestureMetric

__all__ = ['sequence_clips', 'evaluate_sequences']


def sequence_clips(dataset) -> List[dict]:
    """The clips of a :class:`GestureDataset` as whole sequences:
    ``joints`` (root-relative to the first frame), ``feats``, ``wave``,
    ``onset``, ``id`` and ``smplx_poses`` (the captured SMPL-X rotations of
    a BEAT2 clip, or None)."""
    out = []
    for c in dataset.clips:
        j = c['joints'] - c['joints'][:1, :1]
        out.append(dict(id=c['id'], joints=j.astype(np.float32),
                        feats=c['feats'], wave=c['audio'],
                        onset=c['feats'][:, -1],
                        smplx_poses=c.get('smplx_poses')))
    return out


def _bc_cropped(metric: GestureMetric, motion: np.ndarray,
                wave: np.ndarray, mean_speed: np.ndarray,
                skip_s: float) -> float:
    """BC of one sequence without its first and last ``skip_s`` seconds
    (motion and audio cropped alike)."""
    fps, sr = metric.fps, metric.sr
    k = int(round(skip_s * fps))
    if motion.shape[0] <= 2 * k + 2:
        return float('nan')
    m = motion[k:motion.shape[0] - k]
    a0 = int(round(k / fps * sr))
    w = wave[a0:a0 + int(round(m.shape[0] / fps * sr))]
    onsets = metric._onsets(w)
    if len(onsets) == 0:
        return float('nan')
    beats = F.motion_beats(m, fps, mean_speed)
    return F.beat_consistency(onsets, beats, fps, metric.bc_joints,
                              metric.bc_sigma)


def evaluate_sequences(generator, clips: Sequence[dict],
                       metric: GestureMetric, window: int,
                       skip_s: float = 2.0,
                       baselines: bool = True,
                       emage_fgd_checkpoint: Optional[str] = None,
                       smplx_model: Optional[str] = None
                       ) -> Dict[str, float]:
    """Generate every clip whole from its first ``metric.seed_frames``
    real frames (:func:`~mmext.apis.gesture_inference.generate_sequence`)
    and evaluate it as a sequence.

    Keys: ``FGD`` (latent frames of all sequences), ``BC`` / ``BC_gt``
    (per sequence, first and last ``skip_s`` s skipped, mean over
    sequences), ``L1div`` / ``L1div_gt`` (EMAGE's L1 diversity within each
    sequence, mean over sequences), ``mpjpe`` (after the seed),
    ``wrist_speed_r`` and ``frames`` (evaluated frames); with
    ``baselines``, the same for ``hold-seed``, ``mean-pose`` (the first
    seed's last pose / the real sequences' mean pose held) and
    ``ground-truth``. With ``emage_fgd_checkpoint`` (the user's EMAGE
    ``AESKConv_240_100.bin``) and ``smplx_model`` (their
    ``SMPLX_NEUTRAL_2020.npz``), also ``emage_FGD``
    (:func:`~mmext.evaluation.gesture.emage_fgd.emage_fgd_from_joints`;
    SMPL-X skeletons at 30 fps only). Its real side is the clips'
    captured rotations (``smplx_poses``, kept by the BEAT2 converter) when
    every clip has them, as EMAGE compares against BEAT2's poses
    (``emage_FGD_captured`` = 1; the ``ground-truth`` row then measures
    what the inverse kinematics of real positions loses); otherwise the
    inverse kinematics of the real positions (``emage_FGD_captured`` = 0).
    """
    emage = None
    if emage_fgd_checkpoint or smplx_model:
        if not (emage_fgd_checkpoint and smplx_model):
            raise ValueError('evaluate_sequences: emage_FGD needs both '
                             'emage_fgd_checkpoint and smplx_model')
        from mmext.models.gesture.emage_fgd import load_emage_fgd_encoder
        captured = [c.get('smplx_poses') for c in clips]
        emage = (load_emage_fgd_encoder(emage_fgd_checkpoint), smplx_model,
                 None if any(p is None for p in captured) else captured)
    from mmext.apis.gesture_inference import generate_sequence
    s = metric.seed_frames
    preds, gts, waves = [], [], []
    for c in clips:
        pred = generate_sequence(generator, c['feats'], c['joints'][:s],
                                 window)
        preds.append(pred)
        gts.append(c['joints'][:len(pred)])
        waves.append(c['wave'])
    out = _sequence_metrics(metric, preds, gts, waves, skip_s, emage)
    if baselines:
        mean_pose = np.concatenate(gts).mean(0)
        for name, arrs in (
                ('hold-seed', [np.concatenate(
                    [g[:s], np.repeat(g[s - 1:s], len(g) - s, 0)])
                    for g in gts]),
                ('mean-pose', [np.broadcast_to(mean_pose, g.shape)
                               for g in gts]),
                ('ground-truth', gts)):
            res = _sequence_metrics(metric, arrs, gts, waves, skip_s,
                                    emage)
            out.update({f'{name}/{k}': v for k, v in res.items()
                        if not k.endswith('_gt') and k != 'frames'})
    return out


def _sequence_metrics(metric, preds, gts, waves, skip_s, emage=None):
    s = metric.seed_frames
    out = {}
    if emage is not None:
        from .emage_fgd import emage_fgd_from_joints
        encoder, smplx_model, real_poses = emage
        out['emage_FGD'] = emage_fgd_from_joints(
            preds, gts, encoder, smplx_model, fps=metric.fps,
            real_poses=real_poses)
        out['emage_FGD_captured'] = float(real_poses is not None)
    if metric.fgd_checkpoint:
        if not metric._ae_checked:
            metric.check_autoencoder(gts)
        fp = np.concatenate([metric.features(p[None]) for p in preds])
        fg = np.concatenate([metric.features(g[None]) for g in gts])
        out['FGD'] = F.feature_frechet_distance(fp, fg)
    speed = np.concatenate(
        [np.linalg.norm(np.diff(g, axis=0), axis=-1) for g in gts]) * \
        metric.fps
    mean_speed = metric.bc_norm(speed.mean(0))
    for key, arrs in (('BC', preds), ('BC_gt', gts)):
        vals = [_bc_cropped(metric, m, w, mean_speed, skip_s)
                for m, w in zip(arrs, waves)]
        vals = [v for v in vals if not np.isnan(v)]
        out[key] = float(np.mean(vals)) if vals else float('nan')
    for key, arrs in (('L1div', preds), ('L1div_gt', gts)):
        out[key] = float(np.mean([
            F.l1_diversity(np.asarray(m).reshape(len(m), -1))
            for m in arrs]))
    out['mpjpe'] = float(np.mean(np.concatenate([
        np.linalg.norm(p[s:] - g[s:], axis=-1).ravel()
        for p, g in zip(preds, gts)])))
    if metric.wrist_joints:
        out['wrist_speed_r'] = float(np.mean([
            F.speed_correlation(p[None], g[None], metric.wrist_joints, s)
            for p, g in zip(preds, gts)]))
    out['frames'] = int(sum(len(p) for p in preds))
    return out
