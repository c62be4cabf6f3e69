# Copyright (c) mmext contributors. All rights reserved.
"""The SYNTHETIC demo generator writes the real formats consistently."""
import os
import pickle

import numpy as np
import pytest

from mmext.datasets.pose3d import synthetic as gen
from mmext.datasets.pose3d.utils import split_clips
from mmext.structures.h36m import H36M_CAMERA_RESOLUTION, H36M_CAMERAS


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp('h36m_demo')
    summary = gen.generate(str(out), frames=40, clip_lens=(9, ))
    return out, summary


def _pkl(out):
    with open(out / 'motion3d' / 'h36m_sh_conf_cam_source_final.pkl',
              'rb') as f:
        return pickle.load(f)


def test_pickle_keys_and_shapes(demo):
    out, summary = demo
    d = _pkl(out)
    # keys of the real file (train lacks the evaluation-only keys)
    assert set(d['train']) == {'joint_2d', 'confidence', 'joint3d_image',
                               'camera_name', 'source'}
    assert set(d['test']) == set(d['train']) | {
        'joints_2.5d_image', '2.5d_factor', 'action'}
    # 2 train subjects x 5 actions x 4 cameras x 40 frames
    assert d['train']['joint_2d'].shape == (1600, 17, 2)
    assert d['train']['confidence'].shape == (1600, 17, 1)
    assert d['test']['joint3d_image'].shape == (800, 17, 3)
    assert d['test']['2.5d_factor'].shape == (800, )
    assert summary['frames'] == {'train': 1600, 'test': 800}
    subj = {s.split('_act')[0] for s in d['train']['source']}
    assert subj == {'s_01', 's_05'}
    assert {s.split('_act')[0] for s in d['test']['source']} == {'s_09'}
    assert set(d['test']['camera_name']) == set(H36M_CAMERAS)


def test_25d_image_space_matches_camera_space(demo):
    """joint3d_image / 2.5d_factor follow lcn-pose camera_to_image_frame."""
    out, _ = demo
    d = _pkl(out)['test']
    npz = np.load(out / 'annotation_body3d' / 'fps50' / 'h36m_test.npz')
    with open(out / 'annotation_body3d' / 'cameras.pkl', 'rb') as f:
        cams = pickle.load(f)
    S = npz['S'][..., :3] * 1000.  # camera mm, same frame order
    fx = np.array([cams[('S9', c)]['f'][0, 0] for c in d['camera_name']])
    c = np.stack([cams[('S9', n)]['c'][:, 0] for n in d['camera_name']])
    f = np.stack([cams[('S9', n)]['f'][:, 0] for n in d['camera_name']])
    zr = S[:, 0, 2]
    factor = 2000. / (fx * 2000. / zr + 1.)
    np.testing.assert_allclose(d['2.5d_factor'], factor, rtol=1e-5)
    xy = S[..., :2] / S[..., 2:] * f[:, None] + c[:, None]
    np.testing.assert_allclose(d['joint3d_image'][..., :2], xy, atol=1e-2)
    depth = (S[..., 2] - zr[:, None]) / factor[:, None]
    np.testing.assert_allclose(d['joint3d_image'][..., 2], depth, atol=1e-3)
    np.testing.assert_allclose(
        d['joints_2.5d_image'],
        d['joint3d_image'] * d['2.5d_factor'][:, None, None], rtol=1e-5)


def test_skeleton_and_noise_are_plausible(demo):
    out, _ = demo
    npz = np.load(out / 'annotation_body3d' / 'fps50' / 'h36m_train.npz')
    S = npz['S'][..., :3] * 1000.
    thigh = np.linalg.norm(S[:, 2] - S[:, 1], axis=-1)  # r_hip -> r_knee
    assert 380 < thigh.min() and thigh.max() < 520
    # rigid bones: constant within a video (first 40 frames = one video)
    assert thigh[:40].std() < 1e-2
    d = _pkl(out)['train']
    err = np.linalg.norm(d['joint_2d'] - d['joint3d_image'][..., :2], axis=-1)
    assert 2. < err.mean() < 15.
    conf = d['confidence'][..., 0]
    assert np.corrcoef(err.ravel(), conf.ravel())[0, 1] < -0.5
    assert 0.05 <= conf.min() and conf.max() <= 1.


