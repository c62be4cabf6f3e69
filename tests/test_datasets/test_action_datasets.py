# Copyright (c) mmext contributors. All rights reserved.
"""Action data: hierarchy, synthetic demo, datasets, transforms, configs."""
import copy
import os.path as osp
import pickle
import re

import cv2
import numpy as np
import pytest
import torch

import mmext  # noqa: F401
from mmext.datasets.action.synthetic import generate_demo
from mmext.structures.action_hierarchy import (COARSE_NAMES, FINE_NAMES,
                                               HIERARCHIES, META_DIR,
                                               load_hierarchy)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(ROOT, 'configs', '_base_', 'datasets')


# ---------------------------------------------------------------- hierarchy
def test_ma52_hierarchy_matches_body_part_ranges():
    h = HIERARCHIES['ma52']
    assert len(h) == 52 and len(COARSE_NAMES['ma52']) == 7
    # group boundaries from the MA-52 paper
    for fine, coarse in ((0, 0), (4, 0), (5, 1), (10, 1), (11, 2), (23, 2),
                         (24, 3), (31, 3), (32, 4), (37, 4), (38, 5), (47, 5),
                         (48, 6), (51, 6)):
        assert h[fine] == coarse, fine
    assert FINE_NAMES['ma52'][19] == 'waving'
    assert FINE_NAMES['ma52'][9] == 'nodding'


def test_ntu60_hierarchy_rule_and_mapping_file():
    h = HIERARCHIES['ntu60']
    assert len(h) == 60 and sorted(set(h)) == list(range(8))
    names = FINE_NAMES['ntu60']
    # spot checks of the decision list (A<k> is fine id k-1)
    assert h[0] == 1  # A1 drink water: hand at the face
    assert h[13] == 2  # A14 wear jacket: dressing
    assert h[17] == 2  # A18 wear on glasses: dressing before head & face
    assert h[23] == 4  # A24 kicking something: legs carry the action
    assert h[31] == 0  # A32 taking a selfie: object in front of the body
    assert h[9] == 3  # A10 clapping: empty-hand gesture
    assert h[42] == 5 and names[42] == 'falling'  # medical A41-A49
    assert h[57] == 6 and names[57] == 'handshaking'  # contact
    assert h[59] == 7  # A60 walking apart: no contact
    assert [h.count(g) for g in range(8)] == [11, 9, 8, 7, 5, 9, 7, 4]
    path = osp.join(META_DIR, 'ntu60_coarse.txt')
    assert load_hierarchy(path) == h
    assert load_hierarchy(osp.join(META_DIR, 'ma52_coarse.txt')) == \
        HIERARCHIES['ma52']
    with open(path) as f:
        rows = [ln.rstrip('\n').split('\t') for ln in f if ln[0] != '#']
    assert rows[42] == ['42', 'falling', '5', 'medical condition']


def test_load_hierarchy_errors(tmp_path):
    bad = tmp_path / 'bad.txt'
    bad.write_text('0\ta\t0\tg0\n1\tb\t2\tg2\n')
    with pytest.raises(ValueError, match=r'coarse ids must be contiguous '
                       r'0\.\.2, missing \[1\]'):
        load_hierarchy(str(bad))
    bad.write_text('0\ta\t0\tg0\n1\tb\t0\n')
    with pytest.raises(ValueError) as e:
        load_hierarchy(str(bad))
    assert str(e.value).splitlines()[0].startswith(f'{bad} line 2: expected '
                                                   '4 tab-separated fields')
    bad.write_text('0\ta\t0\tg0\n2\tb\t0\tg0\n')
    with pytest.raises(ValueError, match='line 2: fine_id 2, expected 1'):
        load_hierarchy(str(bad))
    bad.write_text('0\ta\t0\tg0\n1\tb\t0\tother\n')
    with pytest.raises(ValueError, match="line 2: coarse_id 0 is named "
                       "'other', but earlier 'g0'"):
        load_hierarchy(str(bad))
    with pytest.raises(ValueError, match="hierarchy 'kinetics': expected one "
                       "of"):
        load_hierarchy('kinetics')


