# Copyright (c) mmext contributors. All rights reserved.
"""MPIINF3DHPDataset on SYNTHETIC npz files."""

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmext.datasets.pose3d import MPIINF3DHPDataset
from mmext.datasets.pose3d.synthetic import generate
from mmext.structures.h36m import H36M_TO_3DHP

T = 9


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    init_default_scope('mmpose')
    out = tmp_path_factory.mktemp('d3dhp')
    generate(str(out), frames=20, formats=('3dhp', ))
    root = out / 'mpi_inf_3dhp'

    def load(name):
        return np.load(root / name, allow_pickle=True)['data'].item()

    return root, load('data_train_3dhp.npz'), load('data_test_3dhp.npz')


def test_train_clips_and_joint_order(demo):
    root, train, _ = demo
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_train_3dhp.npz'),
                           seq_len=T)
    # 4 sequences x 4 cameras; upstream stride 9: starts 0, 9, 18 -> 3
    assert len(ds) == 16 * 3
    assert ds.get_data_info(1)['frame_ids'].tolist() == list(range(9, 18))
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_train_3dhp.npz'),
                           seq_len=T, data_stride=3)
    # starts 0,3,...,18 -> 7 clips per camera
    assert len(ds) == 16 * 7
    info = ds.get_data_info(0)
    raw = train['S1 Seq1'][0]['0']
    assert info['video'] == 'S1 Seq1 cam0'
    np.testing.assert_allclose(info['keypoints'][:, 0],
                               raw['data_2d'][:9, 14])
    np.testing.assert_allclose(info['keypoints'][:, 10],
                               raw['data_2d'][:9, 0])
    np.testing.assert_allclose(info['lifting_target'],
                               raw['data_3d'][:9, list(H36M_TO_3DHP)] / 1e3)
    assert info['camera_param']['w'] == 2048.
    # last clip starts at 18: frames 18, 19 resampled to 9
    last = ds.get_data_info(6)['frame_ids']
    assert last.tolist() == [18, 18, 18, 18, 18, 19, 19, 19, 19]


def test_test_file_valid_and_pipeline(demo):
    root, _, test = demo
    pipeline = [dict(type='GenerateTarget',
                     encoder=dict(type='MotionBERTLabel', num_keypoints=17,
                                  concat_vis=True, rootrel=True)),
                dict(type='PackPoseInputs',
                     meta_keys=('camera_param', 'valid', 'video',
                                'frame_ids', 'factor', 'flip_indices'))]
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_test_3dhp.npz'),
                           seq_len=T, test_mode=True, pipeline=pipeline)
    assert len(ds) == 3 * 3  # 3 sequences, starts 0, 9, 18
    out = ds[6]  # TS5: 1920 x 1080
    meta = out['data_samples'].metainfo
    assert meta['video'] == 'TS5' and meta['camera_param']['h'] == 1080.
    np.testing.assert_array_equal(meta['valid'], test['TS5']['valid'][:9])
    d3 = test['TS5']['data_3d'][:9][:, list(H36M_TO_3DHP)]
    np.testing.assert_allclose(out['data_samples'].gt_instances.
                               lifting_target, (d3 - d3[:, :1]) / 1e3,
                               atol=1e-6)
    d2 = test['TS5']['data_2d'][:9][:, list(H36M_TO_3DHP)]
    np.testing.assert_allclose(out['inputs'][..., :2].numpy(),
                               d2 / 1920 * 2 - [1, 1080 / 1920], atol=1e-6)


def test_errors(demo, tmp_path):
    bad = tmp_path / 'bad.npz'
    np.savez(bad, poses=np.zeros(3))
    with pytest.raises(KeyError, match=r"3dhp npz .*bad.npz: missing key "
                       r"'data'"):
        MPIINF3DHPDataset(ann_file=str(bad), seq_len=T)
    np.savez(bad, data=dict(TS1=dict(data_2d=np.zeros((4, 17, 2)),
                                     data_3d=np.zeros((4, 17, 3)))))
    with pytest.raises(KeyError, match=r"missing key 'valid' under 'TS1'"):
        MPIINF3DHPDataset(ann_file=str(bad), seq_len=T)
    np.savez(bad, data=dict(TS1=dict(data_2d=np.zeros((4, 15, 2)),
                                     data_3d=np.zeros((4, 17, 3)),
                                     valid=np.ones(4))))
    with pytest.raises(ValueError, match="'data_2d' has 15 joints"):
        MPIINF3DHPDataset(ann_file=str(bad), seq_len=T)
    with pytest.raises(FileNotFoundError, match='3dhp npz .*: file not'):
        MPIINF3DHPDataset(ann_file=str(tmp_path / 'x.npz'), seq_len=T)


