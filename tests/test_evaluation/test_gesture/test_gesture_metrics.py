# Copyright (c) mmext contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from scipy import linalg

from mmext.datasets.gesture import Skeleton
from mmext.evaluation.gesture import GestureMetric
from mmext.evaluation.gesture import functional as F
from mmext.models.gesture import MotionAutoencoder


def test_frechet_distance_known_gaussians():
    # diagonal Gaussians: closed form sum (sqrt(s1) - sqrt(s2))^2 + |dmu|^2
    mu1, mu2 = np.array([0., 1., 2.]), np.array([1., 1., 0.])
    s1, s2 = np.array([1., 4., 9.]), np.array([4., 1., 1.])
    expected = 1 + 0 + 4 + ((1 - 2)**2 + (2 - 1)**2 + (3 - 1)**2)
    assert F.frechet_distance(mu1, np.diag(s1), mu2,
                              np.diag(s2)) == pytest.approx(expected)
    # full covariances vs scipy's sqrtm written out directly
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    c1, c2 = a @ a.T + np.eye(4), b @ b.T + np.eye(4)
    m1, m2 = rng.standard_normal(4), rng.standard_normal(4)
    ref = (np.sum((m1 - m2)**2) + np.trace(c1) + np.trace(c2) -
           2 * np.trace(np.real(linalg.sqrtm(c1 @ c2))))
    assert F.frechet_distance(m1, c1, m2, c2) == pytest.approx(ref)
    # and vs the eigenvalues of c1 c2 (Tr sqrt = sum sqrt(eig))
    eig = np.linalg.eigvals(c1 @ c2).real
    ref2 = (np.sum((m1 - m2)**2) + np.trace(c1) + np.trace(c2) -
            2 * np.sqrt(eig).sum())
    assert F.frechet_distance(m1, c1, m2, c2) == pytest.approx(ref2)
    # identical Gaussians: 0 up to rounding, never a residue below 0
    # (the raw formula is negative for some of these)
    raw = []
    for _ in range(20):
        a = rng.standard_normal((6, 6))
        c = a @ a.T + np.eye(6)
        raw.append(2 * np.trace(c) - 2 * np.trace(
            np.real(linalg.sqrtm(c @ c))))
        assert 0. <= F.frechet_distance(m1[:1].repeat(6), c,
                                        m1[:1].repeat(6), c) < 1e-9
    assert min(raw) < 0
    # from samples of two known Gaussians
    x = rng.multivariate_normal(m1, c1, size=20000)
    y = rng.multivariate_normal(m2, c2, size=20000)
    assert F.feature_frechet_distance(x, y) == pytest.approx(ref, rel=0.05)
    with pytest.raises(ValueError, match='at least 2 samples'):
        F.feature_frechet_distance(x[:1], y)


def test_motion_beats_and_bc_hand_made():
    fps = 30.
    t = np.arange(90) / fps
    # speed 1.5 - cos(2 pi t): minima (0.5 / 2.5 = 0.2 > 0.1) at t = 1, 2 s
    x = 1.5 * t - np.sin(2 * np.pi * t) / (2 * np.pi)
    joints = np.zeros((90, 2, 3))
    joints[:, 0, 0] = x
    joints[:, 1, 0] = 0.01 * t  # constant speed: no strict minima
    beats = F.motion_beats(joints, fps)
    assert beats[0].tolist() == [30, 60]
    assert beats[1].size == 0
    # BC by hand: onsets at 1.0 s and 2.0 s coincide with joint 0's beats
    # (score 1); joint 1 has none (score 0) -> (1 + 0) / 2
    assert F.beat_consistency(np.array([1., 2.]), beats, fps,
                              sigma=0.3) == pytest.approx(0.5)
    # an onset 0.5 s from the nearest beat scores exp(-0.25 / 0.18)
    got = F.beat_consistency(np.array([1.5]), [np.array([30])], fps,
                             sigma=0.3)
    assert got == pytest.approx(math.exp(-0.25 / (2 * 0.09)))
    assert math.isnan(F.beat_consistency(np.array([]), beats, fps))


