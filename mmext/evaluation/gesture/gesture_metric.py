# Copyright (c) mmext contributors. All rights reserved.
"""The gesture line's evaluator: FGD, BC, L1 diversity, physics."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmext.registry import METRICS
from mmext.structures.skeleton import Skeleton
from . import functional as F

__all__ = [
    'GestureMetric', 'MotionAEMetric', 'default_bc_joints',
    'default_wrist_joints', 'hold_seed', 'BASELINES'
]


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


_WRIST_NAMES = ('RHand', 'LHand', 'right_wrist', 'left_wrist', 'RightHand',
                'LeftHand')

#: Baselines every GestureMetric table reports beside the model.
BASELINES = ('hold-seed', 'mean-pose', 'random-clip', 'mismatched-audio')


def default_wrist_joints(skeleton: Skeleton) -> List[int]:
    """The wrists (BEAT ``RHand`` / ``LHand``, SMPL-X ``*_wrist``)."""
    return [j for j, n in enumerate(skeleton.names) if n in _WRIST_NAMES]


def hold_seed(gt: np.ndarray, seed_frames: int) -> np.ndarray:
    """The seed frames, then the last seed pose held still."""
    out = np.repeat(gt[:, seed_frames - 1:seed_frames], gt.shape[1], axis=1)
    out[:, :seed_frames] = gt[:, :seed_frames]
    return out


@METRICS.register_module()
class GestureMetric(BaseMetric):
    """Evaluate generated gestures against the test windows, beside the
    trivial baselines.

    Reported keys (``gesture/`` prefix): ``FGD`` (needs
    ``fgd_checkpoint``), ``BC`` and ``BC_gt`` (EMAGE's beat consistency of
    the generated and the real motion), ``L1div`` and ``L1div_gt``,
    ``mpjpe`` (m, joint error after the seed frames), ``wrist_speed_r``
    (Pearson r of the wrist speed with the real wrist speed, after the
    seed), ``wrist_speed_ratio`` (mean wrist speed over the real one),
    ``wrist_onset_r`` / ``wrist_onset_r_gt`` (r of the wrist speed with
    the audio onset strength), ``bone_err`` (m, against the real
    window's mean bone lengths), ``angle_viol_body`` /
    ``angle_viol_hands`` (fraction of bend angles outside the skeleton's
    limits) and ``jerk`` / ``jerk_gt`` (m/s^3).

    With ``baselines=True`` the same keys are reported for the baselines
    of :data:`BASELINES` as ``<baseline>/<key>``: ``hold-seed`` (the seed,
    then its last pose held), ``mean-pose`` (the mean pose of the real
    test windows held still: an oracle that favours the baseline),
    ``random-clip`` (real windows drawn with replacement, a bootstrap
    draw; its ``FGD`` is the mean over ``noise_draws`` draws) and
    ``mismatched-audio`` (the real motion of another window, each
    window's own audio). The noise: ``FGD_noise`` is the standard
    deviation of ``random-clip`` FGD over the draws, and ``<key>_std``
    the bootstrap standard deviation over windows of the model's
    ``FGD``, ``mpjpe`` and ``wrist_speed_r``.

    Protocol (see docs/gesture/evaluation.md): windows are root-relative;
    FGD features are the autoencoder's latent *frames* (``fgd_level=
    'frame'``; ``'window'`` averages each window's latents over time, the
    old protocol); the autoencoder must reconstruct the real windows at
    least ``fgd_min_gain`` times better than each window's mean pose held
    still, checked when the metric first uses it; BC normalises speeds by
    the per-joint mean speed of the real test windows (EMAGE normalises by
    a file of mean training velocities).

    Args:
        skeleton (str | dict): ``skeleton.json`` path or dict.
        fps (float): Motion frame rate.
        sr (int): Audio rate. Defaults to 16000.
        seed_frames (int): Seed frames of a window (excluded from
            ``mpjpe`` and the speed correlations). Defaults to 4.
        fgd_checkpoint (str, optional): Autoencoder checkpoint.
        fgd_autoencoder (dict, optional): Its ``MotionAutoencoder`` kwargs
            (``num_joints`` is filled from the skeleton).
        fgd_level (str): ``'frame'`` or ``'window'``. Defaults to
            ``'frame'``.
        fgd_min_gain (float): Quality gate of the autoencoder; 0 disables
            it. Defaults to 2.
        bc_joints (Sequence[str], optional): Joint names for BC. Defaults
            to :func:`default_bc_joints`.
        bc_sigma (float): Defaults to 0.3.
        bc_mean_speed (str, optional): A ``.npy`` of per-joint speeds
            (``(J,)``, in the motion's units per second) that BC divides
            joint speeds by instead of the real windows' mean speed:
            EMAGE's ``mean_vel_smplxflame_30.npy`` (55 SMPL-X joints,
            30 fps; ``emage_evaltools/mertic.py:130, 170-171`` at
            PantoMatrix c803115) for its normalisation. Defaults to None.
        wrist_joints (Sequence[str], optional): Defaults to
            :func:`default_wrist_joints`.
        baselines (bool): Report the baselines. Defaults to True.
        noise_draws (int): Random-clip draws and bootstrap resamples.
            Defaults to 20.
        noise_seed (int): Defaults to 0.
    """

    default_prefix = 'gesture'

    def __init__(self,
                 skeleton,
                 fps: float,
                 sr: int = 16000,
                 seed_frames: int = 4,
                 fgd_checkpoint: Optional[str] = None,
                 fgd_autoencoder: Optional[dict] = None,
                 fgd_level: str = 'frame',
                 fgd_min_gain: float = 2.0,
                 bc_joints: Optional[Sequence[str]] = None,
                 bc_sigma: float = 0.3,
                 bc_mean_speed: Optional[str] = None,
                 wrist_joints: Optional[Sequence[str]] = None,
                 baselines: bool = True,
                 noise_draws: int = 20,
                 noise_seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.skeleton = Skeleton.load(skeleton)
        self.fps = fps
        self.sr = sr
        self.seed_frames = int(seed_frames)
        self.fgd_checkpoint = fgd_checkpoint
        self.fgd_autoencoder = dict(fgd_autoencoder or {})
        if fgd_level not in ('frame', 'window'):
            raise ValueError("GestureMetric: fgd_level must be 'frame' or "
                             f"'window', got {fgd_level!r}")
        self.fgd_level = fgd_level
        self.fgd_min_gain = float(fgd_min_gain)
        self.bc_joints = self._indices(bc_joints, 'bc_joints',
                                       default_bc_joints)
        self.wrist_joints = self._indices(wrist_joints, 'wrist_joints',
                                          default_wrist_joints)
        self.bc_sigma = bc_sigma
        self.bc_mean_speed = None if bc_mean_speed is None else \
            self._load_mean_speed(bc_mean_speed)
        self.baselines = baselines
        self.noise_draws = int(noise_draws)
        self.noise_seed = noise_seed
        self._ae = None
        self._ae_checked = False
        self._onset_cache = {}

    def _indices(self, names, arg, default):
        if names is None:
            return default(self.skeleton)
        unknown = [n for n in names if n not in self.skeleton.names]
        if unknown:
            raise ValueError(f'GestureMetric: {arg} {unknown} not in the '
                             'skeleton')
        return [self.skeleton.names.index(n) for n in names]

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            onset = s.get('onset')
            self.results.append(
                dict(
                    pred=np.asarray(s['pred_motion'], np.float32),
                    gt=np.asarray(s['motion'], np.float32),
                    wave=np.asarray(s['wave'], np.float32),
                    onset=None if onset is None else np.asarray(
                        onset, np.float32)))

    # -- FGD ---------------------------------------------------------------
    def _autoencoder(self):
        if self._ae is None:
            from mmext.models.gesture.motion_ae import load_motion_autoencoder
            kw = dict(self.fgd_autoencoder)
            kw.setdefault('num_joints', self.skeleton.num_joints)
            self._ae = load_motion_autoencoder(self.fgd_checkpoint, **kw)
        return self._ae

    def check_autoencoder(self, gt: np.ndarray) -> Dict[str, float]:
        """The FGD autoencoder's quality gate on the real windows ``gt``.

        Its reconstruction error (mean joint distance, m) must be at most
        ``1 / fgd_min_gain`` of the error of each window's own mean pose
        held still; otherwise a ValueError names the checkpoint and both
        errors. An autoencoder that cannot tell motion from its average
        pose makes FGD blind to motion (a still output scores as well as a
        moving one).

        Returns:
            dict: ``ae_err`` and ``mean_pose_err`` (m).
        """
        ae = self._autoencoder()
        errs, mean_errs = [], []
        for g in gt:  # windows (N, T, J, 3) or a list of sequences
            x = torch.from_numpy(np.ascontiguousarray(g[None], np.float32))
            with torch.no_grad():
                rec = ae(data_samples=dict(motion=x), mode='tensor')[0]
            ref = np.asarray(g[:rec.shape[0]], np.float64)
            errs.append(np.linalg.norm(rec.numpy() - ref, axis=-1).ravel())
            mean_errs.append(np.linalg.norm(
                ref.mean(axis=0, keepdims=True) - ref, axis=-1).ravel())
        ae_err = float(np.concatenate(errs).mean())
        mean_err = float(np.concatenate(mean_errs).mean())
        if self.fgd_min_gain > 0 and ae_err * self.fgd_min_gain > mean_err:
            raise ValueError(
                f'{self.fgd_checkpoint}: the FGD autoencoder reconstructs '
                f'the real test windows with {ae_err:.4g} m mean joint error,'
                f' each window\'s mean pose held still gives {mean_err:.4g} '
                f'm; FGD needs an autoencoder at least {self.fgd_min_gain:g}x'
                ' better than the mean pose (train it longer with '
                'configs/gesture/motion-ae_*, or set the evaluator\'s '
                'fgd_min_gain; docs/gesture/evaluation.md)')
        self._ae_checked = True
        return dict(ae_err=ae_err, mean_pose_err=mean_err)

    def features(self, motion: np.ndarray) -> np.ndarray:
        """FGD features: ``(N * T', C)`` latent frames, or ``(N, C)``
        time-averaged latents (``fgd_level='window'``)."""
        ae = self._autoencoder()
        with torch.no_grad():
            z = ae.encode(torch.from_numpy(
                np.ascontiguousarray(motion, np.float32))).numpy()
        if self.fgd_level == 'window':
            return z.mean(-1).astype(np.float64)
        return z.transpose(0, 2, 1).reshape(-1, z.shape[1]).astype(
            np.float64)

    def fgd(self, pred: np.ndarray, gt: np.ndarray) -> float:
        if not self._ae_checked:
            self.check_autoencoder(gt)
        return F.feature_frechet_distance(self.features(pred),
                                          self.features(gt))

    # -- metrics -----------------------------------------------------------
    def compute_metrics(self, results: list) -> Dict[str, float]:
        onsets = [r['onset'] for r in results]
        return self.evaluate_arrays(
            np.stack([r['pred'] for r in results]),
            np.stack([r['gt'] for r in results]),
            [r['wave'] for r in results],
            None if any(o is None for o in onsets) else np.stack(onsets))

    def evaluate_arrays(self,
                        pred: np.ndarray,
                        gt: np.ndarray,
                        waves: Sequence[np.ndarray],
                        onset: Optional[np.ndarray] = None,
                        baselines: Optional[bool] = None
                        ) -> Dict[str, float]:
        """All metrics for windows ``pred``/``gt`` ``(N, T, J, 3)``, their
        waveforms and (for ``wrist_onset_r``) onset strengths ``(N, T)``;
        with the baselines and the noise unless ``baselines=False``."""
        baselines = self.baselines if baselines is None else baselines
        beats_cache = {}
        out = self._evaluate(pred, gt, waves, onset, beats_cache)
        if not baselines:
            return out
        rng = np.random.default_rng(self.noise_seed)
        n = len(gt)
        if n < 2:
            return out
        draws = [rng.integers(0, n, n) for _ in range(self.noise_draws)]
        s = self.seed_frames
        rows = {
            'hold-seed': hold_seed(gt, s),
            'mean-pose': np.broadcast_to(
                gt.mean(axis=(0, 1), keepdims=True), gt.shape).copy(),
            'random-clip': gt[draws[0]],
            'mismatched-audio': np.roll(gt, n // 2, axis=0),
        }
        for name, arr in rows.items():
            res = self._evaluate(arr, gt, waves, onset, beats_cache)
            out.update({f'{name}/{k}': v for k, v in res.items()
                        if not k.endswith('_gt')})
        if self.fgd_checkpoint:
            fgds = [self.fgd(gt[d], gt) for d in draws]
            out['random-clip/FGD'] = float(np.mean(fgds))
            out['FGD_noise'] = float(np.std(fgds))
            out['FGD_std'] = float(np.std(
                [self.fgd(pred[d], gt[d]) for d in draws]))
        out['mpjpe_std'] = float(np.std(
            [F.mpjpe(pred[d], gt[d], s) for d in draws]))
        if self.wrist_joints:
            out['wrist_speed_r_std'] = float(np.std([
                F.speed_correlation(pred[d], gt[d], self.wrist_joints, s)
                for d in draws]))
        return out

    def _onsets(self, wave: np.ndarray) -> np.ndarray:
        """Audio onsets of a waveform, cached by its content (baseline
        rows and bootstrap draws reuse the same waveforms)."""
        import hashlib
        w = np.ascontiguousarray(wave, np.float32)
        key = hashlib.sha1(w.tobytes()).hexdigest()
        if key not in self._onset_cache:
            self._onset_cache[key] = F.audio_onsets(w, self.sr)
        return self._onset_cache[key]

    def _load_mean_speed(self, path: str) -> np.ndarray:
        from mmext.fileio import load_npy
        arr = np.asarray(load_npy(path, 'bc_mean_speed'), np.float64)
        j = len(self.skeleton.names)
        if arr.shape not in ((j, ), (1, j)):
            raise ValueError(f'bc_mean_speed {path}: shape {arr.shape}, '
                             f'expected ({j},), one speed per joint of the '
                             'skeleton (EMAGE\'s mean_vel_smplxflame_30.npy '
                             'has 55, for SMPL-X)')
        arr = arr.reshape(j)
        if not (np.isfinite(arr).all() and (arr > 0).all()):
            raise ValueError(f'bc_mean_speed {path}: speeds must be finite '
                             'and > 0')
        return arr

    def bc_norm(self, real_mean_speed: np.ndarray) -> np.ndarray:
        """What BC divides joint speeds by: ``bc_mean_speed`` if given,
        else ``real_mean_speed`` (the real motion's per-joint mean)."""
        return real_mean_speed if self.bc_mean_speed is None else \
            self.bc_mean_speed

    def _bc(self, motion, waves, mean_speed, cache):
        vals = []
        for m, w in zip(motion, waves):
            onsets = self._onsets(w)
            if len(onsets) == 0:
                continue
            beats = F.motion_beats(m, self.fps, mean_speed)
            vals.append(F.beat_consistency(onsets, beats, self.fps,
                                           self.bc_joints, self.bc_sigma))
        return float(np.mean(vals)) if vals else float('nan')

    def _evaluate(self, pred, gt, waves, onset, cache) -> Dict[str, float]:
        sk = self.skeleton
        s = self.seed_frames
        out = {}
        if self.fgd_checkpoint:
            out['FGD'] = self.fgd(pred, gt)
        speed = np.linalg.norm(np.diff(gt, axis=1), axis=-1) * self.fps
        mean_speed = self.bc_norm(speed.mean(axis=(0, 1)))
        out['BC'] = self._bc(pred, waves, mean_speed, cache)
        if 'BC_gt' not in cache:
            cache['BC_gt'] = self._bc(gt, waves, mean_speed, cache)
        out['BC_gt'] = cache['BC_gt']
        out['L1div'] = F.l1_diversity(pred.reshape(-1, pred.shape[-2] * 3))
        out['L1div_gt'] = F.l1_diversity(gt.reshape(-1, gt.shape[-2] * 3))
        out['mpjpe'] = F.mpjpe(pred, gt, s)
        if self.wrist_joints:
            out['wrist_speed_r'] = F.speed_correlation(
                pred, gt, self.wrist_joints, s)
            w = self.wrist_joints
            out['wrist_speed_ratio'] = float(
                F.joint_speed(pred[:, s:], 1.)[..., w].mean() /
                max(F.joint_speed(gt[:, s:], 1.)[..., w].mean(), 1e-12))
            if onset is not None:
                out['wrist_onset_r'] = F.speed_audio_correlation(
                    pred, onset, self.wrist_joints, s)
                out['wrist_onset_r_gt'] = F.speed_audio_correlation(
                    gt, onset, self.wrist_joints, s)
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
