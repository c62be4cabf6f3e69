# Copyright (c) mmext contributors. All rights reserved.
"""PCANHead against the official PCAN head and hand-computed cases.

``tests/data/action/pcan_head_official.npz`` was generated once by running
the official head (github.com/kunli-cs/PCAN, commit 873788a) with
``tools/misc/make_pcan_head_fixture.py``: its weights, inputs and labels,
the losses and input gradients of two training steps, the prototype
memories after each step and the rectified logits / clip-averaged
probabilities at inference.
"""
import math

import numpy as np
import pytest
import torch
from conftest import ROOT
from mmaction.structures import ActionDataSample

from mmext.models.action import PCANHead
from mmext.models.action.pcan_head import (hrn_tree_loss,
                                           prototype_contrast_loss,
                                           update_prototype_memory)


@pytest.fixture(autouse=True)
def _mmaction_scope():
    """Build in mmaction's registry whatever default scope is current."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        yield


FIXTURE = ROOT / 'tests/data/action/pcan_head_official.npz'
#: Tolerances in float64 (relative, absolute). The measured worst case under
#: every CPU kernel setting is in docs/benchmarks.md ("Host-independent
#: numeric fixtures").
RTOL = 1e-9
#: (what, max abs error / max |reference|) of every comparison made, read by
#: tests/data/fixture_error_budget.py
ERRORS = []


def _assert_rel(actual, expected, what):
    """``actual`` equals ``expected`` to RTOL of the largest value."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected)
    assert expected.dtype == np.float64, f'{what}: fixture is not float64'
    assert actual.shape == expected.shape, (what, actual.shape,
                                            expected.shape)
    err = float(np.abs(actual - expected).max())
    scale = max(float(np.abs(expected).max()), 1e-12)
    ERRORS.append((what, err / scale))
    assert err <= RTOL * scale, \
        f'{what}: max abs error {err:.3g} vs max |ref| {scale:.3g}'


def _samples(labels):
    out = []
    for y in labels:
        ds = ActionDataSample()
        ds.set_gt_label(int(y))
        out.append(ds)
    return out


def _head_from_fixture(fx, **overrides):
    head = PCANHead(
        num_classes=52, in_channels=(6, 4), hierarchy='ma52',
        proto_channels=(5, 4), dropout=0.0, **overrides)
    t = {k: torch.from_numpy(fx[k]).double() for k in fx.files
         if k.startswith('w/')}
    sd = {}
    for s in ('rgb', 'pose'):
        for ours, theirs in ((f'fc_fine.{s}', f'fc_{s}'),
                             (f'fc_coarse.{s}', f'fc_{s}_coarse'),
                             (f'proj_fine.{s}', f'fr_{s}.cl_fc'),
                             (f'proj_coarse.{s}', f'fr_coarse_{s}.cl_fc')):
            for p in ('weight', 'bias'):
                sd[f'{ours}.{p}'] = t[f'w/{theirs}.{p}']
        sd[f'{s}_memory_fine'] = t[f'w/fr_{s}.avg_f'].t()
        sd[f'{s}_memory_coarse'] = t[f'w/fr_coarse_{s}.avg_f'].t()
    head.double().load_state_dict(sd)
    return head


# our loss keys -> the official keys (their fine prototype loss includes the
# diversity term)
KEYS = {
    'loss_fine': ['{s}_loss_cls'],
    'loss_coarse': ['{s}_coarse_loss_cls'],
    'loss_tree': ['hierarchy_{s}_loss'],
    'loss_proto_coarse': ['{s}_fr_coarse_loss'],
}


def test_pcan_head_matches_official_implementation():
    _compare_with_official(_head_from_fixture(np.load(FIXTURE)))