def test_precut_clips_match_pickle(demo):
    out, summary = demo
    d = _pkl(out)
    for split, stride in (('train', 3), ('test', 9)):
        clips = split_clips(list(d[split]['source']), 9, stride)
        files = sorted(os.listdir(out / 'motion3d' / 'H36M-9' / split))
        # 40-frame videos: train (40-9)//3+1 = 11 clips, test 4 clips
        per_video = 11 if split == 'train' else 4
        n_videos = 40 if split == 'train' else 20
        assert len(files) == len(clips) == per_video * n_videos
        with open(out / 'motion3d' / 'H36M-9' / split / files[5], 'rb') as f:
            clip = pickle.load(f)
        ids = clips[5]
        wh = np.array([H36M_CAMERA_RESOLUTION[c]
                       for c in d[split]['camera_name'][ids]], np.float32)
        x = d[split]['joint_2d'][ids]
        exp = x / wh[:, None, :1] * 2 - np.stack(
            [np.ones(9), wh[:, 1] / wh[:, 0]], -1)[:, None]
        np.testing.assert_allclose(clip['data_input'][..., :2], exp,
                                   atol=1e-6)
        np.testing.assert_allclose(clip['data_input'][..., 2],
                                   d[split]['confidence'][ids][..., 0])
        np.testing.assert_allclose(
            clip['data_label'][..., 2],
            d[split]['joint3d_image'][ids][..., 2] / wh[:, None, 0] * 2,
            atol=1e-6)


def test_3dhp_files_layout(demo):
    out, _ = demo
    tr = np.load(out / 'mpi_inf_3dhp' / 'data_train_3dhp.npz',
                 allow_pickle=True)['data'].item()
    te = np.load(out / 'mpi_inf_3dhp' / 'data_test_3dhp.npz',
                 allow_pickle=True)['data'].item()
    assert set(tr) == {'S1 Seq1', 'S1 Seq2', 'S2 Seq1', 'S2 Seq2'}
    cams, fps = tr['S1 Seq1']
    assert fps == 25 and set(cams) == {'0', '1', '2', '4'}
    assert cams['0']['data_2d'].shape == (40, 17, 2)
    assert cams['0']['data_3d'].shape == (40, 17, 3)
    assert set(te) == {'TS1', 'TS2', 'TS5'}
    assert set(te['TS5']) == {'data_2d', 'data_3d', 'valid'}
    # root (3DHP index 14 = pelvis) ~ 4-6 m in front of the camera
    assert 3500 < te['TS1']['data_3d'][:, 14, 2].mean() < 7000


def test_deterministic_and_errors(tmp_path):
    a = gen.generate(str(tmp_path / 'a'), frames=12, clip_lens=(9, ),
                     formats=('motionbert', ), seed=3)
    b = gen.generate(str(tmp_path / 'b'), frames=12, clip_lens=(9, ),
                     formats=('motionbert', ), seed=3)
    with open(a['motionbert_pkl'], 'rb') as f1, open(b['motionbert_pkl'],
                                                     'rb') as f2:
        da, db = pickle.load(f1), pickle.load(f2)
    np.testing.assert_array_equal(da['test']['joint_2d'],
                                  db['test']['joint_2d'])
    with pytest.raises(ValueError, match=r'--actions: unknown action'):
        gen.generate(str(tmp_path / 'c'), actions=('Juggling', ))
    with pytest.raises(ValueError, match=r'both --train-subjects and'):
        gen.generate(str(tmp_path / 'c'), train_subjects=('S1', ),
                     test_subjects=('S1', ))
