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
    # an untrained autoencoder: its quality gate is tested below
    metric = GestureMetric(sk.to_dict(), fps=15., fgd_checkpoint=ckpt,
                           fgd_autoencoder=dict(hidden_dims=16,
                                                latent_dims=4),
                           fgd_min_gain=0)
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


def _identity_ae(num_joints):
    """A one-layer MotionAutoencoder that reconstructs exactly: the
    stride-2 encoder copies frames 2i and 2i + 1 into two channel blocks,
    the transposed decoder writes them back."""
    d = num_joints * 3
    ae = MotionAutoencoder(num_joints=num_joints, latent_dims=2 * d,
                           num_layers=1)
    enc, dec = ae.encoder[0], ae.decoder[0]
    with torch.no_grad():
        for m in (enc, dec):
            m.weight.zero_()
            m.bias.zero_()
        for c in range(d):
            enc.weight[c, c, 1] = 1  # input 2i (padding 1)
            enc.weight[d + c, c, 2] = 1  # input 2i + 1
            dec.weight[c, c, 1] = 1  # output 2i
            dec.weight[d + c, c, 2] = 1  # output 2i + 1
    return ae


def _sk():
    names = ['Hips', 'Spine', 'Neck', 'RArm', 'RArm1', 'RHand', 'LArm',
             'LArm1', 'LHand']
    return Skeleton(names, [-1, 0, 1, 1, 3, 4, 1, 6, 7])


def _windows(n=8, t=16, seed=0):
    rng = np.random.default_rng(seed)
    sk = _sk()
    base = np.array(sk.parents, np.float32)[None, None, :, None] * 0.1
    walk = np.cumsum(rng.standard_normal((n, t, 9, 3)), axis=1) * 0.02
    return (base + walk).astype(np.float32), sk


def test_fgd_autoencoder_quality_gate(tmp_path):
    gt, sk = _windows()
    good = _identity_ae(9)
    x = torch.from_numpy(gt)
    assert torch.allclose(good(data_samples=dict(motion=x)), x, atol=1e-6)
    torch.save(dict(state_dict=good.state_dict()), tmp_path / 'good.pth')
    metric = GestureMetric(sk.to_dict(), fps=15.,
                           fgd_checkpoint=str(tmp_path / 'good.pth'))
    q = metric.check_autoencoder(gt)
    assert q['ae_err'] < 1e-6
    ref = np.linalg.norm(gt - gt.mean(1, keepdims=True), axis=-1).mean()
    assert q['mean_pose_err'] == pytest.approx(ref, rel=1e-6)
    # a constant autoencoder (always the data's mean pose) is refused
    const = _identity_ae(9)
    with torch.no_grad():
        const.decoder[0].weight.zero_()
        const.decoder[0].bias.copy_(torch.from_numpy(
            gt.mean(axis=(0, 1)).reshape(-1)))
    torch.save(dict(state_dict=const.state_dict()), tmp_path / 'const.pth')
    metric = GestureMetric(sk.to_dict(), fps=15.,
                           fgd_checkpoint=str(tmp_path / 'const.pth'))
    waves = [np.zeros(16000)] * len(gt)
    with pytest.raises(ValueError, match=r'const\.pth: the FGD autoencoder '
                       r'reconstructs .* at least 2x better than the mean '
                       r'pose'):
        metric.evaluate_arrays(gt, gt, waves)


def test_frame_level_fgd_and_window_level():
    gt, sk = _windows()
    metric = GestureMetric(sk.to_dict(), fps=15., fgd_checkpoint='unused')
    metric._ae = _identity_ae(9)
    metric._ae_checked = True
    f = metric.features(gt)
    # identity encoder: the latent frames are the frame pairs themselves
    pairs = gt.reshape(8, 8, 2, 27).transpose(0, 1, 2, 3)
    assert f.shape == (64, 54)
    assert np.allclose(f, np.concatenate([pairs[:, :, 0], pairs[:, :, 1]],
                                         -1).reshape(64, 54), atol=1e-6)
    metric.fgd_level = 'window'
    assert np.allclose(metric.features(gt), f.reshape(8, 8, 54).mean(1))


