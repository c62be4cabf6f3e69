# Copyright (c) mmext contributors. All rights reserved.
"""SYNTHETIC BEAT-format data: speech-like audio and beat-tied gestures.

Writes BEAT's real file formats (75-joint BVH at 120 fps in cm, 16 kHz
mono wav, BEAT2-style ``train_test_split.csv``) so that the demo and the
tests run the real converter. Nothing here is real motion capture:

* audio: syllables (voiced harmonic tones with formant-like partials and
  noise, 10 ms attack) at about 4 per second, grouped in phrases with
  pauses; every 2nd-3rd syllable is stressed (louder, higher pitch);
* motion: an idle sway plus, for every stressed syllable, an arm-and-hand
  stroke whose apex (a speed minimum) falls on the syllable's onset, and
  finger curls that follow the strokes; the speaker id changes the style
  (amplitude, handedness).
"""
import os
import os.path as osp
from typing import Dict, List

import numpy as np

from .bvh import write_bvh
from .converters import BEAT_JOINTS, beat_parents

__all__ = ['beat_hierarchy', 'synth_speech', 'synth_clip_motion',
           'generate_beat_demo']

BVH_FPS = 120
SR = 16000


def beat_hierarchy():
    """Parents and rest offsets (cm, T-pose, y up) of BEAT's 75 joints."""
    names = list(BEAT_JOINTS)
    parents = beat_parents()
    off = np.zeros((len(names), 3))
    fingers = {'T': (-3., 0., 3.), 'I': (-9., 0., 2.), 'M': (-9., 0., 0.5),
               'R': (-8.5, 0., -1.), 'P': (-8., 0., -2.5)}
    for k, n in enumerate(names):
        sx = -1. if n.startswith('R') else 1.
        base = {
            'Hips': (0., 95., 0.), 'Spine': (0., 8., 0.),
            'Spine1': (0., 8., 0.), 'Spine2': (0., 8., 0.),
            'Spine3': (0., 8., 0.), 'Neck': (0., 10., 0.),
            'Neck1': (0., 4., 0.), 'Head': (0., 6., 0.),
            'HeadEnd': (0., 15., 0.)
        }
        if n in base:
            off[k] = base[n]
            continue
        rest = n[1:]
        if rest == 'Shoulder':
            off[k] = (sx * 4., 6., 0.)
        elif rest == 'Arm':
            off[k] = (sx * 13., 0., 0.)
        elif rest == 'Arm1':
            off[k] = (sx * 28., 0., 0.)
        elif rest == 'Hand':
            off[k] = (sx * 25., 0., 0.)
        elif rest == 'UpLeg':
            off[k] = (sx * 9., -5., 0.)
        elif rest == 'Leg':
            off[k] = (0., -42., 0.)
        elif rest == 'Foot':
            off[k] = (0., -40., 0.)
        elif rest == 'FootF':
            off[k] = (0., -5., 8.)
        elif rest in ('ToeBase', 'ToeBaseEnd'):
            off[k] = (0., 0., 5.)
        else:  # finger joint
            f = rest[4]
            digit = rest[5:]
            fx, fy, fz = fingers[f]
            if digit in ('', '1') and parents[k] == names.index(n[0] +
                                                                'Hand'):
                off[k] = (sx * abs(fx) * 0.5, fy, fz)
            else:
                off[k] = (sx * 3., 0., 0.)
    return names, parents, off


def synth_speech(duration: float, rng: np.random.Generator):
    """Speech-like waveform and the onset times (s) of stressed
    syllables."""
    n = int(duration * SR)
    y = np.zeros(n, np.float32)
    t = 0.3
    stressed = []
    count = 0
    while t < duration - 0.3:
        phrase = rng.integers(4, 9)
        for _ in range(phrase):
            if t >= duration - 0.3:
                break
            dur = rng.uniform(0.12, 0.22)
            stress = count % rng.integers(2, 4) == 0
            f0 = (190. if stress else 140.) * rng.uniform(0.9, 1.1)
            amp = 0.6 if stress else 0.25
            m = int(dur * SR)
            tt = np.arange(m) / SR
            env = np.minimum(tt / 0.01, 1.) * np.exp(-tt / (dur * 0.5))
            tone = sum(np.sin(2 * np.pi * f0 * h * tt) / h
                       for h in range(1, 6))
            formant = 0.3 * np.sin(2 * np.pi * rng.uniform(500, 900) * tt)
            sig = amp * env * (tone + formant + 0.1 * rng.standard_normal(m))
            s0 = int(t * SR)
            y[s0:s0 + m] += sig[:n - s0].astype(np.float32)
            if stress:
                stressed.append(t)
            count += 1
            t += dur + rng.uniform(0.05, 0.12)
        t += rng.uniform(0.3, 0.6)  # pause between phrases
    y /= max(1e-6, np.abs(y).max() / 0.9)
    return y, np.array(stressed)