def test_center_frame_protocol_windows(demo):
    """One edge-padded window per VALID frame, centre scored (P-STMO /
    MotionAGFormer train_3dhp.py evaluation), hand-computed."""
    root, _, test = demo
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_test_3dhp.npz'),
                           seq_len=T, test_mode=True,
                           test_protocol='center_frame')
    n_valid = sum(int((test[s]['valid'] > 0).sum()) for s in test)
    assert n_valid < 60 and len(ds) == n_valid
    by_frame = {}
    for k in range(len(ds)):
        info = ds.get_data_info(k)
        fid = int(info['frame_ids'][4])
        assert info['valid'].tolist() == [0] * 4 + [1] + [0] * 4
        by_frame[(info['video'], fid)] = info['frame_ids'].tolist()
    valid = {s: np.flatnonzero(test[s]['valid'] > 0).tolist() for s in test}
    assert sorted(by_frame) == sorted((s, f) for s in test
                                      for f in valid[s])
    # windows of 4 frames each side, repeating the first / last frame
    seq = next(s for s in sorted(test) if 0 in valid[s])
    assert by_frame[(seq, 0)] == [0, 0, 0, 0, 0, 1, 2, 3, 4]
    seq = next(s for s in sorted(test) if 19 in valid[s])
    assert by_frame[(seq, 19)] == [15, 16, 17, 18, 19, 19, 19, 19, 19]
    seq = next(s for s in sorted(test) if 10 in valid[s])
    assert by_frame[(seq, 10)] == list(range(6, 15))


def test_center_frame_protocol_scores_centre_frames_once(demo):
    """Through the metric: errors off-centre are ignored, each valid frame
    counted once; hand-computed PCK / MPJPE."""
    from mmext.evaluation.pose3d import PCK3DMetric
    root, _, test = demo
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_test_3dhp.npz'),
                           seq_len=T, test_mode=True,
                           test_protocol='center_frame')
    metric = PCK3DMetric()
    samples = []
    for k in range(len(ds)):
        info = ds.get_data_info(k)
        gt = info['lifting_target']
        pred = gt.copy()
        pred[np.arange(T) != 4, 3] += 5.  # r_ankle 5 m off off-centre
        pred[4, 14, 0] += 0.2  # r_shoulder (a PCK joint) 200 mm off
        if k == 0:
            pred[4, 16, 1] += 5.  # r_wrist 5 m off at one centre frame
        samples.append(dict(
            pred_instances=dict(keypoints=pred[None]),
            gt_instances=dict(lifting_target=gt), video=info['video'],
            action=info['action'], valid=info['valid'],
            frame_ids=info['frame_ids']))
    metric.process([], samples)
    res = metric.compute_metrics(metric.results)
    n = sum(int((test[s]['valid'] > 0).sum()) for s in test)
    # every valid frame once: r_shoulder fails everywhere, r_wrist once
    assert res['PCK'] == pytest.approx((13 * n - 1) / (14 * n) * 100)
    assert res['MPJPE'] == pytest.approx(200 / 17 + 5000 / (17 * n))


def test_3dhp_joint_order_keeps_the_file_order(demo):
    root, train, test = demo
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_train_3dhp.npz'),
                           seq_len=T, joint_order='3dhp')
    info = ds.get_data_info(0)
    raw = train['S1 Seq1'][0]['0']
    np.testing.assert_allclose(info['keypoints'], raw['data_2d'][:9])
    np.testing.assert_allclose(info['lifting_target'],
                               raw['data_3d'][:9] / 1e3)
    # 3DHP left/right: shoulders..wrists 2-4 <-> 5-7, hips..ankles
    # 8-10 <-> 11-13 (upstream's joints_left / joints_right)
    assert list(info['flip_indices']) == [0, 1, 5, 6, 7, 2, 3, 4, 11, 12,
                                          13, 8, 9, 10, 14, 15, 16]
    # root 14 through the codec: root-relative GT at joint 14
    pipeline = [dict(type='GenerateTarget',
                     encoder=dict(type='MotionBERTLabel', num_keypoints=17,
                                  concat_vis=True, root_index=14)),
                dict(type='PackPoseInputs', meta_keys=('valid', 'video'))]
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_test_3dhp.npz'),
                           seq_len=T, test_mode=True, joint_order='3dhp',
                           pipeline=pipeline)
    d3 = test['TS1']['data_3d'][:9]
    np.testing.assert_allclose(
        ds[0]['data_samples'].gt_instances.lifting_target,
        (d3 - d3[:, 14:15]) / 1e3, atol=1e-6)


def test_protocol_errors(demo):
    root, _, _ = demo
    test = str(root / 'data_test_3dhp.npz')
    with pytest.raises(ValueError, match='needs an odd seq_len'):
        MPIINF3DHPDataset(ann_file=test, seq_len=8,
                          test_protocol='center_frame')
    with pytest.raises(ValueError, match="test_protocol='x' is not one of"):
        MPIINF3DHPDataset(ann_file=test, seq_len=T, test_protocol='x')
    with pytest.raises(ValueError, match="joint_order='coco' is not one"):
        MPIINF3DHPDataset(ann_file=test, seq_len=T, joint_order='coco')
    with pytest.raises(ValueError, match='is a train file'):
        MPIINF3DHPDataset(ann_file=str(root / 'data_train_3dhp.npz'),
                          seq_len=T, test_protocol='center_frame')