def test_motion_metrics_and_baselines_hand_computed():
    gt, sk = _windows(n=6, t=20)
    rng = np.random.default_rng(1)
    pred = gt + rng.standard_normal(gt.shape).astype(np.float32) * 0.01
    onset = rng.random((6, 20)).astype(np.float32)
    waves = [np.zeros(16000)] * 6
    metric = GestureMetric(sk.to_dict(), fps=15., seed_frames=4,
                           noise_draws=5)
    res = metric.evaluate_arrays(pred, gt, waves, onset)
    # mpjpe after the seed, by a loop
    err = [np.linalg.norm(pred[i, t, j] - gt[i, t, j]) for i in range(6)
           for t in range(4, 20) for j in range(9)]
    assert res['mpjpe'] == pytest.approx(np.mean(err), rel=1e-6)
    # wrist speed r with the real one (RHand = 5, LHand = 8), by np.corrcoef
    rs = []
    for i in range(6):
        for j in (5, 8):
            sp = np.linalg.norm(np.diff(pred[i, 4:, j], axis=0), axis=-1)
            sg = np.linalg.norm(np.diff(gt[i, 4:, j], axis=0), axis=-1)
            rs.append(np.corrcoef(sp, sg)[0, 1])
    assert res['wrist_speed_r'] == pytest.approx(np.mean(rs), rel=1e-5)
    ro = []
    for i in range(6):
        sp = sum(np.linalg.norm(np.diff(pred[i, 4:, j], axis=0), axis=-1)
                 for j in (5, 8))
        ro.append(np.corrcoef(sp, onset[i, 5:])[0, 1])
    assert res['wrist_onset_r'] == pytest.approx(np.mean(ro), rel=1e-5)
    # baselines: hold-seed has no motion after the seed (r = 0) and its
    # error is that of the last seed pose; mismatched audio is real motion
    hold = gt[:, 3:4].repeat(20, axis=1)
    assert res['hold-seed/wrist_speed_r'] == 0
    assert res['hold-seed/mpjpe'] == pytest.approx(
        np.linalg.norm(hold[:, 4:] - gt[:, 4:], axis=-1).mean(), rel=1e-6)
    assert res['mean-pose/L1div'] == pytest.approx(0, abs=1e-9)
    assert res['mismatched-audio/jerk'] == pytest.approx(res['jerk_gt'])
    assert res['mpjpe_std'] > 0
    assert res['mpjpe'] < res['hold-seed/mpjpe']


def test_whole_sequence_evaluation_equals_a_hand_written_loop():
    from mmext.evaluation.gesture import evaluate_sequences
    from mmext.models.gesture import GestureGenerator
    sk = _sk()
    torch.manual_seed(0)
    gen = GestureGenerator(9, sk.parents, [], audio_dims=5, embed_dims=8,
                           gat_heads=2, temporal_heads=2, cross_heads=2,
                           num_res_blocks=1, use_cross_attention=False)
    with torch.no_grad():  # a head that moves (zero-init holds the seed)
        gen.head.weight.normal_(std=0.05)
    gen.eval()
    rng = np.random.default_rng(3)
    fps, sr, window, s = 15., 16000, 12, 4
    clips = []
    for n in (75, 83):
        g, _ = _windows(n=1, t=n, seed=n)
        t = np.arange(int(n / fps * sr)) / sr
        wave = np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 2 * t) > .5)
        clips.append(dict(joints=g[0] - g[0, :1, :1],
                          feats=rng.standard_normal((n, 5)).astype(
                              np.float32), wave=wave))
    metric = GestureMetric(sk.to_dict(), fps=fps, seed_frames=s)
    res = evaluate_sequences(gen, clips, metric, window, skip_s=2.0)
    # by hand: autoregressive from the first seed only
    preds = []
    for c in clips:
        out = c['joints'][:s] - c['joints'][:1, :1]
        start = 0
        while start + window <= len(c['feats']):
            cur = out[-s:]
            off = cur[:1, :1]
            with torch.no_grad():
                p = gen(torch.from_numpy(c['feats'][start:start + window])
                        [None], torch.from_numpy(cur - off)[None])
            out = np.concatenate([out, p[0].numpy()[s:] + off])
            start += window - s
        preds.append(out)
    assert [len(p) for p in preds] == [4 + 8 * 8, 4 + 8 * 9]
    assert res['frames'] == sum(len(p) for p in preds)
    gts = [c['joints'][:len(p)] for c, p in zip(clips, preds)]
    err = np.concatenate([np.linalg.norm(p[s:] - g[s:], axis=-1).ravel()
                          for p, g in zip(preds, gts)])
    assert res['mpjpe'] == pytest.approx(err.mean(), rel=1e-5)

    # L1div within each sequence, then averaged
    def l1div(x):
        x = x.reshape(len(x), -1).astype(np.float64)
        return np.abs(x - x.mean(0)).sum(1).mean()

    l1 = [l1div(p) for p in preds]
    assert res['L1div'] == pytest.approx(np.mean(l1), rel=1e-5)
    # BC without the first and last 2 s (30 frames at 15 fps)
    speed = np.concatenate([np.linalg.norm(np.diff(g, axis=0), axis=-1)
                            for g in gts]) * fps
    bcs = []
    for p, c in zip(preds, clips):
        m = p[30:len(p) - 30]
        w = c['wave'][32000:32000 + int(round(len(m) / fps * sr))]
        onsets = F.audio_onsets(w, sr)
        beats = F.motion_beats(m, fps, speed.mean(0))
        bcs.append(F.beat_consistency(onsets, beats, fps, metric.bc_joints))
    assert res['BC'] == pytest.approx(np.mean(bcs), rel=1e-6)
    # hold-seed: the first seed's last pose for the whole sequence
    hold = [np.concatenate([g[:s], np.repeat(g[s - 1:s], len(g) - s, 0)])
            for g in gts]
    assert res['hold-seed/mpjpe'] == pytest.approx(np.mean(np.concatenate(
        [np.linalg.norm(h[s:] - g[s:], axis=-1).ravel()
         for h, g in zip(hold, gts)])), rel=1e-5)
    assert res['hold-seed/L1div'] == pytest.approx(
        np.mean([l1div(h) for h in hold]), rel=1e-6)


