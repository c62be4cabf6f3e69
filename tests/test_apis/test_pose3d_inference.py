# Copyright (c) mmext contributors. All rights reserved.
"""Sliding-window 3D lifting (mmext.apis), its CLI and the 3D renderer.

A tiny randomly initialised MotionAGFormer (demo config, T = 27) is built
once, its state_dict saved to a temporary file; nothing is downloaded.
"""
import json
import os

import cv2
import numpy as np
import pytest
import torch
from conftest import ROOT, run_tool

import mmext  # noqa: F401
from mmext.apis import (init_lifter, lift_sequence, load_keypoints_2d,
                        normalize_keypoints_2d, window_starts)
from mmext.engine import UnsafeCheckpointError
from mmext.visualization.pose3d import render_skeleton_3d

CONFIG = str(ROOT / 'configs/pose3d/motionagformer/'
             'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py')
W, H = 1000., 1002.  # Human3.6M camera size
T = 27
FLIP = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    torch.manual_seed(0)
    model = init_lifter(CONFIG)  # random weights
    path = tmp_path_factory.mktemp('lifter') / 'lifter.pth'
    torch.save(model.state_dict(), path)
    return str(path)


@pytest.fixture(scope='module')
def model(ckpt):
    return init_lifter(CONFIG, ckpt)


def _kpts(n, seed=0, conf=True):
    rng = np.random.default_rng(seed)
    xy = rng.uniform([200, 150], [800, 900], size=(n, 17, 2))
    if not conf:
        return xy.astype(np.float32)
    score = rng.uniform(0.3, 1., size=(n, 17, 1))
    return np.concatenate([xy, score], -1).astype(np.float32)


def _net(model, clip):
    """Model output for one (T, 17, 3) normalised clip."""
    with torch.no_grad():
        return model(torch.from_numpy(clip)[None], None,
                     'tensor')[0].numpy()


def _decode(pred):
    """MotionBERTLabel.decode(rootrel, w, h, no factor) written out."""
    out = pred * W / 2 / 1000
    out[:, 0] = 0
    return out


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_normalisation_matches_motionbert_codec():
    kpts = np.zeros((1, 17, 2), np.float32)
    kpts[0, 0] = [0, 0]
    kpts[0, 1] = [W, H]
    kpts[0, 2] = [W / 2, H / 2]
    x = normalize_keypoints_2d(kpts, (W, H))
    _close(x[0, 0], [-1, -H / W, 1])
    _close(x[0, 1], [1, H / W, 1])  # y / w * 2 - h / w
    _close(x[0, 2], [0, 0, 1])
    assert window_starts(40, 27, 27) == [0, 27]
    assert window_starts(54, 27, 27) == [0, 27]
    assert window_starts(40, 27, 20) == [0, 20]
    assert window_starts(10, 27, 5) == [0]


def test_sliding_windows_equal_manual(model):
    kpts = _kpts(40)
    x = normalize_keypoints_2d(kpts, (W, H))
    # stride 20: windows [0, 27) and [20, 47) -> frames 20..26 averaged,
    # frames 40..46 are copies of frame 39
    padded = np.concatenate([x, np.repeat(x[-1:], 7, 0)])
    p0, p1 = _net(model, padded[:27]), _net(model, padded[20:47])
    expect = np.concatenate([p0[:20], (p0[20:] + p1[:7]) / 2, p1[7:20]])
    out = lift_sequence(model, kpts, (W, H), stride=20, flip=False)
    assert out.shape == (40, 17, 3) and out.dtype == np.float32
    _close(out, _decode(expect))
    assert np.abs(out[20:27] - _decode(p0[20:])).max() > 1e-4  # averaged

    # default stride = T: [0, 27) and [27, 54) (14 padded frames)
    padded = np.concatenate([x, np.repeat(x[-1:], 14, 0)])
    expect = np.concatenate(
        [_net(model, padded[:27]),
         _net(model, padded[27:54])[:13]])
    _close(
        lift_sequence(model, kpts, (W, H), flip=False, batch_size=1),
        _decode(expect))


def test_shorter_than_window(model):
    kpts = _kpts(10, seed=1)
    x = normalize_keypoints_2d(kpts, (W, H))
    padded = np.concatenate([x, np.repeat(x[-1:], T - 10, 0)])
    out = lift_sequence(model, kpts, (W, H), flip=False)
    assert out.shape == (10, 17, 3)
    _close(out, _decode(_net(model, padded)[:10]))
    # a single frame works too
    assert lift_sequence(model, kpts[:1], (W, H)).shape == (1, 17, 3)


