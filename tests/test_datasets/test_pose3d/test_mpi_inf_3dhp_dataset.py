# Copyright (c) mmext contributors. All rights reserved.
"""MPIINF3DHPDataset on SYNTHETIC npz files."""
import os
import sys

import numpy as np
import pytest
from mmengine.registry import init_default_scope

sys.path.insert(0, os.path.dirname(__file__))
from pose3d_demo_utils import load_generator  # noqa: E402

from mmext.datasets.pose3d import H36M_TO_3DHP, MPIINF3DHPDataset  # noqa

T = 9


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    init_default_scope('mmpose')
    out = tmp_path_factory.mktemp('d3dhp')
    load_generator().generate(str(out), frames=20, formats=('3dhp', ))
    root = out / 'mpi_inf_3dhp'

    def load(name):
        return np.load(root / name, allow_pickle=True)['data'].item()

    return root, load('data_train_3dhp.npz'), load('data_test_3dhp.npz')


def test_train_clips_and_joint_order(demo):
    root, train, _ = demo
    ds = MPIINF3DHPDataset(ann_file=str(root / 'data_train_3dhp.npz'),
                           seq_len=T)
    # 4 sequences x 4 cameras; starts 0,3,...,18 -> 7 clips per camera
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
