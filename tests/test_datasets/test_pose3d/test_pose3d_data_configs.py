# Copyright (c) mmext contributors. All rights reserved.
"""The base 3D data configs load and build their datasets on SYNTHETIC data."""

import pytest
from conftest import ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmext.datasets.pose3d  # noqa: F401
import mmext.evaluation.pose3d  # noqa: F401
from mmext.datasets.pose3d.synthetic import generate

T = 9


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp('cfg_demo')
    generate(str(out), frames=20, clip_lens=(T, ))
    return out


def _build(cfg, split, **override):
    from mmpose.registry import DATASETS, METRICS
    init_default_scope('mmpose')
    loader = cfg[f'{split}_dataloader']
    assert loader['sampler']['type'] == 'DefaultSampler'
    assert loader['persistent_workers'] == (loader['num_workers'] > 0)
    ds_cfg = dict(loader['dataset'])
    ds_cfg.update(override)
    ds = DATASETS.build(ds_cfg)
    sample = ds[0]
    assert sample['inputs'].shape == (T, 17, 3)
    assert 'flip_indices' in sample['data_samples'].metainfo
    METRICS.build(cfg.val_evaluator)
    return ds, sample


def test_h36m_motionbert_config(demo):
    cfg = Config.fromfile(
        str(ROOT / 'configs/_base_/datasets/h36m_motionbert.py'))
    root = str(demo / 'motion3d')
    train, s = _build(cfg, 'train', data_root=root, seq_len=T)
    assert len(train) == 160
    assert s['data_samples'].gt_instance_labels.lifting_target_label.shape \
        == (T, 17, 3)
    val, s = _build(cfg, 'val', data_root=root, seq_len=T)
    assert len(val) == 40
    assert {'action', 'video', 'frame_ids', 'factor'} <= set(
        s['data_samples'].metainfo)


def test_h36m_mmpose_npz_config(demo):
    """mmpose's own Human36mDataset reads the generated npz + cameras."""
    cfg = Config.fromfile(
        str(ROOT / 'configs/_base_/datasets/h36m_mmpose_npz.py'))
    root = str(demo) + '/'
    train, _ = _build(cfg, 'train', data_root=root, multiple_target=T,
                      multiple_target_step=3)
    # 40 videos x ((20 - 9) // 3 + 1) = 160
    assert type(train).__name__ == 'Human36mDataset' and len(train) == 160
    val, s = _build(cfg, 'val', data_root=root, multiple_target=T)
    assert len(val) == 20 * 2
    # test-mode GT = 2.5d factor x image coords: metric scale (metres)
    gt = s['data_samples'].gt_instances.lifting_target
    assert 0.3 < abs(gt[:, 10, 2 - 1]).max() < 1.2  # head above pelvis


def test_mpi_inf_3dhp_config(demo):
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/datasets/'
                                     'mpi_inf_3dhp.py'))
    root = str(demo / 'mpi_inf_3dhp')
    train, _ = _build(cfg, 'train', data_root=root, seq_len=T)
    assert len(train) == 16 * 3  # upstream stride 9: starts 0, 9, 18
    val, s = _build(cfg, 'val', data_root=root, seq_len=T)
    # official protocol: one window per valid test frame, centre scored
    import numpy as np
    test = np.load(demo / 'mpi_inf_3dhp' / 'data_test_3dhp.npz',
                   allow_pickle=True)['data'].item()
    assert len(val) == sum(int((v['valid'] > 0).sum())
                           for v in test.values())
    assert s['data_samples'].metainfo['valid'].tolist() == [0] * 4 + [1] + [
        0] * 4
    clips, _ = _build(cfg, 'val', data_root=root, seq_len=T,
                      test_protocol='clips')
    assert len(clips) == 9


def test_pose_lifter_predictions_flow_into_pose3d_metric(demo):
    """val pipeline -> mmpose PoseLifter (flip test) -> Evaluator."""
    import numpy as np
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.evaluator import Evaluator
    from mmpose.registry import DATASETS, MODELS
    init_default_scope('mmpose')
    cfg = Config.fromfile(
        str(ROOT / 'configs/_base_/datasets/h36m_motionbert.py'))
    ds_cfg = dict(cfg.val_dataloader.dataset)
    ds_cfg.update(data_root=str(demo / 'motion3d'), seq_len=T, indices=4)
    ds = DATASETS.build(ds_cfg)
    torch.manual_seed(0)
    # a tiny mmpose DSTFormer stands in for the MotionAGFormer backbone
    model = MODELS.build(dict(
        type='PoseLifter',
        backbone=dict(type='DSTFormer', in_channels=3, feat_size=16, depth=1,
                      num_heads=2, mlp_ratio=1, seq_len=T, att_fuse=True),
        head=dict(type='MotionRegressionHead', in_channels=16,
                  out_channels=3, embedding_size=16,
                  loss=dict(type='MPJPEVelocityJointLoss'),
                  decoder=cfg.val_codec),
        test_cfg=dict(flip_test=True))).eval()
    batch = pseudo_collate([ds[i] for i in range(4)])
    with torch.no_grad():
        outs = model.test_step(batch)
    assert outs[0].pred_instances.keypoints.shape[-3:] == (T, 17, 3)
    evaluator = Evaluator(cfg.val_evaluator)
    evaluator.process(outs, batch)
    res = evaluator.evaluate(4)
    assert set(res) == {'MPJPE', 'P-MPJPE', 'N-MPJPE', 'MPJVE'}
    assert all(np.isfinite(v) and v > 0 for v in res.values())