def test_units_match_mmpose_predict(model):
    """output * 2.5d factor == PoseLifter.predict's metres (no flip)."""
    from mmpose.structures import PoseDataSample
    kpts = _kpts(T, seed=6)
    factor = np.linspace(3, 5, T).astype(np.float32)
    sample = PoseDataSample(
        metainfo=dict(
            camera_param=dict(w=W, h=H), factor=factor[:, None],
            flip_indices=FLIP))
    x = torch.from_numpy(normalize_keypoints_2d(kpts, (W, H)))[None]
    model.test_cfg['flip_test'] = False
    try:
        with torch.no_grad():
            ref = model.predict(x, [sample])[0].pred_instances.keypoints[0]
    finally:
        model.test_cfg['flip_test'] = True
    out = lift_sequence(model, kpts, (W, H), flip=False)
    _close(out * factor[:, None, None], ref)


def test_flip_average_equals_manual(model):
    kpts = _kpts(T, seed=2)
    x = normalize_keypoints_2d(kpts, (W, H))
    xf = x[:, FLIP].copy()
    xf[..., 0] *= -1
    pf = _net(model, xf)[:, FLIP]  # flipped back
    pf[..., 0] *= -1
    expect = (_net(model, x) + pf) / 2
    out = lift_sequence(model, kpts, (W, H), flip=True)
    _close(out, _decode(expect))
    assert model.dataset_meta['flip_indices'] == FLIP
    assert np.abs(out - lift_sequence(model, kpts, (W, H), flip=False)).max(
    ) > 1e-4


def test_npy_and_json_inputs_agree(model, tmp_path):
    kpts = _kpts(30, seed=3)
    np.save(tmp_path / 'k.npy', kpts)
    (tmp_path / 'list.json').write_text(json.dumps(kpts.tolist()))
    (tmp_path / 'obj.json').write_text(
        json.dumps({'keypoints': kpts.tolist()}))
    a = load_keypoints_2d(tmp_path / 'k.npy')
    for name in ('list.json', 'obj.json'):
        np.testing.assert_array_equal(load_keypoints_2d(tmp_path / name), a)
    out_npy = lift_sequence(model, a, (W, H))
    out_json = lift_sequence(model, load_keypoints_2d(tmp_path / 'obj.json'),
                             (W, H))
    np.testing.assert_array_equal(out_npy, out_json)
    # missing confidence == confidence 1
    xy = kpts[..., :2]
    (tmp_path / 'xy.json').write_text(json.dumps(xy.tolist()))
    ones = np.concatenate([xy, np.ones_like(xy[..., :1])], -1)
    _close(
        lift_sequence(model, load_keypoints_2d(tmp_path / 'xy.json'), (W, H)),
        lift_sequence(model, ones, (W, H)))