def test_bc_mean_speed_file_replaces_the_real_mean(tmp_path):
    # joint 1 moves with speed 1.5 - cos(2 pi t) (minima 0.5 at frames 30,
    # 60), joint 0 is still; clicks at 1 s and 2 s give the onsets
    fps, sr = 30., 16000
    t = np.arange(90) / fps
    joints = np.zeros((1, 90, 2, 3))
    joints[0, :, 1, 0] = 1.5 * t - np.sin(2 * np.pi * t) / (2 * np.pi)
    wave = np.zeros(3 * sr)
    for c in (sr, 2 * sr):
        wave[c:c + 160] = 1.
    sk = Skeleton(['Hips', 'Spine'], [-1, 0])
    onsets = F.audio_onsets(wave, sr)
    d = np.abs(onsets[:, None] - np.array([1., 2.])[None]).min(1)
    joint1 = np.mean(np.exp(-d**2 / (2 * 0.3**2)))  # beats at 1 s, 2 s
    kw = dict(fps=fps, bc_joints=['Hips', 'Spine'], baselines=False)
    res = {}
    for name, speeds in (('slow', [1., 1.]), ('fast', [1., 10.])):
        np.save(tmp_path / f'{name}.npy', np.array(speeds, np.float32))
        m = GestureMetric(sk.to_dict(),
                          bc_mean_speed=str(tmp_path / f'{name}.npy'), **kw)
        res[name] = m.evaluate_arrays(joints, joints, [wave])['BC']
    # 0.5 / 1 > 0.1: both beats count; 0.5 / 10 < 0.1: none does
    assert res['slow'] == pytest.approx(joint1 / 2, rel=1e-12)
    assert res['slow'] > 0.2 and res['fast'] == 0.
    # without the file: divided by the real mean speed (about 1.5)
    default = GestureMetric(sk.to_dict(), **kw)
    assert default.evaluate_arrays(joints, joints, [wave])['BC'] == \
        pytest.approx(joint1 / 2, rel=1e-12)
    np.save(tmp_path / 'bad.npy', np.ones(55, np.float32))
    with pytest.raises(ValueError, match=r'bc_mean_speed .*bad.npy: shape '
                       r'\(55,\), expected \(2,\)'):
        GestureMetric(sk.to_dict(), bc_mean_speed=str(tmp_path / 'bad.npy'),
                      **kw)
