# Copyright (c) mmext contributors. All rights reserved.
"""VFI datasets read the published layouts (generated here, synthetic),
augmentations keep the triplets consistent, bad input fails clearly."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

import mmext.datasets.vfi  # noqa: F401
from mmext.datasets.vfi import (LoadVFIFrames, MiddleburyOtherDataset,
                                MixedVFIDataset, PackVFIInputs, SNUFILMDataset,
                                UCF101TripletDataset, VFIChannelReverse,
                                VFIRandomCrop, VFIRandomRotate90, VFIResize,
                                VFITemporalSwap, Vimeo90KTripletDataset,
                                X4KTrainDataset, XiphDataset, XTestDataset,
                                read_rgb)
from mmext.datasets.vfi.synthetic import texture_image, write_vimeo_triplets

PIPE = [dict(type='mmext.LoadVFIFrames'), dict(type='mmext.PackVFIInputs')]


def _png(path, img):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), img)


def _img(seed, h=12, w=16):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3),
                                                dtype=np.uint8)


def test_vimeo_layout_and_pack(tmp_path):
    srcs = [texture_image(i, 48) for i in range(3)]
    counts = write_vimeo_triplets(str(tmp_path), srcs, 3, 2, size=32,
                                  max_motion=3)
    assert counts == {'train': 3, 'test': 2}
    ds = Vimeo90KTripletDataset(data_root=str(tmp_path),
                                ann_file='tri_testlist.txt', pipeline=PIPE)
    assert len(ds) == 2
    item = ds[0]
    assert item['inputs'].shape == (2, 3, 32, 32)
    assert item['inputs'].dtype == torch.uint8
    sample = item['data_samples']
    assert sample.t == 0.5 and sample.key == '00002/0001'
    im1 = cv2.imread(str(tmp_path / 'sequences/00002/0001/im1.png'))
    im2 = cv2.imread(str(tmp_path / 'sequences/00002/0001/im2.png'))
    # RGB order, im1 first input, im2 the ground truth
    assert torch.equal(item['inputs'][0],
                       torch.from_numpy(im1[..., ::-1].copy()).permute(
                           2, 0, 1))
    assert torch.equal(sample.gt_img,
                       torch.from_numpy(im2[..., ::-1].copy()).permute(
                           2, 0, 1))
    # a listed triplet whose folder is gone
    with open(tmp_path / 'tri_testlist.txt', 'a') as f:
        f.write('00009/0001\n')
    with pytest.raises(FileNotFoundError,
                       match=r'tri_testlist.txt names frames that do not '
                       r'exist: .*00009/0001/im1.png'):
        Vimeo90KTripletDataset(data_root=str(tmp_path),
                               ann_file='tri_testlist.txt', pipeline=PIPE)
    with pytest.raises(FileNotFoundError, match='nolist.txt does not exist'):
        Vimeo90KTripletDataset(data_root=str(tmp_path),
                               ann_file='nolist.txt', pipeline=PIPE)


def test_other_layouts(tmp_path):
    # UCF101
    for d in ('1', '2'):
        for i, n in enumerate(('frame_00', 'frame_01_gt', 'frame_02')):
            _png(tmp_path / 'ucf' / d / f'{n}.png', _img(i))
    ucf = UCF101TripletDataset(data_root=str(tmp_path / 'ucf'),
                               pipeline=PIPE)
    assert len(ucf) == 2
    assert torch.equal(ucf[0]['data_samples'].gt_img,
                       torch.from_numpy(_img(1)[..., ::-1].copy()).permute(
                           2, 0, 1))
    os.remove(tmp_path / 'ucf' / '2' / 'frame_02.png')
    with pytest.raises(FileNotFoundError, match='2/frame_02.png'):
        UCF101TripletDataset(data_root=str(tmp_path / 'ucf'), pipeline=PIPE)
    # SNU-FILM with the published 'data/SNU-FILM/' prefix
    for i in range(3):
        _png(tmp_path / 'snu' / 'test' / 'GOPRO_test' / 'a' /
             f'{i:06d}.png', _img(i))
    line = ' '.join(f'data/SNU-FILM/test/GOPRO_test/a/{i:06d}.png'
                    for i in range(3))
    (tmp_path / 'snu' / 'test-hard.txt').write_text(line + '\n')
    snu = SNUFILMDataset(data_root=str(tmp_path / 'snu'),
                         ann_file='test-hard.txt', pipeline=PIPE)
    assert snu.get_data_info(0)['gt_path'].endswith('a/000001.png')
    (tmp_path / 'snu' / 'test-easy.txt').write_text('a.png b.png\n')
    with pytest.raises(ValueError, match='line 1: expected 3 paths'):
        SNUFILMDataset(data_root=str(tmp_path / 'snu'),
                       ann_file='test-easy.txt', pipeline=PIPE)
    # Middlebury other-data / other-gt-interp
    for n in ('Beanbags', 'Urban2'):
        _png(tmp_path / 'mb/other-data' / n / 'frame10.png', _img(0))
        _png(tmp_path / 'mb/other-data' / n / 'frame11.png', _img(1))
        _png(tmp_path / 'mb/other-gt-interp' / n / 'frame10i11.png',
             _img(2))
    mb = MiddleburyOtherDataset(data_root=str(tmp_path / 'mb'),
                                pipeline=PIPE)
    assert [mb.get_data_info(i)['key'] for i in range(2)] == [
        'Beanbags', 'Urban2']
    # Xiph: <Clip>-<NNN>.png, middle frames 2, 4
    for n in range(1, 6):
        _png(tmp_path / 'xiph' / f'Tango-{n:03d}.png', _img(n, 40, 60))
    xiph = XiphDataset(data_root=str(tmp_path / 'xiph'), clips=['Tango'],
                       frames=[2, 4], pipeline=PIPE + [])
    info = xiph.get_data_info(1)
    assert (osp.basename(info['img0_path']), osp.basename(info['gt_path']),
            osp.basename(info['img1_path'])) == ('Tango-003.png',
                                                 'Tango-004.png',
                                                 'Tango-005.png')
    with pytest.raises(FileNotFoundError, match='Tango-006.png'):
        XiphDataset(data_root=str(tmp_path / 'xiph'), clips=['Tango'],
                    pipeline=PIPE)
    # X-TEST: 33 frames a scene, x8 -> 7 targets at t = k / 8
    for i in range(33):
        _png(tmp_path / 'xt/Type1/scene1' / f'{i:04d}.png', _img(i % 3))
    xt = XTestDataset(data_root=str(tmp_path / 'xt'), pipeline=PIPE)
    assert len(xt) == 7
    infos = [xt.get_data_info(i) for i in range(7)]
    assert [i['t'] for i in infos] == [k / 8 for k in range(1, 8)]
    assert [osp.basename(i['gt_path']) for i in infos] == [
        f'{4 * k:04d}.png' for k in range(1, 8)]


def test_x4k_train_spans_and_mixed_batches(tmp_path):
    for s in ('s1', 's2'):
        for i in range(65):
            _png(tmp_path / 'x4k/train/Type1' / s / f'{i:04d}.png',
                 np.full((8, 8, 3), i, np.uint8))
    x4k = X4KTrainDataset(data_root=str(tmp_path / 'x4k/train'),
                          pipeline=PIPE, max_span=8)
    for idx in range(2):
        info = x4k.get_data_info(idx)
        f0, f1, g = (int(osp.basename(info[k])[:4])
                     for k in ('img0_path', 'img1_path', 'gt_path'))
        span = f1 - f0
        assert 2 <= span <= 8 and span % 2 == 0 and f0 < g < f1
        assert info['t'] == pytest.approx((g - f0) / span)
        # the frames carry their index as value: t matches the data
        item = x4k[idx]
        assert int(item['data_samples'].gt_img[0, 0, 0]) == g
    x4k.set_curriculum(3, crop_size=4, max_span=32)
    assert x4k.get_data_info(0)['crop_size'] == 4
    srcs = [texture_image(0, 48), texture_image(1, 48)]
    write_vimeo_triplets(str(tmp_path / 'vimeo'), srcs, 2, 1, size=16)
    mixed = MixedVFIDataset(
        datasets=[x4k, dict(type='mmext.Vimeo90KTripletDataset',
                            data_root=str(tmp_path / 'vimeo'),
                            ann_file='tri_trainlist.txt', pipeline=PIPE)],
        ratio=(2, 1), batch_size=2, num_samples=12)
    # batches of 2: x4k, x4k, vimeo, x4k, x4k, vimeo
    assert [mixed.source_of(i) for i in range(12)] == \
        [0, 0, 0, 0, 1, 1] * 2
    assert mixed[4]['inputs'].shape[-1] == 16
    with pytest.raises(ValueError, match='one positive int per dataset'):
        MixedVFIDataset([x4k], ratio=(2, 1), batch_size=2, num_samples=4)


def _results(h=6, w=8):
    return dict(img0=_img(0, h, w), img1=_img(1, h, w), gt=_img(2, h, w),
                t=0.25)


def test_augmentations_keep_triplets_consistent():
    np.random.seed(0)
    base = _results()
    # temporal swap: frames swap and t -> 1 - t
    out = VFITemporalSwap(prob=1.0).transform(dict(base))
    assert np.array_equal(out['img0'], base['img1']) and out['t'] == 0.75
    out = VFIChannelReverse(prob=1.0).transform(dict(base))
    assert np.array_equal(out['gt'], base['gt'][..., ::-1])
    seen = set()
    for _ in range(40):
        out = VFIRandomRotate90(prob=0.75).transform(dict(base))
        k = [k for k in range(4)
             if out['gt'].shape == np.rot90(base['gt'], k).shape
             and np.array_equal(out['gt'], np.rot90(base['gt'], k))]
        assert len(k) == 1
        assert np.array_equal(out['img0'], np.rot90(base['img0'], k[0]))
        seen.add(k[0])
    assert seen == {0, 1, 2, 3}
    out = VFIRandomCrop(4).transform(dict(base))
    ys, xs = np.where((base['gt'][..., 0] == out['gt'][0, 0, 0]))
    assert out['gt'].shape == (4, 4, 3)
    found = [(y, x) for y, x in zip(ys, xs)
             if np.array_equal(base['gt'][y:y + 4, x:x + 4], out['gt'])]
    y, x = found[0]
    assert np.array_equal(base['img1'][y:y + 4, x:x + 4], out['img1'])
    with pytest.raises(ValueError, match='crop 10x10 is larger'):
        VFIRandomCrop(10).transform(dict(base))
    big = VFIResize((4, 3), to_float=True).transform(dict(base))
    assert big['gt'].dtype == np.float32 and big['gt'].shape == (3, 4, 3)
    packed = PackVFIInputs().transform(dict(base))
    assert packed['data_samples'].t == 0.25


def test_bad_images(tmp_path):
    ok = tmp_path / 'ok.png'
    _png(ok, _img(0))
    gray = tmp_path / 'gray.png'
    _png(gray, _img(0)[..., 0])
    deep = tmp_path / 'deep.png'
    _png(deep, (_img(0).astype(np.uint16) * 257))
    with pytest.raises(ValueError, match=r'gray.png has one channel'):
        read_rgb(str(gray))
    with pytest.raises(ValueError, match=r'deep.png has uint16 samples'):
        read_rgb(str(deep))
    # the documented conversions
    assert np.array_equal(read_rgb(str(deep), allow_conversion=True),
                          read_rgb(str(ok)))
    g = read_rgb(str(gray), allow_conversion=True)
    assert g.shape == (12, 16, 3) and np.array_equal(g[..., 0], g[..., 2])
    (tmp_path / 'broken.png').write_bytes(b'not a png')
    with pytest.raises(FileNotFoundError, match='cannot read image .*broken'):
        read_rgb(str(tmp_path / 'broken.png'))
    small = tmp_path / 'small.png'
    _png(small, _img(0, 10, 16))
    res = dict(img0_path=str(ok), img1_path=str(small), gt_path=str(ok))
    with pytest.raises(ValueError, match='differ in size.*small.png'):
        LoadVFIFrames().transform(res)


def test_vimeo_validation_split(tmp_path):
    """The held-out validation split is deterministic (independent of the
    list order), whole top-level folders (or sequences), disjoint from the
    training part, and the two parts make up the list."""
    from mmext.datasets.vfi import holdout_names
    names = [f'{f:05d}/{s:04d}' for f in range(1, 101) for s in range(1, 6)]
    held = holdout_names(names, 0.02)
    folders = {n.split('/')[0] for n in held}
    assert len(folders) == 2 and len(held) == 10  # round(0.02 * 100)
    shuffled = list(np.random.default_rng(0).permutation(names))
    assert sorted(holdout_names(shuffled, 0.02)) == sorted(held)
    seq = holdout_names(names, 0.02, by='sequence')
    assert len(seq) == 10 and len({n.split('/')[0] for n in seq}) > 2
    with pytest.raises(ValueError, match='val_fraction must be in'):
        holdout_names(names, 0)
    with pytest.raises(ValueError, match="use val_by='sequence'"):
        holdout_names(['00001/0001', '00001/0002'], 0.5)
    # the dataset's parts
    (tmp_path / 'tri_trainlist.txt').write_text('\n'.join(names))
    parts = {}
    for split in ('all', 'train', 'val'):
        ds = Vimeo90KTripletDataset(
            data_root=str(tmp_path), ann_file='tri_trainlist.txt',
            split=split, check_files=False, pipeline=PIPE)
        parts[split] = [ds.get_data_info(i)['key'] for i in range(len(ds))]
    assert parts['val'] == held
    assert not set(parts['val']) & set(parts['train'])
    assert sorted(parts['val'] + parts['train']) == sorted(parts['all'])
    with pytest.raises(ValueError, match='split must be one of'):
        Vimeo90KTripletDataset(data_root=str(tmp_path),
                               ann_file='tri_trainlist.txt', split='test',
                               check_files=False, pipeline=PIPE)
