# Copyright (c) mmext contributors. All rights reserved.
"""The gesture line's evaluator: FGD, BC, L1 diversity, physics."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmext.structures.skeleton import Skeleton
from mmext.registry import METRICS
from . import functional as F

__all__ = ['GestureMetric', 'MotionAEMetric', 'default_bc_joints']


def default_bc_joints(skeleton: Skeleton) -> List[int]:
    """Upper-body, non-finger joints (EMAGE uses the SMPL-X spine, neck,
    head, collars, shoulders, elbows and wrists)."""
    lower = ('Leg', 'Foot', 'Toe', 'Hips', 'hip', 'knee', 'ankle', 'foot',
             'pelvis')
    hands = set(skeleton.hand_indices)
    return [
        j for j, n in enumerate(skeleton.names)
        if j not in hands and not any(s in n for s in lower)
    ]


@METRICS.register_module()
class GestureMetric(BaseMetric):
    """Evaluate generated gestures against the test windows.

    Reported keys (``gesture/`` prefix): ``FGD`` (needs
    ``fgd_checkpoint``), ``BC`` and ``BC_gt`` (EMAGE's beat consistency of
    the generated and the real motion), ``L1div`` and ``L1div_gt``,
    ``bone_err`` (m, against the real window's mean bone lengths),
    ``angle_viol_body`` / ``angle_viol_hands`` (fraction of bend angles
    outside the skeleton's limits) and ``jerk`` / ``jerk_gt`` (m/s^3).

    Protocol (see docs/gesture/evaluation.md): windows are root-relative;
    FGD features are the time-averaged latents of the autoencoder trained
    by ``configs/gesture/motion-ae_*`` on the same data's train split; BC
    normalises speeds by the per-joint mean speed of the real test
    windows (EMAGE normalises by a file of mean training velocities).

    Args:
        skeleton (str | dict): ``skeleton.json`` path or dict.
        fps (float): Motion frame rate.
        sr (int): Audio rate. Defaults to 16000.
        fgd_checkpoint (str, optional): Autoencoder checkpoint.
        fgd_autoencoder (dict, optional): Its ``MotionAutoencoder`` kwargs
            (``num_joints`` is filled from the skeleton).
        bc_joints (Sequence[str], optional): Joint names for BC. Defaults
            to :func:`default_bc_joints`.
        bc_sigma (float): Defaults to 0.3.
    """

    default_prefix = 'gesture'

    def __init__(self,
                 skeleton,
                 fps: float,
                 sr: int = 16000,
                 fgd_checkpoint: Optional[str] = None,
                 fgd_autoencoder: Optional[dict] = None,
                 bc_joints: Optional[Sequence[str]] = None,
                 bc_sigma: float = 0.3,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.skeleton = Skeleton.load(skeleton)
        self.fps = fps
        self.sr = sr
        self.fgd_checkpoint = fgd_checkpoint
        self.fgd_autoencoder = dict(fgd_autoencoder or {})
        if bc_joints is None:
            self.bc_joints = default_bc_joints(self.skeleton)
        else:
            unknown = [n for n in bc_joints if n not in self.skeleton.names]
            if unknown:
                raise ValueError(f'GestureMetric: bc_joints {unknown} not in '
                                 'the skeleton')
            self.bc_joints = [self.skeleton.names.index(n) for n in bc_joints]
        self.bc_sigma = bc_sigma
        self._ae = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            self.results.append(
                dict(
                    pred=np.asarray(s['pred_motion'], np.float32),
                    gt=np.asarray(s['motion'], np.float32),
                    wave=np.asarray(s['wave'], np.float32)))

    def _autoencoder(self):
        if self._ae is None:
            from mmext.models.gesture.motion_ae import load_motion_autoencoder
            kw = dict(self.fgd_autoencoder)
            kw.setdefault('num_joints', self.skeleton.num_joints)
            self._ae = load_motion_autoencoder(self.fgd_checkpoint, **kw)
        return self._ae

    def fgd(self, pred: np.ndarray, gt: np.ndarray) -> float:
        ae = self._autoencoder()
        with torch.no_grad():
            fp = ae.features(torch.from_numpy(pred)).numpy().astype(
                np.float64)
            fg = ae.features(torch.from_numpy(gt)).numpy().astype(np.float64)
        return F.feature_frechet_distance(fp, fg)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        return self.evaluate_arrays(
            np.stack([r['pred'] for r in results]),
            np.stack([r['gt'] for r in results]),
            [r['wave'] for r in results])

    def evaluate_arrays(self, pred: np.ndarray, gt: np.ndarray,
                        waves: Sequence[np.ndarray]) -> Dict[str, float]:
        """All metrics for windows ``pred``/``gt`` ``(N, T, J, 3)``."""
        sk = self.skeleton
        out = {}
        if self.fgd_checkpoint:
            out['FGD'] = self.fgd(pred, gt)
        speed = np.linalg.norm(np.diff(gt, axis=1), axis=-1) * self.fps
        mean_speed = speed.mean(axis=(0, 1))
        bc, bc_gt = [], []
        for p, g, w in zip(pred, gt, waves):
            onsets = F.audio_onsets(w, self.sr)
            if len(onsets) == 0:
                continue
            for motion, acc in ((p, bc), (g, bc_gt)):
                beats = F.motion_beats(motion, self.fps, mean_speed)
                acc.append(
                    F.beat_consistency(onsets, beats, self.fps,
                                       self.bc_joints, self.bc_sigma))
        out['BC'] = float(np.mean(bc)) if bc else float('nan')
        out['BC_gt'] = float(np.mean(bc_gt)) if bc_gt else float('nan')
        out['L1div'] = F.l1_diversity(pred.reshape(-1, pred.shape[-2] * 3))
        out['L1div_gt'] = F.l1_diversity(gt.reshape(-1, gt.shape[-2] * 3))
        ref = np.stack([sk.bone_lengths(g).mean(0) for g in gt])[:, None]
        out['bone_err'] = F.bone_length_error(pred, sk.bones, ref)
        trip = sk.bend_triplets()
        hands = set(sk.hand_indices)
        out['angle_viol_body'] = F.angle_violation_rate(
            pred, [t for t in trip if t[2] not in hands])
        out['angle_viol_hands'] = F.angle_violation_rate(
            pred, [t for t in trip if t[2] in hands])
        out['jerk'] = F.jerk(pred, self.fps)
        out['jerk_gt'] = F.jerk(gt, self.fps)
        return out


@METRICS.register_module()
class MotionAEMetric(BaseMetric):
    """Reconstruction error (mean joint distance, m) of the FGD
    autoencoder; reported as ``motion_ae/mpjpe``."""

    default_prefix = 'motion_ae'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.results += [s['ae_mpjpe'] for s in data_samples]

    def compute_metrics(self, results: list) -> Dict[str, float]:
        return dict(mpjpe=float(np.mean(results)))