def _compare_with_official(head):
    fx = np.load(FIXTURE)
    for step in (1, 2):
        pre = f'step{step}/'
        rgb = torch.from_numpy(fx[pre + 'in/rgb']).double().requires_grad_()
        pose = torch.from_numpy(fx[pre + 'in/pose']).double().requires_grad_()
        labels = fx[pre + 'in/label']
        head.train()
        losses = head.loss((rgb, pose), _samples(labels))
        total = sum(v for k, v in losses.items() if 'loss' in k)
        total.backward()
        for s in ('rgb', 'pose'):
            for ours, theirs in KEYS.items():
                _assert_rel(losses[f'{s}_{ours}'].item(),
                            fx[pre + 'loss/' + theirs[0].format(s=s)],
                            f'step {step} {s} {ours}')
            fr = losses[f'{s}_loss_proto_fine'] + \
                losses[f'{s}_loss_proto_div']
            _assert_rel(fr.item(), fx[pre + f'loss/{s}_fr_loss'],
                        f'step {step} {s} fr_loss')
            _assert_rel(losses[f'{s}_loss_proto_div'].item() * 5,
                        fx[pre + f'div/{s}'], f'step {step} {s} diversity')
            _assert_rel(getattr(head, f'{s}_memory_fine').numpy(),
                        fx[pre + f'mem/fr_{s}.avg_f'].T,
                        f'step {step} {s} fine memory')
            _assert_rel(getattr(head, f'{s}_memory_coarse').numpy(),
                        fx[pre + f'mem/fr_coarse_{s}.avg_f'].T,
                        f'step {step} {s} coarse memory')
        _assert_rel(total.item(), fx[pre + 'loss/total'],
                    f'step {step} total loss')
        _assert_rel(rgb.grad.numpy(), fx[pre + 'grad/rgb'],
                    f'step {step} rgb grad')
        _assert_rel(pose.grad.numpy(), fx[pre + 'grad/pose'],
                    f'step {step} pose grad')

    # inference: rectification (5 cos for RGB, 1 cos for pose), softmax
    # averaged over 2 clips per sample, fused = mean of the streams
    head.eval()
    rgb = torch.from_numpy(fx['eval/in/rgb']).double()
    pose = torch.from_numpy(fx['eval/in/pose']).double()
    n = rgb.size(0) // 2
    with torch.no_grad():
        out = head((rgb, pose))
        for s in ('rgb', 'pose'):
            _assert_rel(head.rectified_logits(s, out[s]).numpy(),
                        fx[f'eval/logits/{s}'], f'eval {s} logits')
        samples = head.predict((rgb, pose), _samples([0] * n))
    for i, ds in enumerate(samples):
        for s in ('rgb', 'pose'):
            _assert_rel(ds.stream_scores[s]['fine'].numpy(),
                        fx[f'eval/probs/{s}'][i], f'eval {s} probs')
            _assert_rel(ds.stream_scores[s]['coarse'].numpy(),
                        fx[f'eval/probs/{s}_coarse'][i],
                        f'eval {s} coarse probs')
        fused = (fx['eval/probs/rgb'][i] + fx['eval/probs/pose'][i]) / 2
        _assert_rel(ds.pred_score.numpy(), fused, 'eval fused')


@pytest.mark.parametrize('wrong', [
    dict(momentum=0.9 + 1e-6),  # prototype memory update
    dict(temperature=0.125 * (1 + 1e-6)),  # contrastive loss
    dict(rectify_weights=dict(rgb=5.0 + 1e-6, pose=1.0)),  # inference
])
def test_pcan_fixture_catches_wrong_heads(wrong):
    """A 1e-6 relative change of one of PCAN's constants fails the test."""
    head = _head_from_fixture(np.load(FIXTURE), **wrong)
    with pytest.raises(AssertionError, match='max abs error'):
        _compare_with_official(head)


def test_hrn_tree_loss_hand_computed():
    # 2 groups, 3 fine classes: 0, 1 -> group 0, 2 -> group 1
    f2c = torch.tensor([0, 0, 1])
    coarse = torch.tensor([[0.0, 1.0]])
    fine = torch.tensor([[2.0, -1.0, 0.5]])
    sig = torch.sigmoid
    sc, sf = sig(coarse[0]), sig(fine[0])
    states = [sc[0], sc[1], sf[0] + sc[0], sf[1] + sc[0], sf[2] + sc[1]]
    z = sum(math.exp(v) for v in states)
    for label in range(3):
        want = -math.log(math.exp(states[2 + label]) / z)
        got = hrn_tree_loss(coarse, fine, torch.tensor([label]), f2c)
        assert got.item() == pytest.approx(want, rel=1e-6)


