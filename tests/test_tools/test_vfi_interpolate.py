# Copyright (c) mmext contributors. All rights reserved.
"""tools/inference/vfi_interpolate.py: a video in, a x2 / x4 video out with
the input frames kept; clear errors for unreadable videos."""
import cv2
import numpy as np
import pytest
import torch
from conftest import ROOT, run_tool

from mmext.apis.vfi_inference import init_interpolator, interpolate_video

CONFIG = ROOT / 'configs/vfi/hybrid-vfi-tiny_1xb8-60e_vimeo90k-demo.py'


def _video(path, n=3, size=(40, 24)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10,
                        size)
    for i in range(n):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[:, 4 * i:4 * i + 8] = 255
        w.write(img)
    w.release()


def _count(path):
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    return n, cap.get(cv2.CAP_PROP_FPS)


@pytest.mark.parametrize('factor,mode', [(2, 'recursive'), (4, 'direct')])
def test_interpolate_video(tmp_path, factor, mode):
    src, dst = tmp_path / 'in.avi', tmp_path / f'out{factor}.avi'
    _video(src)
    torch.manual_seed(0)
    model = init_interpolator(str(CONFIG))
    stats = interpolate_video(model, str(src), str(dst), factor, mode,
                              progress=False, fourcc='MJPG')
    assert stats['frames_in'] == 3
    assert stats['frames_out'] == 3 + 2 * (factor - 1)
    n, fps = _count(dst)
    assert n == stats['frames_out'] and fps == pytest.approx(10 * factor)


def test_errors_and_cli(tmp_path):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'this is not a video')
    ckpt = tmp_path / 'w.pth'
    torch.manual_seed(0)
    torch.save({'state_dict': init_interpolator(str(CONFIG)).state_dict()},
               ckpt)
    model = init_interpolator(str(CONFIG), str(ckpt))
    with pytest.raises(ValueError, match=f'cannot decode video {bad}'):
        interpolate_video(model, str(bad), str(tmp_path / 'o.mp4'))
    with pytest.raises(FileNotFoundError, match='video .*nope.mp4 not found'):
        interpolate_video(model, str(tmp_path / 'nope.mp4'), 'o.mp4')
    with pytest.raises(ValueError, match='factor must be 2, 4 or 8'):
        interpolate_video(model, str(bad), 'o.mp4', factor=3)
    _video(tmp_path / 'in.avi')
    res = run_tool(['inference/vfi_interpolate.py', CONFIG, ckpt,
                    tmp_path / 'in.avi',
                    tmp_path / 'o.avi', '--fourcc', 'MJPG', '--factor',
                    '2'])
    assert res.returncode == 0, res.stderr
    assert 'o.avi: 3 -> 5 frames at 20.00 fps' in res.stdout
    assert '100%' in res.stderr  # the progress bar


def test_phase_hint_and_output_container(tmp_path):
    """A phase-1 checkpoint on a phase-2 model: one error line with the
    remedy, no traceback. An output whose extension is not a video
    container is refused before anything is written."""
    ckpt = tmp_path / 'phase1.pth'
    torch.manual_seed(0)
    torch.save({'state_dict': init_interpolator(str(CONFIG)).state_dict()},
               ckpt)
    _video(tmp_path / 'in.avi')
    res = run_tool(['inference/vfi_interpolate.py', CONFIG, ckpt,
                    tmp_path / 'in.avi',
                    tmp_path / 'o.avi', '--cfg-options',
                    'model.feature_warp=True'])
    assert res.returncode != 0
    assert 'Traceback' not in res.stderr, res.stderr
    assert 'This is a phase-1 checkpoint' in res.stderr
    assert 'model.feature_warp=False' in res.stderr
    assert "missing ['flow_refine." in res.stderr
    model = init_interpolator(str(CONFIG), str(ckpt))
    for name in ('o.png', 'o'):
        with pytest.raises(ValueError, match='is not a video container'):
            interpolate_video(model, str(tmp_path / 'in.avi'),
                              str(tmp_path / name))
        assert not (tmp_path / name).exists()
