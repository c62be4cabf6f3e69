# Copyright (c) mmext contributors. All rights reserved.
"""The detector / 2D-pose checkpoints of the video tools must fit: mmdet's
``init_detector`` and mmpose's ``init_model`` load through mmengine's
``load_checkpoint``, which loads whatever fits and only warns."""
import sys
import types

import pytest
import torch
from torch import nn

import mmext  # noqa: F401
from mmext.apis.video import models as video_models
from mmext.engine.errors import CheckpointMismatchError


@pytest.fixture
def fake_inference(monkeypatch):
    """A stand-in for mmdet.apis.inference / mmpose.apis.inference: its
    init function calls the module's ``load_checkpoint`` like theirs."""
    from mmengine.runner import load_checkpoint
    mod = types.ModuleType('fake_inference')
    mod.load_checkpoint = load_checkpoint

    def init(config, checkpoint, device='cpu', cfg_options=None):
        model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
        mod.load_checkpoint(model, checkpoint, map_location='cpu')
        return model

    monkeypatch.setitem(sys.modules, 'fake_inference', mod)
    monkeypatch.setitem(video_models._INIT_MODULES, 'mmengine',
                        'fake_inference')
    return init


def test_detector_checkpoint_of_another_model_is_refused(tmp_path,
                                                         fake_inference):
    cfg = tmp_path / 'det.py'
    cfg.write_text('model = dict()\n')
    wrong = tmp_path / 'wrong.pth'
    torch.save({'state_dict': nn.Sequential(nn.Linear(4, 5), nn.Linear(
        5, 2)).state_dict()}, wrong)
    with pytest.raises(CheckpointMismatchError) as err:
        video_models._init(fake_inference, 'mmengine', '--det',
                           'the detector', str(cfg), str(wrong), 'cpu', None)
    assert f'checkpoint {wrong} does not fit the model' in str(err.value)
    assert '0.weight [5, 4] vs model [3, 4]' in str(err.value)
    # mmengine's loader is put back
    from mmengine.runner import load_checkpoint
    assert sys.modules['fake_inference'].load_checkpoint is load_checkpoint

    right = tmp_path / 'right.pth'
    ref = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    torch.save({'state_dict': {f'module.{k}': v
                               for k, v in ref.state_dict().items()}}, right)
    model = video_models._init(fake_inference, 'mmengine', '--det',
                               'the detector', str(cfg), str(right), 'cpu',
                               None)
    torch.testing.assert_close(model[0].weight, ref[0].weight)