# ------------------------------------------------------------ synthetic demo
@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('action_demo')
    out = {}
    for name in ('ma52', 'ntu60'):
        d = str(root / f'{name}_demo')
        generate_demo(
            name, d, clips_per_class=2, num_frames=16, size=64,
            write_frames=(name == 'ntu60'))
        out[name] = d + '/'
    return out


def test_demo_formats(demo):
    with open(osp.join(demo['ma52'], 'ma52_2d.pkl'), 'rb') as f:
        data = pickle.load(f)
    assert sorted(data['split']) == ['train', 'val']
    a = data['annotations'][0]
    assert a['keypoint'].shape == (1, 16, 28, 2)
    assert a['keypoint_score'].shape == (1, 16, 28)
    assert a['total_frames'] == 16 and a['img_shape'] == (64, 64)
    lines = open(osp.join(demo['ma52'], 'train_list_videos.txt')).read()
    lines = lines.split('\n')[:-1]
    assert len(lines) == 8  # 8 classes x 1 train subject
    for line in lines:
        m = re.fullmatch(r'(\d{4})_(\d{2})_(\d{4})\.mp4 (\d+)', line)
        assert m, line
        # BB of the name is the body-part group of the (real) label
        assert int(m.group(2)) == HIERARCHIES['ma52'][int(m.group(4))]
    # the video has the skeleton's frame count and size
    name = lines[0].split()[0]
    cap = cv2.VideoCapture(osp.join(demo['ma52'], 'videos_train', name))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 16
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 64
    cap.release()

    with open(osp.join(demo['ntu60'], 'ntu60_2d.pkl'), 'rb') as f:
        data = pickle.load(f)
    assert sorted(data['split']) == [
        'xsub_train', 'xsub_val', 'xview_train', 'xview_val'
    ]
    a = data['annotations'][0]
    assert a['keypoint'].shape == (1, 16, 17, 2)
    assert re.fullmatch(r'S\d{3}C\d{3}P\d{3}R\d{3}A\d{3}', a['frame_dir'])
    assert int(a['frame_dir'][-3:]) == a['label'] + 1
    assert len({HIERARCHIES['ntu60'][x['label']]
                for x in data['annotations']}) >= 3


def test_demo_motion_differs_by_class(demo):
    """Both streams carry the class: per-class joint motion differs."""
    with open(osp.join(demo['ntu60'], 'ntu60_2d.pkl'), 'rb') as f:
        annos = pickle.load(f)['annotations']

    # 'clapping' (A10) moves the wrists most, 'nod head/bow' (A35) the head
    def spread(label, joints):
        kp = [a['keypoint'][0] for a in annos if a['label'] == label]
        return np.mean([k[:, joints].std(0).mean() for k in kp])

    assert spread(9, [9, 10]) > 3 * spread(34, [9, 10])
    assert spread(34, [0]) > 3 * spread(9, [0])


# ---------------------------------------------------------------- transforms
def _write_gray_video(path, values, size=32):
    w = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                        (size, size))
    for v in values:
        w.write(np.full((size, size, 3), v, np.uint8))
    w.release()


def test_read_video_frames_cv2_order_and_short_video(tmp_path):
    from mmext.datasets.action import read_video_frames_cv2
    path = str(tmp_path / 'gray.mp4')
    _write_gray_video(path, [20 * i for i in range(8)])
    frames, n = read_video_frames_cv2(path, [5, 1, 1, 7])
    assert n == 8
    means = [f.mean() for f in frames]
    np.testing.assert_allclose(means, [100, 20, 20, 140], atol=6)  # mp4v
    # indices past the end repeat the last decoded frame
    frames, n = read_video_frames_cv2(path, [2, 12])
    assert n == 8
    np.testing.assert_allclose([f.mean() for f in frames], [40, 140], atol=6)
    with pytest.raises(FileNotFoundError, match='sample x: video .*nope.mp4 '
                       'not found'):
        read_video_frames_cv2(str(tmp_path / 'nope.mp4'), [0], 'x')


