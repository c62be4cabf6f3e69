# Copyright (c) mmext contributors. All rights reserved.
"""H36MMotionBERTDataset on SYNTHETIC demo data through mmpose's pipeline."""
import pickle

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmext.datasets.pose3d import H36MMotionBERTDataset, split_clips
from mmext.datasets.pose3d.synthetic import generate
from mmext.structures.h36m import H36M_FLIP_INDICES

T = 9
TRAIN_CODEC = dict(type='MotionBERTLabel', num_keypoints=17, concat_vis=True,
                   mode='train')
VAL_CODEC = dict(type='MotionBERTLabel', num_keypoints=17, concat_vis=True,
                 rootrel=True)
META = ('id', 'target_img_path', 'flip_indices', 'factor', 'camera_param',
        'action', 'video', 'frame_ids')


def train_pipeline(flip_prob):
    return [
        dict(type='GenerateTarget', encoder=TRAIN_CODEC),
        dict(type='RandomFlipAroundRoot',
             keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
             target_flip_cfg=dict(center_mode='static', center_x=0.),
             flip_label=True, flip_prob=flip_prob),
        dict(type='PackPoseInputs', meta_keys=META)
    ]


VAL_PIPELINE = [dict(type='GenerateTarget', encoder=VAL_CODEC),
                dict(type='PackPoseInputs', meta_keys=META)]

# Written out here, not imported from the loader: image sizes per camera as
# in MotionBERT's lib/data/datareader_h36m.py.
CAMERA_WH = {'54138969': (1000, 1002), '55011271': (1000, 1000),
             '58860488': (1000, 1000), '60457274': (1000, 1002)}


def reference_clips(sources, n_frames, stride):
    """MotionBERT's clip cutting, re-derived independently of the loader:
    per video (a run of equal ``source``), clips of ``n_frames`` start at
    the video's first frame and every ``stride`` frames while they fit.
    Only for videos of at least ``n_frames`` frames (the demo's case)."""
    src = np.asarray(sources)
    cuts = np.flatnonzero(src[1:] != src[:-1]) + 1
    bounds = [0, *cuts.tolist(), len(src)]
    clips = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        assert b - a >= n_frames
        clips += [np.arange(st, st + n_frames)
                  for st in range(a, b - n_frames + 1, stride)]
    return clips


def reference_normalized(raw_split, ids):
    """MotionBERT's input / root-relative label of the frames ``ids``."""
    wh = np.array([CAMERA_WH[str(c)] for c in raw_split['camera_name'][ids]],
                  np.float64)
    w, h = wh[:, :1], wh[:, 1:]
    xy = raw_split['joint_2d'][ids]
    inp = np.concatenate([
        xy[..., :1] / w[:, None] * 2 - 1,
        xy[..., 1:2] / w[:, None] * 2 - h[:, None] / w[:, None],
        raw_split['confidence'][ids]
    ], -1)
    j3 = raw_split['joint3d_image'][ids]
    lab = np.concatenate([
        j3[..., :1] / w[:, None] * 2 - 1,
        j3[..., 1:2] / w[:, None] * 2 - h[:, None] / w[:, None],
        j3[..., 2:] / w[:, None] * 2
    ], -1)
    return inp, lab - lab[:, :1]


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    init_default_scope('mmpose')
    out = tmp_path_factory.mktemp('h36m_demo')
    generate(str(out), frames=20, clip_lens=(T, ),
             formats=('motionbert', 'clips'))
    pkl = out / 'motion3d' / 'h36m_sh_conf_cam_source_final.pkl'
    with open(pkl, 'rb') as f:
        raw = pickle.load(f)
    return out, str(pkl), raw


def test_split_clips_hand_computed():
    clips = split_clips(['a'] * 5 + ['b'] * 2 + ['c'] * 3, 3, 1)
    # short video 'b' is resampled: floor([0, 2/3, 4/3]) + 5
    assert [c.tolist() for c in clips] == [[0, 1, 2], [1, 2, 3], [2, 3, 4],
                                           [5, 5, 6], [7, 8, 9]]
    # as in MotionBERT, a short LAST video is never emitted
    assert len(split_clips(['a'] * 3 + ['b'] * 2, 3, 1)) == 1
    # stride 2 drops the tail frame 4 of video 'a'
    assert [c.tolist() for c in split_clips(['a'] * 5, 3, 2)] == [[0, 1, 2],
                                                                  [2, 3, 4]]