def test_memory_moves_only_for_true_positives():
    memory = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    feats = torch.tensor([[2.0, 4.0], [0.0, 2.0], [5.0, 5.0]])
    # samples 0 and 1 are true positives of class 1, sample 2 of nothing
    tp = torch.tensor([[0., 1., 0.], [0., 1., 0.], [0., 0., 0.]])
    new = update_prototype_memory(memory, feats, tp, momentum=0.9)
    expected = memory.clone()
    expected[1] = 0.9 * memory[1] + 0.1 * torch.tensor([1.0, 3.0])
    assert torch.allclose(new, expected)


def test_fine_memory_needs_fine_and_coarse_correct():
    torch.manual_seed(0)
    head = PCANHead(num_classes=52, in_channels=(4, ), streams=('rgb', ),
                    hierarchy='ma52', proto_channels=(3, 2), dropout=0.0)
    with torch.no_grad():
        head.fc_fine['rgb'].weight.zero_()
        head.fc_fine['rgb'].bias.zero_()
        head.fc_fine['rgb'].bias[9] = 5.0  # predicts class 9 (group 1)
        head.fc_coarse['rgb'].weight.zero_()
        head.fc_coarse['rgb'].bias.zero_()
    feats = torch.randn(1, 4)
    before = head.rgb_memory_fine.clone()
    head.train()
    # fine right (9) but coarse wrong (predicts group 0): memory stays
    head.fc_coarse['rgb'].bias.data[0] = 5.0
    head.loss((feats, ), _samples([9]))
    assert torch.equal(head.rgb_memory_fine, before)
    # fine and coarse right: class 9 moves, no other class does
    head.fc_coarse['rgb'].bias.data.zero_()
    head.fc_coarse['rgb'].bias.data[1] = 5.0
    head.loss((feats, ), _samples([9]))
    f = head.proj_fine['rgb'](feats)[0].detach()
    assert torch.allclose(head.rgb_memory_fine[9],
                          0.9 * before[9] + 0.1 * f, atol=1e-6)
    others = [k for k in range(52) if k != 9]
    assert torch.equal(head.rgb_memory_fine[others], before[others])


def test_contrast_loss_hand_computed():
    # one sample of class 0, no FN/FP sets active: plain prototype CE
    feats = torch.tensor([[3.0, 4.0]])
    memory = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    probs = torch.tensor([[0.3, 0.7]])
    zero = torch.zeros(1, 2)
    loss = prototype_contrast_loss(feats, memory, torch.tensor([0]), probs,
                                   [(zero, 1.0)], zero, 0.125, 0.125)
    cos = torch.tensor([0.6, 0.8]) / 0.125
    want = 2 * -torch.log_softmax(cos, 0)[0]  # FN and FP terms, equal here
    assert loss.item() == pytest.approx(want.item(), rel=1e-6)
    # an FN set on class 0 holding the sample itself: cos(S, z) = 1, so the
    # modulation (1 - 1) vanishes; a FP set pushes: -(1) - 1 = -2
    fn = torch.tensor([[1.0, 0.0]])
    loss_fp = prototype_contrast_loss(feats, memory, torch.tensor([0]),
                                      probs, [(fn, 1.0)], fn, 0.125, 0.125)
    l_fp = cos.clone()
    l_fp[0] += -2 * 0.7 * 0.125 / 0.125
    want = -torch.log_softmax(cos, 0)[0] - torch.log_softmax(l_fp, 0)[0]
    assert loss_fp.item() == pytest.approx(want.item(), rel=1e-6)


def test_pcan_head_errors():
    with pytest.raises(ValueError, match='hierarchy is required'):
        PCANHead(num_classes=52, in_channels=(8, 4), hierarchy=None)
    with pytest.raises(ValueError, match='one channel count per stream'):
        PCANHead(num_classes=52, in_channels=(8, ), hierarchy='ma52')
    with pytest.raises(ValueError, match='maps 52 fine classes'):
        PCANHead(num_classes=60, in_channels=(8, 4), hierarchy='ma52')
    with pytest.raises(ValueError, match='unknown loss_weights keys'):
        PCANHead(num_classes=52, in_channels=(8, 4), hierarchy='ma52',
                 loss_weights=dict(proto=1.0))