def test_mmdecode_cv2_video_frames_and_keypoint_rescale(tmp_path):
    from mmext.datasets.action import MMDecodeCV2
    path = str(tmp_path / 'clip.mp4')
    _write_gray_video(path, [30 * i for i in range(6)], size=32)
    kp = np.arange(1 * 6 * 2 * 2, dtype=np.float32).reshape(1, 6, 2, 2)
    res = dict(
        modality=['RGB', 'Pose'],
        RGB_inds=np.array([0, 4]),
        Pose_inds=np.array([1, 3, 5]),
        filename=path,
        keypoint=kp.copy(),
        img_shape=(64, 16),  # annotation size differs from the 32x32 video
        sample_id='clip')
    out = MMDecodeCV2()(res)
    assert len(out['imgs']) == 2 and out['imgs'][0].shape == (32, 32, 3)
    np.testing.assert_allclose([f.mean() for f in out['imgs']], [0, 120],
                               atol=6)
    # x scaled by 32 / 16, y by 32 / 64
    np.testing.assert_allclose(out['keypoint'][..., 0],
                               kp[:, [1, 3, 5]][..., 0] * 2)
    np.testing.assert_allclose(out['keypoint'][..., 1],
                               kp[:, [1, 3, 5]][..., 1] * 0.5)
    assert out['keypoint_score'].shape == (1, 3, 2)
    assert out['img_shape'] == (32, 32)

    # extracted frames img_00001.jpg ... (frame 0 is file 1)
    fdir = tmp_path / 'frames'
    fdir.mkdir()
    for i in range(3):
        cv2.imwrite(str(fdir / f'img_{i + 1:05d}.jpg'),
                    np.full((8, 8, 3), 50 * i, np.uint8))
    res = dict(
        modality=['RGB'], RGB_inds=np.array([2, 0]), rgb_frame_dir=str(fdir),
        img_shape=(8, 8), sample_id='f')
    out = MMDecodeCV2()(res)
    np.testing.assert_allclose([f.mean() for f in out['imgs']], [100, 0],
                               atol=2)
    res = dict(
        modality=['RGB'], RGB_inds=np.array([3]), rgb_frame_dir=str(fdir),
        img_shape=(8, 8), sample_id='f')
    with pytest.raises(FileNotFoundError, match=r'sample f: frame .*'
                       r'img_00004\.jpg not found'):
        MMDecodeCV2()(res)


def test_pack_hier_action_inputs():
    from mmext.datasets.action import PackHierActionInputs
    res = dict(
        imgs=np.zeros((1, 3, 2, 4, 4), np.float32),
        heatmap_imgs=np.ones((1, 5, 8, 1, 1), np.float32),
        label=7,
        coarse_label=3)
    out = PackHierActionInputs(collect_keys=('imgs', 'heatmap_imgs'))(res)
    assert set(out['inputs']) == {'imgs', 'heatmap_imgs'}
    ds = out['data_samples']
    assert ds.gt_label.tolist() == [7]
    assert ds.gt_coarse_label.dtype == torch.long
    assert ds.gt_coarse_label.shape == (1, ) and int(ds.gt_coarse_label) == 3
    with pytest.raises(KeyError, match=r"sample \?: keys \['heatmap_imgs'\] "
                       'to collect are missing'):
        PackHierActionInputs(collect_keys=('imgs', 'heatmap_imgs'))(
            dict(imgs=np.zeros((1, 3, 2, 4, 4)), label=0))


# ------------------------------------------------------------------ datasets
def _build(cfg):
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    return DATASETS.build(cfg)


def _ntu_cfg(demo, **kw):
    cfg = dict(
        type='RGBPoseDataset',
        ann_file=demo['ntu60'] + 'ntu60_2d.pkl',
        data_prefix=dict(video=demo['ntu60'] + 'videos'),
        split='xsub_train',
        hierarchy='ntu60',
        num_keypoints=17,
        dataset_name='NTU60',
        pipeline=[])
    cfg.update(kw)
    return cfg


def _rewrite_pkl(src, dst, fn):
    with open(src, 'rb') as f:
        data = pickle.load(f)
    fn(data)
    with open(dst, 'wb') as f:
        pickle.dump(data, f)
    return str(dst)


