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
    sk = Skeleton(NAMES, PARENTS)
    joints = _motion()
    path = str(tmp_path / 'm.bvh')
    export_bvh(path, joints, sk, fps=15.)
    bvh = read_bvh(path)
    assert sorted(bvh.names) == sorted(NAMES)
    assert bvh.fps == pytest.approx(15.)
    pos = bvh.forward_kinematics(scale=0.01)  # cm -> m
    order = [bvh.names.index(n) for n in NAMES]
    np.testing.assert_allclose(pos[:, order], joints, atol=1e-5)


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