def synth_clip_motion(duration: float, beats: np.ndarray, speaker: int,
                      rng: np.random.Generator) -> np.ndarray:
    """BVH channel values ``(T, 228)`` at 120 fps (degrees, cm)."""
    names, parents, off = beat_hierarchy()
    t = np.arange(int(duration * BVH_FPS)) / BVH_FPS
    j = len(names)
    rot = np.zeros((len(t), j, 3))  # Z, Y, X degrees per joint
    style = 1.0 + 0.3 * (speaker % 2)
    main = 'R' if speaker % 2 else 'L'
    stroke = np.zeros((2, len(t)))
    for b in beats:
        side = 0 if rng.random() < 0.7 else 1
        width = rng.uniform(0.10, 0.16)
        amp = rng.uniform(0.7, 1.0)
        stroke[side] += amp * np.exp(-0.5 * ((t - b) / width)**2)
    sway = np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 6))
    idx = {n: k for k, n in enumerate(names)}
    rot[:, idx['Spine1'], 2] = 2.0 * sway
    rot[:, idx['Neck'], 1] = 4.0 * np.sin(2 * np.pi * 0.17 * t)
    for s, sgn in (('R', 1.), ('L', -1.)):
        g = stroke[0 if s == main else 1] * style
        rot[:, idx[s + 'Arm'], 0] = sgn * (-70. + 35. * g)  # raise arm
        rot[:, idx[s + 'Arm'], 1] = sgn * 25. * g  # forward
        rot[:, idx[s + 'Arm1'], 1] = sgn * (20. + 60. * g)  # elbow flex
        rot[:, idx[s + 'Hand'], 0] = sgn * 15. * g
        for k, n in enumerate(names):
            if n.startswith(s + 'Hand') and len(n) > 5:
                curl = 15. + 40. * (1. - np.clip(g, 0, 1)) * (
                    0.4 if 'T' in n else 1.)
                rot[:, k, 1] = sgn * curl
    rot += rng.standard_normal(rot.shape[1:]) * 0.5  # per-clip posture
    root = np.zeros((len(t), 3))
    root[:, 1] = off[0, 1]
    root[:, 0] = 1.5 * sway
    return np.concatenate([root, rot.reshape(len(t), -1)], axis=1)


def generate_beat_demo(out: str, num_clips: Dict[str, int] = None,
                       duration: float = 12., seed: int = 0) -> List[str]:
    """Write ``<id>.bvh`` + ``<id>.wav`` + ``train_test_split.csv``."""
    from scipy.io import wavfile
    num_clips = num_clips or dict(train=8, val=2, test=2)
    rng = np.random.default_rng(seed)
    names, parents, off = beat_hierarchy()
    channels = [['Xposition', 'Yposition', 'Zposition', 'Zrotation',
                 'Yrotation', 'Xrotation']] + [['Zrotation', 'Yrotation',
                                                'Xrotation']] * (
                                                    len(names) - 1)
    os.makedirs(out, exist_ok=True)
    rows, ids = [], []
    k = 0
    for split, n in num_clips.items():
        for _ in range(n):
            speaker = 1 + k % 2
            cid = f'{speaker}_synth_0_{k + 1}_{k + 1}'
            audio, beats = synth_speech(duration, rng)
            motion = synth_clip_motion(duration, beats, speaker, rng)
            write_bvh(osp.join(out, f'{cid}.bvh'), names, parents, off,
                      channels, motion, 1. / BVH_FPS)
            wavfile.write(osp.join(out, f'{cid}.wav'), SR,
                          (audio * 32767).astype(np.int16))
            rows.append(f'{cid},{split}')
            ids.append(cid)
            k += 1
    with open(osp.join(out, 'train_test_split.csv'), 'w') as f:
        f.write('id,type\n' + '\n'.join(rows) + '\n')
    return ids