def test_pickle_mode_clips_and_sample(demo):
    out, pkl, raw = demo
    ds = H36MMotionBERTDataset(ann_file=pkl, seq_len=T, split='train')
    # 40 train videos of 20 frames, stride 3: (20 - 9) // 3 + 1 = 4 each
    assert len(ds) == 160 and ds.resolved_mode == 'pickle'
    ref = reference_clips(raw['train']['source'], T, 3)
    assert len(ref) == 160
    for k in (0, 3, 4, 5, 159):
        np.testing.assert_array_equal(ds.get_data_info(k)['frame_ids'],
                                      ref[k])
    # by hand: clip 5 = video 1 (frames 20-39), second clip -> 23..31
    np.testing.assert_array_equal(ref[5], np.arange(23, 32))
    info = ds.get_data_info(5)
    ids = np.arange(23, 32)
    np.testing.assert_array_equal(info['frame_ids'], ids)
    np.testing.assert_allclose(info['keypoints'],
                               raw['train']['joint_2d'][ids])
    np.testing.assert_allclose(info['keypoints_visible'],
                               raw['train']['confidence'][ids][..., 0])
    np.testing.assert_allclose(info['lifting_target'],
                               raw['train']['joint3d_image'][ids] / 1000.,
                               rtol=1e-6)
    assert list(info['flip_indices']) == list(H36M_FLIP_INDICES)
    assert info['camera_param']['w'] == 1000.
    assert info['action'] == 'Directions' and info['subject'] == 'S1'
    test = H36MMotionBERTDataset(ann_file=pkl, seq_len=T, test_mode=True)
    assert len(test) == 20 * 2  # 20 videos, stride 9 -> 2 clips each
    tref = reference_clips(raw['test']['source'], T, T)
    for k in range(len(test)):
        np.testing.assert_array_equal(test.get_data_info(k)['frame_ids'],
                                      tref[k])
    # by hand: video 3 = frames 60-79, clips start at 60 and 69
    np.testing.assert_array_equal(tref[7], np.arange(69, 78))
    tinfo = test.get_data_info(0)
    np.testing.assert_allclose(
        tinfo['factor'], raw['test']['2.5d_factor'][tinfo['frame_ids']])
    assert tinfo['target_img_path'][0] == 'S9_Directions.54138969_000001'


def test_val_pipeline_gives_25d_targets_and_motionbert_inputs(demo):
    _, pkl, raw = demo
    ds = H36MMotionBERTDataset(ann_file=pkl, seq_len=T, test_mode=True,
                               pipeline=VAL_PIPELINE)
    out = ds[3]
    ids = out['data_samples'].metainfo['frame_ids']
    x = out['inputs'].numpy()
    assert x.shape == (T, 17, 3)
    cam = out['data_samples'].metainfo['camera_param']
    w, h = cam['w'], cam['h']
    np.testing.assert_allclose(
        x[..., :2], raw['test']['joint_2d'][ids] / w * 2 - [1, h / w],
        atol=1e-6)
    np.testing.assert_allclose(x[..., 2],
                               raw['test']['confidence'][ids][..., 0])
    # ground truth = MotionBERT's joints_2.5d_image, root-relative, metres
    gt25 = raw['test']['joints_2.5d_image'][ids]
    np.testing.assert_allclose(
        out['data_samples'].gt_instances.lifting_target,
        (gt25 - gt25[:, :1]) / 1000., atol=1e-5)


def test_decoding_a_perfect_prediction_gives_zero_error(demo):
    """Normalised GT -> codec decode (x w/2, x 2.5d factor) -> metric = 0."""
    from mmpose.registry import KEYPOINT_CODECS

    from mmext.evaluation.pose3d import Pose3DMetric
    out_dir, pkl, raw = demo
    ds = H36MMotionBERTDataset(ann_file=pkl, seq_len=T, test_mode=True,
                               pipeline=VAL_PIPELINE)
    codec = KEYPOINT_CODECS.build(VAL_CODEC)
    with open(out_dir / 'motion3d' / f'H36M-{T}' / 'test' / '00000003.pkl',
              'rb') as f:
        label = pickle.load(f)['data_label']  # normalised joint3d_image
    # the model is trained on root-relative normalised targets
    label = label - label[:, :1]
    s = ds[3]['data_samples']
    m = s.metainfo
    w, h = np.array([m['camera_param']['w']]), np.array([m['camera_param']
                                                         ['h']])
    pred, _ = codec.decode(label[None], w=w, h=h, factor=m['factor'][None])
    sample = dict(pred_instances=dict(keypoints=pred),
                  gt_instances=dict(lifting_target=s.gt_instances.
                                    lifting_target),
                  action=m['action'], video=m['video'],
                  frame_ids=m['frame_ids'])
    metric = Pose3DMetric()
    metric.process([], [sample])
    assert metric.compute_metrics(metric.results)['MPJPE'] < 0.01  # mm
    # without the 2.5d factor the same prediction is far off
    pred_nf, _ = codec.decode(label[None], w=w, h=h)
    sample['pred_instances'] = dict(keypoints=pred_nf)
    metric = Pose3DMetric()
    metric.process([], [sample])
    assert metric.compute_metrics(metric.results)['MPJPE'] > 50.


