# Copyright (c) mmext contributors. All rights reserved.
"""tools/inference/pose3d_video.py and mmext.apis.video end to end on a
generated video with tiny random-weight models (see video_fixtures.py)."""
import json
import sys

import cv2
import numpy as np
import pytest
from video_fixtures import (CAUSAL_CFG, DET_CFG, LIFTER_CFG, MPII_CFG,
                            POSE_CFG, ROOT)

import mmext  # noqa: F401

pytest.importorskip('mmcv.ops', reason='mmdet / mmpose models need mmcv ops')
sys.path.insert(0, str(ROOT / 'tools' / 'inference'))
import pose3d_video

from mmext.apis import init_lifter, lift_sequence
from mmext.apis.video import StreamingLifter, coco_to_h36m, is_causal
from mmext.testing.video import (make_detector_checkpoint,
                                 make_lifter_checkpoint, make_pose_checkpoint,
                                 write_synthetic_video)

N = 30  # frames of the test video
T = 27  # lifter window
W, H = 160, 120


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pose3d_video')
    return dict(
        tmp=tmp,
        video=write_synthetic_video(tmp / 'walk.mp4', N, (W, H)),
        det=make_detector_checkpoint(DET_CFG, tmp / 'det.pth'),
        pose=make_pose_checkpoint(POSE_CFG, tmp / 'pose.pth'),
        lifter=make_lifter_checkpoint(LIFTER_CFG, tmp / 'lifter.pth'))


def _args(files, out_dir, *extra, video=None):
    return [
        video or files['video'], LIFTER_CFG, files['lifter'], '--det-config',
        DET_CFG, '--det-checkpoint', files['det'], '--pose2d-config',
        POSE_CFG, '--pose2d-checkpoint', files['pose'], '--out-dir',
        str(out_dir), '--quiet', *extra
    ]


def _frame_count(path):
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    cap.release()
    return count, size


@pytest.fixture(scope='module')
def offline(files):
    out = files['tmp'] / 'offline'
    result, paths = pose3d_video.main(_args(files, out))
    return result, paths


def test_offline_outputs(files, offline, capsys):
    result, paths = offline
    pred = np.load(paths['npy_3d'])
    coco = np.load(paths['npy_2d'])
    assert pred.shape == (N, 17, 3) and coco.shape == (N, 17, 3)
    # the fixed-size detector finds a person in every frame
    assert result['present'][0].all() and result['valid'][0].all()
    assert np.isfinite(pred).all()
    np.testing.assert_array_equal(pred[:, 0], 0)  # root-relative
    # the chain: 3D == lift_sequence(COCO -> H36M of the written 2D)
    model = init_lifter(LIFTER_CFG, files['lifter'])
    expect = lift_sequence(model, coco_to_h36m(coco), (W, H))
    np.testing.assert_allclose(pred, expect, rtol=1e-5, atol=1e-6)
    with open(paths['json']) as f:
        meta = json.load(f)
    assert meta['num_frames'] == N and meta['image_size'] == [W, H]
    assert len(meta['persons']) == 1
    person = meta['persons'][0]
    assert person['frames_detected'] == N and person['long_gaps'] == []
    np.testing.assert_allclose(person['keypoints_3d'], pred, rtol=1e-6)
    assert set(meta['timings']) >= {'detect', 'track', 'pose2d', 'lift'}
    # a checkpoint without meta['keypoint_convention']: MotionBERT's
    assert (meta['keypoint_convention'], meta['tail']) == ('motionbert',
                                                           'pad')
    count, size = _frame_count(paths['mp4'])
    assert count == N
    assert size[1] == H and size[0] > W  # video | 3D panel


def test_motionagformer_demo_convention(files, offline):
    """--keypoint-convention motionagformer-demo: MHFormer's COCO -> H36M
    and, by default, the official demo's resampled tail."""
    from mmext.apis.video.keypoints import coco_to_h36m_motionagformer_demo
    out = files['tmp'] / 'demo_convention'
    result, paths = pose3d_video.main(
        _args(files, out, '--no-render', '--keypoint-convention',
              'motionagformer-demo'))
    coco = np.load(paths['npy_2d'])
    model = init_lifter(LIFTER_CFG, files['lifter'])
    expect = lift_sequence(model, coco_to_h36m_motionagformer_demo(coco),
                           (W, H), tail='resample')
    np.testing.assert_allclose(np.load(paths['npy_3d']), expect, rtol=1e-5,
                               atol=1e-6)
    with open(paths['json']) as f:
        meta = json.load(f)
    assert (meta['keypoint_convention'], meta['tail']) == (
        'motionagformer-demo', 'resample')
    # the 2D is the same; the 3D differs from the MotionBERT convention's
    np.testing.assert_array_equal(coco, np.load(offline[1]['npy_2d']))
    assert np.abs(expect - np.load(offline[1]['npy_3d'])).max() > 1e-4


