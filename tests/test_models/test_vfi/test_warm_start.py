# Copyright (c) mmext contributors. All rights reserved.
"""The VFI phases warm-start exactly: a phase-1 checkpoint loaded into the
phase-2 model (and phase 2 into phase 3) gives the same output on random
frames, every earlier weight loads with its shape, and the only missing
keys are the ones the later config lists in ``load_from_allow_mismatch``."""
from fnmatch import fnmatch

import torch
from conftest import ROOT
from mmengine.registry import MODELS

from mmext.engine import safe_load
from mmext.utils import load_config

VFI = ROOT / 'configs' / 'vfi'
PHASE1 = VFI / 'hybrid-vfi_1xb8-300e_vimeo90k.py'
PHASE2 = VFI / 'hybrid-vfi_feature-warp_1xb8-200e-phase2_vimeo90k.py'
PHASE3 = VFI / 'hybrid-vfi_feature-warp_1xb8-100e-phase3_x4k-vimeo90k.py'


# the motion path of the VFI demo (docs/vfi/training.md, "Results"): the
# phases must keep warm-starting when all three take it
MOTION = dict(corr_radius=3, refine_scales=(2, ), rel_pos_bias=True)


def _build(path, seed, motion=False):
    cfg = load_config(str(path), check_data=False)
    # 2 of the 8 blocks: the warm start does not depend on the depth
    cfg.model.backbone.depth = 2
    if motion:
        cfg.model.corr_radius = MOTION['corr_radius']
        cfg.model.refine_scales = MOTION['refine_scales']
        cfg.model.backbone.rel_pos_bias = MOTION['rel_pos_bias']
    for loss in cfg.model.losses:
        if loss['type'] == 'VGGPerceptualLoss':
            loss['random_init'] = True  # tests never read ImageNet weights
    with MODELS.switch_scope_and_registry('mmext') as models:
        torch.manual_seed(seed)
        return cfg, models.build(cfg.model).eval()


def _trained_like(model, seed):
    """Perturb every parameter, as training would (zero-initialised layers
    of the earlier phase, e.g. the refinement's last conv, stop being
    zero)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model


def _frames():
    g = torch.Generator().manual_seed(3)
    return torch.rand(2, 3, 64, 96, generator=g), torch.rand(
        2, 3, 64, 96, generator=g), torch.tensor([0.5, 0.3])


def _assert_same_output(m1, m2):
    a, b, t = _frames()
    with torch.no_grad():
        torch.testing.assert_close(m2.interpolate(a, b, t),
                                   m1.interpolate(a, b, t), rtol=0,
                                   atol=1e-6)


def _save_and_load(src, dst, tmp_path, allowed):
    """``src``'s checkpoint into ``dst`` directly; the missing keys must be
    exactly those ``allowed`` matches (each pattern used)."""
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': src.state_dict(), 'meta': {}}, path)
    state = safe_load(str(path), map_location='cpu')['state_dict']
    own = dst.state_dict()
    shape = [k for k in state if k in own and state[k].shape != own[k].shape]
    assert shape == []  # every earlier weight keeps its shape
    missing, unexpected = dst.load_state_dict(state, strict=False)
    assert unexpected == []
    assert missing and all(any(fnmatch(k, p) for p in allowed)
                           for k in missing), missing
    for p in allowed:
        assert any(fnmatch(k, p) for k in missing), f'{p} matches no new key'
    return missing


def test_phase1_to_phase2_same_output(tmp_path):
    _, p1 = _build(PHASE1, 0)
    _trained_like(p1, 1)
    cfg2, p2 = _build(PHASE2, 2)
    assert cfg2.load_from_allow_mismatch == ['flow_refine.*',
                                             'refine.mid_extra.*']
    missing = _save_and_load(p1, p2, tmp_path, cfg2.load_from_allow_mismatch)
    assert 'refine.mid_extra.weight' in missing
    _assert_same_output(p1, p2)
    # the check can fail: once a new layer is non-zero the outputs part
    a, b, t = _frames()
    with torch.no_grad():
        p2.flow_refine.net[-1].weight.normal_(0, 0.05)
        diff = p2.interpolate(a, b, t) - p1.interpolate(a, b, t)
    assert diff.abs().max() > 1e-3


def test_phases_with_the_motion_path_same_output(tmp_path):
    _, p1 = _build(PHASE1, 0, motion=True)
    _trained_like(p1, 1)
    cfg2, p2 = _build(PHASE2, 2, motion=True)
    _save_and_load(p1, p2, tmp_path, cfg2.load_from_allow_mismatch)
    _assert_same_output(p1, p2)
    _trained_like(p2, 3)
    cfg3, p3 = _build(PHASE3, 4, motion=True)
    _save_and_load(p2, p3, tmp_path, cfg3.load_from_allow_mismatch)
    _assert_same_output(p2, p3)


def test_phase2_to_phase3_same_output(tmp_path):
    _, p2 = _build(PHASE2, 0)
    _trained_like(p2, 1)
    cfg3, p3 = _build(PHASE3, 2)
    assert cfg3.load_from_allow_mismatch == ['losses.2.features.*']
    _save_and_load(p2, p3, tmp_path, cfg3.load_from_allow_mismatch)
    _assert_same_output(p2, p3)


def test_phase2_former_layout_loads():
    """A phase-2 checkpoint whose refinement bottleneck was one conv over
    the concatenation (``refine.mid.0.weight`` with 192 input channels)
    loads split into ``mid`` and ``mid_extra``, with the same output as
    that concatenated conv."""
    _, p2 = _build(PHASE2, 0)
    _trained_like(p2, 1)
    state = dict(p2.state_dict())
    w = torch.cat((state['refine.mid.0.weight'],
                   state.pop('refine.mid_extra.weight')), 1)
    assert w.shape[1] == 192
    state['refine.mid.0.weight'] = w
    _, fresh = _build(PHASE2, 5)
    fresh.load_state_dict(state, strict=True)
    _assert_same_output(p2, fresh)


def test_new_phase2_layers_start_at_zero():
    _, p2 = _build(PHASE2, 0)
    assert torch.count_nonzero(p2.flow_refine.net[-1].weight) == 0
    assert torch.count_nonzero(p2.flow_refine.net[-1].bias) == 0
    assert torch.count_nonzero(p2.refine.mid_extra.weight) == 0
