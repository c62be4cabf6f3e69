# Copyright (c) mmext contributors. All rights reserved.
"""The model-vs-baselines ordering on a tiny GestureGAN trained once per
module on SYNTHETIC audio-driven motion (wrists swing with the audio
envelope)."""
import copy

import numpy as np
import pytest
import torch

from mmext.engine import SwitchableAmpOptimWrapper
from mmext.evaluation.gesture import (GestureMetric, baseline_table,
                                      format_table)
from mmext.models.gesture import GestureGAN, MotionAutoencoder
from mmext.structures import Skeleton

NAMES = ['Hips', 'Spine', 'Neck', 'RArm', 'RArm1', 'RHand', 'LArm', 'LArm1',
         'LHand']
PARENTS = [-1, 0, 1, 2, 3, 4, 2, 6, 7]
T, S, FPS, SR = 16, 4, 15., 16000


class _Windows:
    """The parts of GestureDataset that baseline_table reads."""

    def __init__(self, motion, audio, wave):
        self.motion, self.audio, self.wave = motion, audio, wave
        self.fps, self.window = FPS, T

    def __len__(self):
        return len(self.motion)

    def __getitem__(self, i):
        m = torch.from_numpy(self.motion[i])
        return dict(
            inputs=dict(audio=torch.from_numpy(self.audio[i]), seed=m[:S]),
            data_samples=dict(motion=m, wave=torch.from_numpy(self.wave[i]),
                              onset=torch.from_numpy(self.audio[i][:, 0])))

    def all_windows(self):
        return list(self.motion)


def _data(n, rng):
    """Wrists move along x with a random audio envelope (channel 0 of the
    features), one beat every few frames; the rest of the body is still."""
    rest = np.array(PARENTS, np.float32)[:, None] * np.array(
        [0.02, 0.1, 0.], np.float32)
    env = np.zeros((n, T), np.float32)
    for i in range(n):
        for b in rng.choice(T, 3, replace=False):
            env[i] += np.exp(-0.5 * ((np.arange(T) - b) / 1.2)**2)
    pos = np.cumsum(env, axis=1) * 0.05  # the wrist moves while it is loud
    motion = np.repeat(rest[None, None], T, 1).repeat(n, 0)
    for j in (5, 8):
        motion[:, :, j, 0] += pos
    audio = np.concatenate([env[..., None], rng.standard_normal(
        (n, T, 3)).astype(np.float32) * 0.1], -1)
    wave = np.zeros((n, int(T / FPS * SR)), np.float32)
    return motion.astype(np.float32), audio.astype(np.float32), wave


def _identity_ae_checkpoint(path):
    # reconstructs exactly (so it passes the quality gate); its latent
    # frames are the motion's frame pairs
    d = len(NAMES) * 3
    ae = MotionAutoencoder(num_joints=len(NAMES), latent_dims=2 * d,
                           num_layers=1)
    with torch.no_grad():
        for m in (ae.encoder[0], ae.decoder[0]):
            m.weight.zero_()
            m.bias.zero_()
        for c in range(d):
            ae.encoder[0].weight[c, c, 1] = 1
            ae.encoder[0].weight[d + c, c, 2] = 1
            ae.decoder[0].weight[c, c, 1] = 1
            ae.decoder[0].weight[d + c, c, 2] = 1
    torch.save(dict(state_dict=ae.state_dict()), path)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    train = _Windows(*_data(96, rng))
    test = _Windows(*_data(24, rng))
    sk = Skeleton(NAMES, PARENTS)
    model = GestureGAN(
        generator=dict(type='GestureGenerator', audio_dims=4, embed_dims=16,
                       gat_heads=2, temporal_heads=2, cross_heads=2,
                       num_res_blocks=1, use_cross_attention=False,
                       graph_layers=('gcn', 'gat')),
        discriminator=dict(type='GestureDiscriminator', embed_dims=16,
                           num_layers=2),
        skeleton=sk.to_dict(), g_steps=1, d_steps=1)
    from mmengine.optim import OptimWrapperDict
    ow = OptimWrapperDict(**{
        name: SwitchableAmpOptimWrapper(optimizer=torch.optim.Adam(
            getattr(model, name).parameters(), lr=3e-3, betas=(0.5, 0.999)))
        for name in ('generator', 'discriminator')})
    items = [train[i] for i in range(len(train))]
    model.train()
    for step in range(150):
        idx = np.random.default_rng(step).choice(len(items), 16, False)
        batch = dict(
            inputs={k: torch.stack([items[i]['inputs'][k] for i in idx])
                    for k in ('audio', 'seed')},
            data_samples=dict(motion=torch.stack(
                [items[i]['data_samples']['motion'] for i in idx])))
        model.train_step(copy.deepcopy(batch), ow)
    model.eval()
    ckpt = str(tmp_path_factory.mktemp('ae') / 'ae.pth')
    _identity_ae_checkpoint(ckpt)
    metric = GestureMetric(sk.to_dict(), fps=FPS, seed_frames=S,
                           fgd_checkpoint=ckpt, bc_joints=['RHand'])
    return baseline_table(model.generator, test, train, metric, draws=10)


def test_trained_model_beats_hold_seed_and_mean_pose(trained):
    rows = trained['rows']
    text = format_table(trained)
    for base in ('hold-seed', 'mean pose'):
        assert rows['model']['FGD'] < rows[base]['FGD'], text
        assert rows['model']['mpjpe'] < rows[base]['mpjpe'], text
        assert rows['model']['wrist_speed_r'] > rows[base]['wrist_speed_r']
    # every claim holds by more than its noise
    assert all(c['holds'] for c in trained['claims']), text
    # the wrong-audio control: shuffled audio lowers the correlations
    assert rows['model, shuffled audio']['wrist_speed_r'] < \
        rows['model']['wrist_speed_r'] - 0.2
    assert rows['model, shuffled audio']['wrist_onset_r'] < \
        rows['model']['wrist_onset_r']
    # a still output has no speed correlation; ground truth has 1
    assert rows['hold-seed']['wrist_speed_r'] == 0
    assert rows['ground truth']['wrist_speed_r'] == pytest.approx(1.)
    assert rows['ground truth']['FGD'] < 1e-6
    # the noise is reported for the model and the random clips
    assert trained['noise']['model bootstrap']['mpjpe'] > 0
    assert trained['noise']['random real clip']['FGD'] > 0
    assert '± ' in text and 'DOES NOT HOLD' not in text
