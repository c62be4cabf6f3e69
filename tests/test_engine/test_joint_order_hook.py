# Copyright (c) mmext contributors. All rights reserved.
"""JointOrderCheckHook refuses checkpoints made for another joint order."""
from pathlib import Path
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from mmext.engine.hooks import JointOrderCheckHook

ROOT = Path(__file__).parents[2]
CFG_DIR = ROOT / 'configs' / 'pose3d' / 'motionagformer'


def _runner(order=None):
    dataset = dict(type='MPIINF3DHPDataset')
    if order is not None:
        dataset['joint_order'] = order
    return SimpleNamespace(cfg=Config(dict(
        train_dataloader=dict(dataset=dataset),
        test_dataloader=dict(dataset=dict(dataset)))))


def test_refuses_a_3dhp_order_checkpoint_on_h36m_order_data():
    hook = JointOrderCheckHook()
    ckpt = dict(meta=dict(joint_order='3dhp'), state_dict={})
    with pytest.raises(ValueError) as err:
        hook.after_load_checkpoint(_runner(), ckpt)
    msg = str(err.value)
    assert "trained on joint order '3dhp'" in msg
    assert "data uses 'h36m'" in msg and '_mpi-inf-3dhp-order.py' in msg
    # the matching order, and checkpoints that do not say, load
    hook.after_load_checkpoint(_runner('3dhp'), ckpt)
    hook.after_load_checkpoint(_runner(), dict(meta=dict(), state_dict={}))
    hook.after_load_checkpoint(_runner(), dict(state_dict={}))
    with pytest.raises(ValueError, match="data uses '3dhp'"):
        hook.after_load_checkpoint(
            _runner('3dhp'), dict(meta=dict(joint_order='h36m')))


def test_writes_the_data_order_into_saved_checkpoints():
    ckpt = dict(meta=dict(epoch=3))
    JointOrderCheckHook().before_save_checkpoint(_runner('3dhp'), ckpt)
    assert ckpt['meta'] == dict(epoch=3, joint_order='3dhp')
    ckpt = {}
    JointOrderCheckHook('h36m').before_save_checkpoint(_runner('3dhp'), ckpt)
    assert ckpt['meta']['joint_order'] == 'h36m'


def test_bad_arguments_and_mixed_orders():
    with pytest.raises(ValueError, match="joint_order='coco' is not one"):
        JointOrderCheckHook('coco')
    runner = _runner('3dhp')
    runner.cfg.test_dataloader.dataset.joint_order = 'h36m'
    with pytest.raises(ValueError, match='different joint orders'):
        JointOrderCheckHook().before_save_checkpoint(runner, {})


def test_3dhp_configs_wire_the_hook_and_the_orders():
    base = Config.fromfile(
        str(CFG_DIR / 'motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp.py'))
    assert base.default_hooks.joint_order.type == 'mmext.JointOrderCheckHook'
    assert base.train_dataloader.dataset.data_stride == 9
    assert base.test_dataloader.dataset.test_protocol == 'center_frame'
    cfg = Config.fromfile(
        str(CFG_DIR /
            'motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp-order.py'))
    assert cfg.default_hooks.joint_order.type == 'mmext.JointOrderCheckHook'
    for split in ('train', 'val', 'test'):
        ds = cfg[f'{split}_dataloader'].dataset
        assert ds.joint_order == '3dhp'
        codec = ds.pipeline[0].encoder
        assert codec.root_index == 14
    assert cfg.test_dataloader.dataset.test_protocol == 'center_frame'
    decoder = cfg.model.head.decoder
    assert decoder.root_index == 14 and decoder.rootrel is False
    assert cfg.val_evaluator.joint_order == '3dhp'
    assert cfg.test_evaluator.joint_order == '3dhp'


def test_inference_refuses_3dhp_order_checkpoints(tmp_path):
    import torch

    from mmext.apis.pose3d_inference import _load_state_dict
    path = tmp_path / 'mpi.pth'
    torch.save(dict(state_dict={'w': torch.zeros(1)},
                    meta=dict(joint_order='3dhp')), path)
    with pytest.raises(ValueError, match="joint_order'\\]='3dhp'"):
        _load_state_dict(str(path))
    torch.save(dict(state_dict={'w': torch.zeros(1)},
                    meta=dict(joint_order='h36m')), path)
    assert set(_load_state_dict(str(path))) == {'w'}