def test_l1_diversity_jerk_angles_bones():
    assert F.l1_diversity(np.array([[0.], [2.]])) == 1.0
    assert F.l1_diversity(np.array([[0., 0], [2, 4], [4, 2]])) == \
        pytest.approx((4 + 2 + 2) / 3)
    x = (np.arange(6.)**3)[:, None, None] * np.array([1., 0, 0])
    assert F.jerk(x, fps=1.) == pytest.approx(6.)
    assert F.jerk(x, fps=2.) == pytest.approx(48.)
    chain = np.array([[[0., 0, 0], [1, 0, 0], [2, 0, 0], [2, 1, 0]]])
    trip = [(0, 1, 2, math.radians(10), math.radians(90)),
            (1, 2, 3, 0., math.radians(60))]
    # straight joint 2 (< 10 deg) violates, joint 3 bent 90 (> 60) violates
    assert F.angle_violation_rate(chain, trip) == 1.0
    trip[1] = (1, 2, 3, 0., math.radians(95))
    assert F.angle_violation_rate(chain, trip) == 0.5
    bones = [(1, 0), (2, 1), (3, 2)]
    assert F.bone_length_error(chain, bones, [1., 1., 2.]) == \
        pytest.approx(1 / 3)


def test_gesture_metric_end_to_end(tmp_path):
    names = ['Hips', 'Spine', 'Neck', 'RArm', 'RArm1', 'RHand', 'RHandI1',
             'RHandI2']
    sk = Skeleton(names, [-1, 0, 1, 1, 3, 4, 5, 6])
    torch.manual_seed(0)
    ae = MotionAutoencoder(num_joints=8, hidden_dims=16, latent_dims=4)
    ckpt = str(tmp_path / 'ae.pth')
    torch.save(dict(state_dict=ae.state_dict()), ckpt)
    metric = GestureMetric(sk.to_dict(), fps=15., fgd_checkpoint=ckpt,
                           fgd_autoencoder=dict(hidden_dims=16,
                                                latent_dims=4))
    rng = np.random.default_rng(0)
    gt = rng.standard_normal((6, 16, 8, 3)).astype(np.float32) * 0.1
    gt += np.array(sk.parents)[None, None, :, None] * 0.1
    t = np.arange(int(16 / 15 * 16000)) / 16000
    waves = [np.sin(2 * np.pi * 200 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
             for _ in range(6)]
    samples = [dict(pred_motion=g, motion=g, wave=w)
               for g, w in zip(gt, waves)]
    metric.process(None, samples)
    res = metric.evaluate(6)
    assert abs(res['gesture/FGD']) < 1e-6
    assert res['gesture/BC'] == res['gesture/BC_gt']
    assert res['gesture/L1div'] == res['gesture/L1div_gt']
    assert res['gesture/jerk'] == res['gesture/jerk_gt']
    ref = np.stack([sk.bone_lengths(g).mean(0) for g in gt])[:, None]
    assert res['gesture/bone_err'] == pytest.approx(
        np.abs(sk.bone_lengths(gt) - ref).mean())
    shifted = gt + rng.standard_normal(gt.shape).astype(np.float32)
    res2 = metric.evaluate_arrays(shifted, gt, waves)
    assert res2['FGD'] > 1e-3
    with pytest.raises(ValueError, match=r"bc_joints \['Foo'\]"):
        GestureMetric(sk.to_dict(), fps=15., bc_joints=['Foo'])


def test_fgd_autoencoder_architecture_from_the_checkpoint(tmp_path):
    # the checkpoint defines the FGD space: its widths are read from it,
    # and a config that contradicts them is an error naming both
    from mmext.models.gesture import load_motion_autoencoder
    torch.manual_seed(0)
    ae = MotionAutoencoder(num_joints=5, hidden_dims=8, latent_dims=4,
                           num_layers=3)
    ckpt = tmp_path / 'ae.pth'
    torch.save(dict(state_dict=ae.state_dict()), ckpt)
    loaded = load_motion_autoencoder(str(ckpt), num_joints=5)
    x = torch.randn(2, 16, 5, 3)
    assert torch.equal(loaded.features(x), ae.features(x))
    with pytest.raises(ValueError, match=r'latent_dims=4 but the config '
                       r'asks for latent_dims=32'):
        load_motion_autoencoder(str(ckpt), latent_dims=32)
    bad = tmp_path / 'not_ae.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(1))), bad)
    with pytest.raises(ValueError, match='not a MotionAutoencoder'):
        load_motion_autoencoder(str(bad))
