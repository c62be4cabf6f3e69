# Copyright (c) mmext contributors. All rights reserved.
"""The causal MambaGCN demo config is causal in *train* mode too.

Frame ``t``'s output, and the parameter gradients of a loss on frames
``<= t``, must not change when the input frames after ``t`` change. A
BatchNorm that takes train-mode statistics over all frames of the clip
breaks this (the non-causal control below shows by how much).
"""
import copy

import pytest
import torch
from conftest import ROOT
from mmengine.registry import MODELS

from mmext.utils import load_config

CAUSAL = ROOT / ('configs/pose3d/mambagcn/'
                 'mambagcn-xs4l_27frm-causal_1xb16-10e_h36m-demo.py')
T_CUT = 13  # frames 0..13 are "the past", 14..26 change


def _model(causal=True):
    cfg = load_config(str(CAUSAL), check_data=False)
    cfg.model.backbone.causal = causal
    with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
        model = registry.build(cfg.model)
    return model.double().train()


def _run(model, x, weight):
    """Output, parameter gradients and input gradient of a loss on the
    frames ``<= T_CUT`` (a fresh copy of the model: BatchNorm running
    statistics are state)."""
    model = copy.deepcopy(model)
    x = x.clone().requires_grad_(True)
    torch.manual_seed(1)  # same dropout / drop-path masks in both runs
    out = model(x, None, 'tensor')
    loss = (out[:, :T_CUT + 1] * weight[:, :T_CUT + 1]).sum()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()
             if p.grad is not None}
    return out.detach(), grads, x.grad


def _inputs():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(3, 27, 17, 3, generator=gen, dtype=torch.float64) * 2 - 1
    y = x.clone()
    y[:, T_CUT + 1:] = torch.rand(3, 27 - T_CUT - 1, 17, 3, generator=gen,
                                  dtype=torch.float64) * 2 - 1
    weight = torch.randn(3, 27, 17, 3, generator=gen, dtype=torch.float64)
    return x, y, weight


def test_causal_demo_is_causal_in_train_mode():
    model = _model()
    assert model.backbone.causal and model.training
    x, y, weight = _inputs()
    out_x, grads_x, gin_x = _run(model, x, weight)
    out_y, grads_y, gin_y = _run(model, y, weight)
    # the future frames' own outputs do change (the test has power) ...
    assert (out_x[:, T_CUT + 1:] - out_y[:, T_CUT + 1:]).abs().max() > 1e-3
    # ... the past frames' outputs do not (float64: exact up to rounding)
    torch.testing.assert_close(out_x[:, :T_CUT + 1], out_y[:, :T_CUT + 1],
                               rtol=0, atol=1e-12)
    assert grads_x.keys() == grads_y.keys() and len(grads_x) > 10
    for name in grads_x:
        torch.testing.assert_close(grads_x[name], grads_y[name], rtol=0,
                                   atol=1e-10, msg=name)
    # a loss on the past has no gradient into later input frames
    assert gin_x[:, T_CUT + 1:].abs().max() == 0
    assert gin_x[:, :T_CUT + 1].abs().max() > 0


def test_clip_batchnorm_leaks_the_future_in_train_mode():
    """Control: the same model with clip-wide BatchNorm statistics is not
    causal in training, by far more than the tolerance above."""
    model = _model(causal=False)
    x, y, weight = _inputs()
    out_x, _, gin_x = _run(model, x, weight)
    out_y, _, _ = _run(model, y, weight)
    leak = (out_x[:, :T_CUT + 1] - out_y[:, :T_CUT + 1]).abs().max()
    assert leak > 1e-6
    assert gin_x[:, T_CUT + 1:].abs().max() > 0


def test_causal_flag_keeps_state_dict_keys():
    causal, plain = _model(True), _model(False)
    assert causal.state_dict().keys() == plain.state_dict().keys()
    plain.load_state_dict(causal.state_dict(), strict=True)


@pytest.mark.parametrize('causal', [True, False])
def test_eval_mode_is_causal_either_way(causal):
    """In eval mode BatchNorm uses running statistics: causal with or
    without the per-frame statistics (mmext.apis.video.is_causal)."""
    from mmext.apis.video import is_causal
    model = _model(causal).float().eval()
    with torch.no_grad():
        assert is_causal(model)