def test_cli_writes_npy_and_png(model, ckpt, tmp_path):
    kpts = _kpts(40, seed=4)
    np.save(tmp_path / 'k.npy', kpts)
    proc = run_tool([
        'inference/pose3d_lift.py', CONFIG, ckpt, '--input',
        tmp_path / 'k.npy', '--image-size', W, H, '--stride', 20, '--out',
        tmp_path / 'out.npy',
        '--render', tmp_path / 'out.png', '--render-stride', 5
    ], timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = np.load(tmp_path / 'out.npy')
    assert out.shape == (40, 17, 3)
    _close(out, lift_sequence(model, kpts, (W, H), stride=20))
    img = cv2.imread(str(tmp_path / 'out.png'))
    # frames 0, 5, ..., 35: 8 panels of 240 px
    assert img.shape[:2] == (240, 8 * 240)
    assert img.std() > 0


def test_cli_mp4_with_gt_and_json_out(model, ckpt, tmp_path):
    kpts = _kpts(12, seed=5, conf=False)
    (tmp_path / 'k.json').write_text(json.dumps(kpts.tolist()))
    gt = np.random.default_rng(0).normal(size=(12, 17, 3)).astype(np.float32)
    np.save(tmp_path / 'gt.npy', gt)
    proc = run_tool([
        'inference/pose3d_lift.py', CONFIG, ckpt, '--input',
        tmp_path / 'k.json', '--image-size', '1000', '1002', '--out',
        tmp_path / 'o.json', '--render', tmp_path / 'o.mp4', '--gt',
        tmp_path / 'gt.npy', '--render-stride', '3', '--no-flip'
    ], timeout=300)
    assert proc.returncode == 0, proc.stderr
    saved = json.loads((tmp_path / 'o.json').read_text())
    _close(np.asarray(saved['keypoints_3d']),
           lift_sequence(model, load_keypoints_2d(tmp_path / 'k.json'),
                         (1000, 1002), flip=False))
    assert saved['image_size'] == [1000., 1002.]
    assert os.path.getsize(tmp_path / 'o.mp4') > 1000
    cap = cv2.VideoCapture(str(tmp_path / 'o.mp4'))
    ok, frame = cap.read()
    count = 1 + sum(1 for _ in iter(lambda: cap.read()[0], False))
    cap.release()
    assert ok and frame.shape[:2] == (240, 2 * 240)  # pred | gt
    assert count == 4  # frames 0, 3, 6, 9


def test_render_png_with_gt(tmp_path):
    pose = np.random.default_rng(1).normal(size=(30, 17, 3))
    render_skeleton_3d(
        pose, pose, tmp_path / 'a.png', stride=1, max_panels=4, panel_px=100)
    assert cv2.imread(str(tmp_path / 'a.png')).shape[:2] == (200, 400)
    with pytest.raises(ValueError, match=r'^gt: expected 30 frames'):
        render_skeleton_3d(pose, pose[:5], tmp_path / 'b.png')


def _first_line(err):
    return str(err.value).splitlines()[0]


def test_errors(model, ckpt, tmp_path):
    bad = tmp_path / 'bad.npy'
    np.save(bad, np.zeros((5, 16, 2), np.float32))
    with pytest.raises(ValueError) as err:
        load_keypoints_2d(bad)
    assert _first_line(err) == (
        f'{bad}: expected a 2D keypoint sequence of shape (N, 17, 2) or '
        '(N, 17, 3) (x, y[, score] in pixels, Human3.6M joint order), got '
        'shape (5, 16, 2)')
    ragged = tmp_path / 'ragged.json'
    ragged.write_text(json.dumps([[[1, 2]] * 17, [[1, 2]] * 16]))
    with pytest.raises(ValueError, match=f'^{ragged}: expected a 2D'):
        load_keypoints_2d(ragged)
    with pytest.raises(ValueError, match=r'^keypoints_2d: .* got shape '
                       r'\(5, 16, 3\)'):
        lift_sequence(model, np.zeros((5, 16, 3)), (W, H))
    with pytest.raises(ValueError, match=r'^stride: expected an integer in '
                       r'\[1, 27\]'):
        lift_sequence(model, _kpts(5), (W, H), stride=28)
    with pytest.raises(ValueError, match=r'^image_size: expected positive'):
        lift_sequence(model, _kpts(5), (0, H))
    missing = tmp_path / 'nope.npy'
    with pytest.raises(FileNotFoundError,
                       match=f'^keypoint file not found: {missing}'):
        load_keypoints_2d(missing)
    with pytest.raises(FileNotFoundError, match='^checkpoint file not found'):
        init_lifter(CONFIG, str(tmp_path / 'nope.pth'))

    # strict loading lists missing / unexpected keys
    sd = torch.load(ckpt, weights_only=True)
    sd['extra.weight'] = sd.pop('backbone.pos_embed')
    torch.save({'state_dict': sd, 'meta': {}}, tmp_path / 'wrong.pth')
    with pytest.raises(RuntimeError) as err:
        init_lifter(CONFIG, str(tmp_path / 'wrong.pth'))
    assert "1 missing key(s) ['backbone.pos_embed']" in _first_line(err)
    assert "1 unexpected key(s) ['extra.weight']" in _first_line(err)


class _Evil:
    marker = None

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_checkpoint_refused(ckpt, tmp_path):
    marker = tmp_path / 'pwned'
    _Evil.marker = marker
    sd = torch.load(ckpt, weights_only=True)
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': sd, 'meta': _Evil()}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        init_lifter(CONFIG, str(path))
    assert _first_line(err).startswith(f'refusing to load checkpoint {path}')
    assert 'posix.system' in str(err.value) or 'os.system' in str(err.value)
    assert not marker.exists()
    # same through the CLI: refused with a one-line error, nothing runs
    np.save(tmp_path / 'k.npy', _kpts(3))
    proc = run_tool([
        'inference/pose3d_lift.py', CONFIG, path, '--input',
        tmp_path / 'k.npy', '--image-size', '1000', '1002', '--out',
        tmp_path / 'o.npy'
    ], timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f'error: refusing to load checkpoint {path}')
    assert not marker.exists() and not (tmp_path / 'o.npy').exists()