def test_rgbpose_dataset_sample_fields(demo):
    ds = _build(_ntu_cfg(demo))
    assert len(ds) == 8
    info = ds.get_data_info(0)
    assert info['sample_id'] == info['frame_dir']
    assert info['filename'].endswith(info['frame_dir'] + '.mp4')
    assert info['coarse_label'] == HIERARCHIES['ntu60'][info['label']]
    # extracted frames instead of videos
    ds = _build(
        _ntu_cfg(
            demo,
            rgb_source='frames',
            data_prefix=dict(frames=demo['ntu60'] + 'frames')))
    assert osp.isdir(ds.get_data_info(0)['rgb_frame_dir'])


def test_rgbpose_dataset_errors_name_the_sample(demo, tmp_path):
    src = demo['ntu60'] + 'ntu60_2d.pkl'
    first = pickle.load(open(src, 'rb'))['split']['xsub_train'][0]

    def first_line(exc):
        return str(exc.value).splitlines()[0]

    # keypoint-count mismatch (NTU's 25-joint Kinect layout instead of 17)
    def to25(d):
        for a in d['annotations']:
            a['keypoint'] = np.zeros((1, 16, 25, 2), np.float32)
            a['keypoint_score'] = np.zeros((1, 16, 25), np.float32)

    pkl = _rewrite_pkl(src, tmp_path / 'k25.pkl', to25)
    with pytest.raises(ValueError) as e:
        _build(_ntu_cfg(demo, ann_file=pkl))
    assert first_line(e) == (f'NTU60 sample {first}: keypoint has 25 joints, '
                             'expected 17')

    def bad_label(d):
        d['annotations'][0]['label'] = 60
        d['split']['xsub_train'].insert(0, d['annotations'][0]['frame_dir'])

    pkl = _rewrite_pkl(src, tmp_path / 'lab.pkl', bad_label)
    sid = pickle.load(open(pkl, 'rb'))['annotations'][0]['frame_dir']
    with pytest.raises(ValueError) as e:
        _build(_ntu_cfg(demo, ann_file=pkl))
    assert first_line(e) == (f'NTU60 sample {sid}: label 60 is out of range '
                             '[0, 60)')

    def bad_score(d):
        for a in d['annotations']:
            a['keypoint_score'] = a['keypoint_score'][:, :-1]

    pkl = _rewrite_pkl(src, tmp_path / 'score.pkl', bad_score)
    with pytest.raises(ValueError, match=f'NTU60 sample {first}: '
                       r'keypoint_score has shape \(1, 15, 17\), expected '
                       r'\(1, 16, 17\)'):
        _build(_ntu_cfg(demo, ann_file=pkl))

    # missing video
    with pytest.raises(FileNotFoundError) as e:
        _build(_ntu_cfg(demo, data_prefix=dict(video=str(tmp_path))))
    assert first_line(e) == (f'NTU60 sample {first}: video '
                             f'{tmp_path}/{first}.mp4 not found')
    # unknown split
    with pytest.raises(KeyError, match="split 'xset_train' not in"):
        _build(_ntu_cfg(demo, split='xset_train'))


