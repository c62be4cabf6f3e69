# Copyright (c) mmext contributors. All rights reserved.
"""Every config under configs/ (except _base_ fragments) must pass the
config checker and build its model on the CPU."""
import pytest
import torch
from conftest import ROOT
from mmengine.registry import MODELS

from mmext.utils import load_config

CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts
                 and 'sweeps' not in p.parts)  # sweep spaces, not configs


def test_configs_found():
    assert len(CONFIGS) >= 20
    assert {p.parent.name for p in CONFIGS} >= {
        'motionagformer', 'mambagcn', 'action'
    }


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[str(p.relative_to(ROOT / 'configs'))
                          for p in CONFIGS])
def test_config_builds_model(path):
    cfg = load_config(str(path), check_data=False)
    scope = cfg.get('default_scope', 'mmext')
    with MODELS.switch_scope_and_registry(scope) as registry:
        model = registry.build(cfg.model)
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) > 0
