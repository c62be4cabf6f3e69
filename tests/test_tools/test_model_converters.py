# Copyright (c) mmext contributors. All rights reserved.
"""Tests of tools/model_converters/motionagformer_official_to_mmext.py."""
import copy
from pathlib import Path

import pytest
import torch
from conftest import run_tool

from mmext.apis.model_conversion import convert_motionagformer_checkpoint
from mmext.models.pose3d.backbones import MotionAGFormer

TOOL = (Path(__file__).parents[2] / 'tools' / 'model_converters' /
        'motionagformer_official_to_mmext.py')
TINY = dict(
    num_layers=2,
    embed_dims=16,
    num_frames=9,
    num_heads=2,
    mlp_ratio=2.,
    neighbour_num=2)


def _convert(src, dst, **kwargs):
    return convert_motionagformer_checkpoint(str(src), str(dst), 'h36m',
                                             **kwargs)


def _official_checkpoint(backbone):
    """An upstream-style ``torch.save`` dict: ``module.``-prefixed
    ``model`` plus the training state upstream stores beside it."""
    torch.manual_seed(1)
    model = {f'module.{k}': v for k, v in backbone.state_dict().items()}
    model['module.rep_logit.fc.weight'] = torch.randn(512, 16)
    model['module.rep_logit.fc.bias'] = torch.randn(512)
    model['module.head.weight'] = torch.randn(3, 512)
    model['module.head.bias'] = torch.randn(3)
    return dict(epoch=3, lr=5e-4, min_loss=40.0, model=model)


def test_converter_writes_a_strictly_loadable_checkpoint(tmp_path):
    torch.manual_seed(0)
    backbone = MotionAGFormer(arch=copy.deepcopy(TINY))
    ckpt = _official_checkpoint(backbone)
    src, dst = tmp_path / 'official.pth.tr', tmp_path / 'mmext.pth'
    torch.save(ckpt, src)

    assert _convert(src, dst)['num_tensors'] == len(ckpt['model'])

    out = torch.load(dst, map_location='cpu', weights_only=True)
    sd = out['state_dict']
    assert out['meta']['converted_from'] == 'official.pth.tr'
    assert out['meta']['config']['backbone']['arch']['num_layers'] == 2
    assert out['meta']['config']['head'] == dict(
        in_channels=16, out_channels=3, embedding_size=512)
    torch.testing.assert_close(sd['head.pre_logits.fc.weight'],
                               ckpt['model']['module.rep_logit.fc.weight'])
    torch.testing.assert_close(sd['head.fc.bias'],
                               ckpt['model']['module.head.bias'])

    fresh = MotionAGFormer(arch=copy.deepcopy(TINY))
    backbone_sd = {
        k[len('backbone.'):]: v
        for k, v in sd.items() if k.startswith('backbone.')
    }
    fresh.load_state_dict(backbone_sd, strict=True)
    x = torch.randn(1, 9, 17, 3)
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(x), backbone.eval()(x))


def test_converter_refuses_foreign_keys(tmp_path):
    backbone = MotionAGFormer(arch=copy.deepcopy(TINY))
    ckpt = _official_checkpoint(backbone)
    ckpt['model']['module.layers.0.adapter.weight'] = torch.zeros(4)
    del ckpt['model']['module.norm.bias']
    src = tmp_path / 'bad.pth'
    torch.save(ckpt, src)
    with pytest.raises(ValueError) as err:
        _convert(src, tmp_path / 'out.pth')
    assert "unexpected keys ['backbone.layers.0.adapter.weight']" in str(
        err.value)
    assert "missing keys ['backbone.norm.bias']" in str(err.value)
    assert not (tmp_path / 'out.pth').exists()


def test_converter_refuses_non_checkpoints(tmp_path):
    src = tmp_path / 'weird.pth'
    torch.save(dict(epoch=1, optimizer={}), src)
    with pytest.raises(ValueError, match='has no "model" entry'):
        _convert(src, tmp_path / 'o.pth')
    # the command line: the same message as one line, exit code 1
    proc = run_tool([TOOL, src, tmp_path / 'o.pth', '--joint-order', 'h36m'])
    assert proc.returncode == 1
    assert proc.stderr.startswith('error: ') and \
        proc.stderr.count('\n') == 1 and 'has no "model" entry' in proc.stderr


def test_converter_cli_requires_two_paths():
    proc = run_tool([TOOL, 'only_one.pth'])
    assert proc.returncode == 2 and 'dst' in proc.stderr


@pytest.mark.parametrize('flag, expected', [
    ([], 'motionagformer-demo'),
    (['--keypoint-convention', 'motionbert'], 'motionbert')])
def test_converter_records_the_keypoint_convention(tmp_path, flag,
                                                   expected):
    backbone = MotionAGFormer(arch=copy.deepcopy(TINY))
    src, dst = tmp_path / 'official.pth.tr', tmp_path / 'mmext.pth'
    torch.save(_official_checkpoint(backbone), src)
    proc = run_tool([TOOL, src, dst, '--joint-order', 'h36m', *flag])
    assert proc.returncode == 0, proc.stderr
    meta = torch.load(dst, map_location='cpu', weights_only=True)['meta']
    assert meta['keypoint_convention'] == expected
    assert f'keypoint convention (in-the-wild COCO -> H36M): {expected}' \
        in proc.stdout