def test_all_persons(files):
    out = files['tmp'] / 'all'
    result, paths = pose3d_video.main(
        _args(files, out, '--all', '--no-render', '--det-cfg-options',
              'model.test_cfg.max_per_img=3'))
    pred = np.load(paths['npy_3d'])
    num_p = len(result['track_ids'])
    assert num_p >= 1 and pred.shape == (num_p, N, 17, 3)
    assert result['detections_per_frame'].max() > 1
    # frames outside a person's valid frames are NaN, inside finite
    for p in range(num_p):
        valid = result['valid'][p]
        assert np.isfinite(pred[p][valid]).all()
        assert np.isnan(pred[p][~valid]).all()
    weights = [result['present'][p].sum() for p in range(num_p)]
    assert weights[0] > 0


def test_stream_matches_offline(files, offline):
    """--stream on the same video: the pose of frame k (window 0..T-1,
    no padding) equals the offline tool's (stride T, same window)."""
    out = files['tmp'] / 'stream'
    poses, paths = pose3d_video.main(_args(files, out, '--stream'))
    pred = np.load(offline[1]['npy_3d'])
    k = T - 1 - T // 2
    assert poses.shape == (N, 17, 3) and np.isfinite(poses).all()
    np.testing.assert_allclose(poses[k], pred[k], rtol=1e-5, atol=1e-6)
    with open(paths['json']) as f:
        meta = json.load(f)
    assert meta['latency_frames'] == T // 2 and not meta['causal_lifter']


def test_streaming_lifter_latency_and_windows(files):
    model = init_lifter(LIFTER_CFG, files['lifter'])
    rng = np.random.default_rng(0)
    kpts = np.concatenate(
        [rng.uniform(20, 140, (40, 17, 2)),
         rng.uniform(0.3, 1, (40, 17, 1))], -1).astype(np.float32)
    stream = StreamingLifter(model, (W, H))
    latency, k = T // 2, T - 1 - T // 2
    assert not stream.causal and stream.latency == latency
    outs = [stream.push(p) for p in kpts]
    assert all(o is None for o in outs[:latency])
    assert [o[0] for o in outs[latency:]] == list(range(40 - latency))
    tail = stream.flush()
    assert [t[0] for t in tail] == list(range(40 - latency, 40))
    # mid-sequence: exactly the offline lifting of the same window
    for t in (k, 20, 40 - 1 - latency):
        ref = lift_sequence(model, kpts[t - k:t - k + T], (W, H))[k]
        np.testing.assert_allclose(
            outs[t + latency][1], ref, rtol=1e-5, atol=1e-6)
    # the last frame: the window padded with the last frame, as offline
    padded = np.concatenate([kpts[40 - 1 - k:], np.repeat(kpts[-1:], latency,
                                                          0)])
    ref = lift_sequence(model, padded, (W, H))[k]
    np.testing.assert_allclose(tail[-1][1], ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r'latency: expected an integer in'):
        StreamingLifter(model, (W, H), latency=T)


def test_causal_lifter_zero_latency(files):
    path = make_lifter_checkpoint(CAUSAL_CFG, files['tmp'] / 'causal.pth')
    model = init_lifter(CAUSAL_CFG, path)
    assert is_causal(model)
    stream = StreamingLifter(model, (W, H))
    assert stream.latency == 0
    rng = np.random.default_rng(1)
    kpts = rng.uniform(20, 140, (T + 3, 17, 2)).astype(np.float32)
    outs = [stream.push(p) for p in kpts]
    assert [o[0] for o in outs] == list(range(T + 3))  # no delay
    for f in (T - 1, T + 2):
        ref = lift_sequence(model, kpts[f - T + 1:f + 1], (W, H))[T - 1]
        np.testing.assert_allclose(outs[f][1], ref, rtol=1e-5, atol=1e-6)
    assert stream.flush() == []


def _error(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        pose3d_video.main(argv)
    return str(exc.value.code)


def test_bad_input(files, tmp_path, capsys):
    bad = tmp_path / 'broken.mp4'
    bad.write_text('not a video')
    msg = _error(capsys, _args(files, tmp_path, video=str(bad)))
    assert msg.startswith('error: ') and str(bad) in msg
    assert 'cannot read the video' in msg

    argv = _args(files, tmp_path)
    i = argv.index('--det-checkpoint')
    msg = _error(capsys, argv[:i] + argv[i + 2:])
    assert msg == (f'error: --det-checkpoint is required with config '
                   f'{DET_CFG}: give the path of the weights you have '
                   'locally (an OpenMMLab model-zoo .pth works); nothing is '
                   'downloaded and random weights are not used')

    argv[i + 1] = 'https://download.openmmlab.com/x.pth'
    msg = _error(capsys, argv)
    assert 'must be a local file; mmext downloads nothing' in msg

    mpii = make_pose_checkpoint(MPII_CFG, tmp_path / 'mpii.pth')
    argv = _args(files, tmp_path)
    j = argv.index('--pose2d-config')
    argv[j + 1:j + 4:2] = [MPII_CFG, mpii]
    msg = _error(capsys, argv)
    assert msg.startswith(f'error: --pose2d-config {MPII_CFG}: the 2D model '
                          'predicts 16 keypoints of "mpii"')
    assert 'COCO body keypoints' in msg
