# Copyright (c) mmext contributors. All rights reserved.
"""Every VFI config loads, builds its model and trains one step on small
SYNTHETIC data in the real layouts; every benchmark config evaluates a
sample through its own dataset, pipeline and metric convention."""
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from conftest import ROOT
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, METRICS, MODELS

from mmext.datasets.vfi.synthetic import texture_image, write_vimeo_triplets
from mmext.utils import load_config

VFI = ROOT / 'configs' / 'vfi'
TRAIN_CONFIGS = sorted(VFI.glob('*.py'))
EVAL_CONFIGS = sorted((VFI / 'benchmarks').glob('*.py'))


def _png(path, img):
    import os
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), img)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('vfi_data')
    srcs = [texture_image(i, 96) for i in range(3)]
    write_vimeo_triplets(str(root / 'vimeo'), srcs, 4, 2, size=64)
    frame = texture_image(7, 64)
    for i in range(33):  # X4K train / X-TEST scenes
        img = np.roll(frame, i, axis=1)
        _png(root / 'x4k/train/T/s' / f'{i:04d}.png', img)
        _png(root / 'xtest/T/s' / f'{i:04d}.png', img)
    for n, name in enumerate(('frame_00', 'frame_01_gt', 'frame_02')):
        _png(root / 'ucf/1' / f'{name}.png', np.roll(frame, n, axis=0))
        _png(root / 'snu/test/a' / f'{n:06d}.png', np.roll(frame, n, 0))
        _png(root / 'xiph' / f'Tango-{n + 1:03d}.png',
             np.roll(frame, n, axis=0))
    for level in ('easy', 'medium', 'hard', 'extreme'):
        (root / 'snu' / f'test-{level}.txt').write_text(' '.join(
            f'data/SNU-FILM/test/a/{n:06d}.png' for n in range(3)))
    _png(root / 'mb/other-data/A/frame10.png', frame)
    _png(root / 'mb/other-data/A/frame11.png', np.roll(frame, 2, 1))
    _png(root / 'mb/other-gt-interp/A/frame10i11.png', np.roll(frame, 1, 1))
    # random VGG19 weights in torchvision's layout (tests never use real
    # ImageNet weights)
    from mmext.models.vfi.losses import vgg19_features
    vgg = torch.nn.Module()
    vgg.features = vgg19_features(26)
    torch.save(vgg.state_dict(), root / 'vgg19_random.pth')
    return root


def _retarget(ds, root):
    """Point a dataset config at the synthetic data."""
    t = ds['type']
    if t == 'MixedVFIDataset':
        for d in ds['datasets']:
            _retarget(d, root)
        ds['num_samples'] = 4
        return
    ds['data_root'] = str(root / {
        'Vimeo90KTripletDataset': 'vimeo', 'X4KTrainDataset': 'x4k/train',
        'UCF101TripletDataset': 'ucf', 'SNUFILMDataset': 'snu',
        'MiddleburyOtherDataset': 'mb', 'XiphDataset': 'xiph',
        'XTestDataset': 'xtest'
    }[t])
    if t == 'XiphDataset':
        ds['clips'], ds['frames'] = ['Tango'], [2]
    if ds.get('split', 'all') != 'all':
        ds['val_by'] = 'sequence'  # the synthetic list has one folder
    for step in ds.get('pipeline', []):
        if step['type'] == 'VFIRandomCrop':
            step['crop_size'] = 64
        if step['type'] == 'VFIResize':
            step['size'] = (64, 48)
        if step['type'] == 'VFICenterCrop':
            step['size'] = (32, 64)


def _vgg(cfg, root):
    for loss in cfg.model.losses:
        if loss['type'] == 'VGGPerceptualLoss':
            loss['pretrained'] = str(root / 'vgg19_random.pth')


def test_configs_found():
    names = {p.name for p in TRAIN_CONFIGS}
    assert 'hybrid-vfi_1xb8-300e_vimeo90k.py' in names
    assert len(TRAIN_CONFIGS) >= 8 and len(EVAL_CONFIGS) >= 10


@pytest.mark.parametrize('path', TRAIN_CONFIGS, ids=lambda p: p.name)
def test_config_trains_one_step(path, data):
    cfg = load_config(str(path), check_data=False)
    assert cfg.default_scope == 'mmext'
    _vgg(cfg, data)
    loader = cfg.train_dataloader
    _retarget(loader.dataset, data)
    # (tests/test_configs.py builds the full-depth model; one step of a
    # 2-block backbone keeps this test fast)
    cfg.model.backbone.depth = 2
    with MODELS.switch_scope_and_registry('mmext') as models:
        torch.manual_seed(0)
        model = models.build(cfg.model)
        model.init_weights()
        dataset = DATASETS.build(loader.dataset)
        batch = pseudo_collate([dataset[0]])
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        before = model.flow_head.net[0][0].weight.clone()
        log = model.train_step(batch, optim)
    assert torch.isfinite(log['loss'])
    terms = {k for k in log if k.startswith('loss_')}
    expected = {'loss_lap', 'loss_census'}
    if any(lo['type'] == 'VGGPerceptualLoss' for lo in cfg.model.losses):
        expected.add('loss_vgg')
    assert terms == expected
    assert not torch.equal(before, model.flow_head.net[0][0].weight)


def _vimeo(ds):
    if ds['type'] == 'MixedVFIDataset':
        return [d for d in ds['datasets']
                if d['type'] == 'Vimeo90KTripletDataset']
    return [ds] if ds['type'] == 'Vimeo90KTripletDataset' else []


@pytest.mark.parametrize('path', TRAIN_CONFIGS, ids=lambda p: p.name)
def test_model_selection_never_sees_the_test_list(path):
    """Vimeo phases validate (save_best) on a split held out of
    tri_trainlist, train on the rest of it with the same split arguments,
    and read tri_testlist only in test_dataloader (tools/test.py)."""
    cfg = load_config(str(path), check_data=False)
    val = cfg.val_dataloader.dataset
    assert val['type'] == 'Vimeo90KTripletDataset'
    assert val['ann_file'] == 'tri_trainlist.txt' and val['split'] == 'val'
    trains = _vimeo(cfg.train_dataloader.dataset)
    assert trains
    for tr in trains:
        assert tr['ann_file'] == 'tri_trainlist.txt'
        assert tr['split'] == 'train'
        assert (tr['val_fraction'], tr['val_by']) == (val['val_fraction'],
                                                      val['val_by'])
    assert cfg.test_dataloader.dataset['ann_file'] == 'tri_testlist.txt'
    assert cfg.default_hooks.checkpoint.save_best == 'vfi/PSNR'


@pytest.mark.parametrize('path', EVAL_CONFIGS, ids=lambda p: p.name)
def test_benchmark_config_evaluates(path, data):
    cfg = load_config(str(path), check_data=False)
    _vgg(cfg, data)
    _retarget(cfg.test_dataloader.dataset, data)
    with MODELS.switch_scope_and_registry('mmext') as models:
        torch.manual_seed(0)
        cfg.model.backbone.depth = 2  # evaluation path, not capacity
        model = models.build(cfg.model).eval()
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
        metric = METRICS.build(cfg.test_evaluator)
        batch = pseudo_collate([dataset[0]])
        with torch.no_grad():
            out = model.test_step(batch)
    assert out[0].pred_img.shape == out[0].gt_img.shape
    metric.process(batch, out)
    res = metric.compute_metrics(metric.results)
    assert math.isfinite(res['PSNR'])
    if cfg.test_evaluator.ssim != 'none':
        assert -1 <= res['SSIM'] <= 1
    else:
        assert 'IE' in res