def test_ma52_dataset_list_join_and_errors(demo, tmp_path):
    root = demo['ma52']
    cfg = dict(
        type='MA52Dataset',
        data_root=root,
        ann_file='ma52_2d.pkl',
        list_file='val_list_videos.txt',
        data_prefix=dict(video='videos_val'),
        pipeline=[])
    ds = _build(cfg)
    assert len(ds) == 8
    info = ds.get_data_info(0)
    lines = open(root + 'val_list_videos.txt').read().split('\n')
    name, label = lines[0].split()
    assert info['filename'] == osp.join(root, 'videos_val', name)
    assert info['label'] == int(label)
    assert info['coarse_label'] == HIERARCHIES['ma52'][int(label)]

    def write_list(text):
        p = tmp_path / 'list.txt'
        p.write_text(text)
        return str(p)

    sid = name[:-4]
    # label disagrees with the pkl
    wrong = 4 if int(label) != 4 else 0
    lst = write_list(f'{name} {wrong}\n')
    with pytest.raises(ValueError) as e:
        _build(dict(cfg, list_file=lst, strict_names=False))
    assert str(e.value).splitlines()[0] == (
        f'MA-52 list {lst} line 1: sample {sid} has label {wrong} in the list'
        f' but {label} in {root}ma52_2d.pkl')
    # body-part group in the name disagrees with the label's group
    lst = write_list(f'0001_01_0001.mp4 {int(label)}\n')
    with pytest.raises(ValueError, match=r'line 1: sample 0001_01_0001: '
                       r'body-part group 01 in the name but label'):
        _build(dict(cfg, list_file=lst))
    # sample without skeleton
    lst = write_list('0099_00_0001.mp4 0\n')
    with pytest.raises(KeyError, match='line 1: sample 0099_00_0001 has no '
                       'skeleton'):
        _build(dict(cfg, list_file=lst))
    # label out of range
    lst = write_list(f'{name} 52\n')
    with pytest.raises(ValueError, match=f'line 1: sample {sid} has label 52'):
        _build(dict(cfg, list_file=lst, strict_names=False))

    # 17 joints where MA-52 needs 28
    def to17(d):
        for a in d['annotations']:
            a['keypoint'] = a['keypoint'][:, :, :17]
            a['keypoint_score'] = a['keypoint_score'][:, :, :17]

    _rewrite_pkl(root + 'ma52_2d.pkl', tmp_path / 'ma52_2d.pkl', to17)
    with pytest.raises(ValueError) as e:
        _build(
            dict(
                cfg,
                ann_file=str(tmp_path / 'ma52_2d.pkl'),
                list_file=root + 'val_list_videos.txt'))
    assert str(e.value).splitlines()[0] == (
        f'MA-52 sample {sid}: keypoint has 17 joints, expected 28')


# ------------------------------------------------------------------- configs
@pytest.mark.parametrize('name,channels', [('ma52', 28), ('ntu60', 17)])
def test_configs_run_on_demo_data(demo, name, channels):
    from mmengine.config import Config
    base = Config.fromfile(osp.join(CFG_DIR, f'{name}_rgbpose.py'))
    cfg = Config.fromfile(osp.join(CFG_DIR, f'{name}_rgbpose_demo.py'))
    assert base.val_evaluator == dict(
        type='HierarchicalActionMetric', hierarchy=name)
    # (config, split, RGB px, clips)
    cases = [(cfg, 'train', 64, 1), (cfg, 'val', 64, 1), (cfg, 'test', 64, 2),
             (base, 'val', 224, 1)]
    for c, split, px, clips in cases:
        ds_cfg = copy.deepcopy(c[f'{split}_dataloader']['dataset'])
        ds_cfg['data_root'] = demo[name]
        if c is base:  # point the full-size config at the demo layout
            if name == 'ntu60':
                ds_cfg.update(
                    ann_file='ntu60_2d.pkl', data_prefix=dict(video='videos'))
        ds = _build(ds_cfg)
        out = ds[0]
        imgs, heat = out['inputs']['imgs'], out['inputs']['heatmap_imgs']
        # RGBPoseConv3D: pose frames = 4 x RGB frames, pose size = RGB / 4
        assert tuple(imgs.shape) == (clips, 3, 8, px, px), (split, px)
        assert tuple(heat.shape) == (clips, channels, 32, px // 4, px // 4)
        assert 0.5 < float(heat.max()) <= 1.0
        ds_ = out['data_samples']
        assert int(ds_.gt_coarse_label) == HIERARCHIES[name][int(
            ds_.gt_label)]


def test_pipeline_benchmark_on_demo(demo):
    from mmengine.config import Config

    from mmext.datasets.action.pipeline_profiling import (
        benchmark_pipeline, format_pipeline_table)
    cfg = Config.fromfile(osp.join(CFG_DIR, 'ntu60_rgbpose_demo.py'))
    cfg.train_dataloader.dataset.data_root = demo['ntu60']
    res = benchmark_pipeline(cfg, 'train', num_samples=2, warmup=1)
    assert res['num_samples'] == 2
    assert res['types'][res['cut'] - 1] == 'MMDecodeCV2'
    # with 2 samples every median is a mean, so the stages add up exactly
    assert res['total_ms'] == pytest.approx(res['decode_ms'] +
                                            res['augment_ms'])
    assert res['decode_ms'] > 0 and res['augment_ms'] > 0
    table = format_pipeline_table(res)
    assert '| 1 | MMDecodeCV2 | decode |' in table
