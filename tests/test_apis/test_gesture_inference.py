# Copyright (c) mmext contributors. All rights reserved.
import subprocess

import numpy as np
import pytest

from mmext.apis.gesture_inference import export_bvh, render_video
from mmext.datasets.gesture import Skeleton, read_bvh

NAMES = ['Hips', 'Spine', 'RArm', 'RHand', 'RHandI1', 'LArm', 'LHand']
# not in depth-first order on purpose (LArm's parent precedes RHand)
PARENTS = [-1, 0, 1, 2, 3, 1, 5]


def _motion(t=12):
    rng = np.random.default_rng(0)
    return np.cumsum(rng.standard_normal((t, 7, 3)) * 0.01, 0) + np.arange(
        7)[None, :, None] * 0.1


def test_export_bvh_roundtrip(tmp_path):
    # non-rigid motion (random walks: bone lengths vary): rotations plus
    # every joint's local translation re-read exactly; rotations and the
    # root position alone warn with the error
    sk = Skeleton(NAMES, PARENTS)
    joints = _motion()
    path = str(tmp_path / 'm.bvh')
    assert export_bvh(path, joints, sk, fps=15., positions='all') < 1e-6
    bvh = read_bvh(path)
    assert sorted(bvh.names) == sorted(NAMES)
    assert bvh.fps == pytest.approx(15.)
    pos = bvh.forward_kinematics(scale=0.01)  # cm -> m
    order = [bvh.names.index(n) for n in NAMES]
    np.testing.assert_allclose(pos[:, order], joints, atol=1e-6)
    with pytest.warns(UserWarning, match=r"m.bvh: the rotations re-read to "
                      r"within .* positions='all' writes them exactly"):
        export_bvh(path, joints, sk, fps=15.)


def test_export_bvh_rotations_retarget_a_rigid_skeleton(tmp_path):
    # BEAT's 75-joint hierarchy driven by rotations (a rigid skeleton):
    # the exported file has rotation channels on every joint and position
    # channels on the root only, and re-reads to the same positions
    from mmext.datasets.gesture.bvh import BVH
    from mmext.datasets.gesture.synthetic import (beat_hierarchy,
                                                  synth_clip_motion)
    names, parents, off = beat_hierarchy()
    rng = np.random.default_rng(0)
    motion = synth_clip_motion(0.5, np.array([0.2]), 1, rng)
    chans = [['Xposition', 'Yposition', 'Zposition', 'Zrotation',
              'Yrotation', 'Xrotation']] + [
                  ['Zrotation', 'Yrotation', 'Xrotation']] * (len(names) - 1)
    src = BVH(names, parents, off, chans, 1 / 120., motion)
    joints = src.forward_kinematics(scale=0.01)
    sk = Skeleton(names, parents)
    path = str(tmp_path / 'beat.bvh')
    assert export_bvh(path, joints, sk, fps=120.) < 1e-6
    bvh = read_bvh(path)
    assert bvh.channels[0] == ['Xposition', 'Yposition', 'Zposition',
                               'Zrotation', 'Xrotation', 'Yrotation']
    assert all(c == ['Zrotation', 'Xrotation', 'Yrotation']
               for c in bvh.channels[1:])
    order = [bvh.names.index(n) for n in names]
    np.testing.assert_allclose(bvh.forward_kinematics(scale=0.01)[:, order],
                               joints, atol=1e-6)
    # the bones rotate: the arm's rotation channels change over time
    k = bvh.names.index('RArm')
    col = sum(len(c) for c in bvh.channels[:k])
    assert np.ptp(bvh.motion[:, col:col + 3], axis=0).max() > 5.  # degrees
    # the rest offsets keep BEAT's bone lengths
    lengths = np.linalg.norm(bvh.offsets, axis=-1)[order]
    np.testing.assert_allclose(lengths[1:], np.linalg.norm(off, axis=-1)[1:],
                               rtol=1e-6, atol=1e-6)


def test_render_video_has_audio_and_frames(tmp_path):
    import cv2
    import imageio_ffmpeg
    sk = Skeleton(NAMES, PARENTS)
    joints = _motion(15)
    wave = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 220) * 0.5
    out = str(tmp_path / 'm.mp4')
    render_video(out, joints, sk, wave, 16000, fps=15., size=64)
    cap = cv2.VideoCapture(out)
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-i', out],
                           capture_output=True, text=True)
    assert 'Audio: aac' in probe.stderr and 'Video: h264' in probe.stderr