def test_train_pipeline_matches_independent_clips(demo):
    """Both loader modes against inputs / labels computed here from the raw
    pickle (clip 7 = video 1, fourth clip: frames 29..37 by hand)."""
    out_dir, pkl, raw = demo
    clip_dir = str(out_dir / 'motion3d' / f'H36M-{T}')
    ids = np.arange(29, 38)
    np.testing.assert_array_equal(
        reference_clips(raw['train']['source'], T, 3)[7], ids)
    exp_inp, exp_lab = reference_normalized(raw['train'], ids)
    for kwargs in (dict(ann_file=pkl), dict(ann_file=clip_dir)):
        ds = H36MMotionBERTDataset(seq_len=T, split='train',
                                   pipeline=train_pipeline(0.), **kwargs)
        assert len(ds) == 160
        out = ds[7]
        np.testing.assert_allclose(out['inputs'].numpy(), exp_inp,
                                   atol=2e-6)
        np.testing.assert_allclose(
            out['data_samples'].gt_instance_labels.lifting_target_label,
            exp_lab, atol=2e-6)
    # flip: x negated, left/right swapped (MotionBERT flip_data), with the
    # swap pairs written out (H36M: 1-3 <-> 4-6, 11-13 <-> 14-16)
    ds = H36MMotionBERTDataset(ann_file=clip_dir, seq_len=T, split='train',
                               pipeline=train_pipeline(1.))
    x = ds[7]['inputs'].numpy()
    swap = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]
    assert list(H36M_FLIP_INDICES) == swap
    exp = exp_inp[:, swap].copy()
    exp[..., 0] *= -1
    np.testing.assert_allclose(x, exp, atol=2e-6)


def test_clips_mode_test_split_needs_meta(demo):
    out_dir, pkl, _ = demo
    clip_dir = str(out_dir / 'motion3d' / f'H36M-{T}')
    with pytest.raises(ValueError, match='needs meta_file'):
        H36MMotionBERTDataset(ann_file=clip_dir, seq_len=T, test_mode=True)
    ds = H36MMotionBERTDataset(ann_file=clip_dir, meta_file=pkl, seq_len=None,
                               test_mode=True)
    ref = H36MMotionBERTDataset(ann_file=pkl, seq_len=T, test_mode=True)
    assert ds.seq_len == T and len(ds) == len(ref)
    a, b = ds.get_data_info(4), ref.get_data_info(4)
    np.testing.assert_allclose(a['factor'], b['factor'])
    np.testing.assert_allclose(a['keypoints'], b['keypoints'], atol=1e-3)
    assert a['action'] == b['action']


def _bad(tmp_path, raw, **change):
    d = {s: dict(v) for s, v in raw.items()}
    for key, val in change.items():
        if val is None:
            del d['train'][key]
        else:
            d['train'][key] = val
    path = tmp_path / 'bad.pkl'
    with open(path, 'wb') as f:
        pickle.dump(d, f)
    return str(path)


def test_errors_name_file_and_key(demo, tmp_path):
    _, pkl, raw = demo
    missing = str(tmp_path / 'nope.pkl')
    with pytest.raises(FileNotFoundError) as e:
        H36MMotionBERTDataset(ann_file=missing, seq_len=T)
    assert str(e.value).splitlines()[0] == (
        f'h36m pickle {missing}: file not found')
    path = _bad(tmp_path, raw, joint3d_image=None)
    with pytest.raises(KeyError) as e:
        H36MMotionBERTDataset(ann_file=path, seq_len=T)
    assert f"h36m pickle {path}: missing key 'joint3d_image' under " \
        "'train' (expected keys:" in str(e.value)
    path = _bad(tmp_path, raw, joint_2d=raw['train']['joint_2d'][:, :16])
    with pytest.raises(ValueError, match=r"'joint_2d' has 16 joints"):
        H36MMotionBERTDataset(ann_file=path, seq_len=T)
    path = _bad(tmp_path, raw, source=raw['train']['source'][:-1])
    with pytest.raises(ValueError, match=r"'source' has 799 frames but "
                       r'joint_2d has 800'):
        H36MMotionBERTDataset(ann_file=path, seq_len=T)
    path = _bad(tmp_path, raw, camera_name=np.array(['x'] * 800))
    with pytest.raises(ValueError, match=r'camera_name values'):
        H36MMotionBERTDataset(ann_file=path, seq_len=T)
    with pytest.raises(ValueError, match="data_mode='bad'"):
        H36MMotionBERTDataset(ann_file=pkl, data_mode='bad')
    with pytest.raises(KeyError, match="missing split 'test'"):
        d = {'train': raw['train']}
        p = tmp_path / 'train_only.pkl'
        p.write_bytes(pickle.dumps(d))
        H36MMotionBERTDataset(ann_file=str(p), seq_len=T, test_mode=True)
