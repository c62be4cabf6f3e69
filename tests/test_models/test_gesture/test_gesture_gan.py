# Copyright (c) mmext contributors. All rights reserved.
import copy
import math

import pytest
import torch
from mmengine.optim import OptimWrapperDict

from mmext.datasets.gesture import Skeleton
from mmext.engine import SwitchableAmpOptimWrapper
from mmext.models.gesture import (GestureGAN, PhysicsLoss,
                                  SmoothedAdversarialLoss, bend_angles,
                                  detail_loss)

NAMES = ['Hips', 'Spine', 'Neck', 'Head', 'RArm', 'RArm1', 'RHand',
         'RHandI1', 'RHandI2', 'LArm', 'LArm1', 'LHand', 'LHandI1',
         'LHandI2']
PARENTS = [-1, 0, 1, 2, 1, 4, 5, 6, 7, 1, 9, 10, 11, 12]


def tiny_gan(**kw):
    sk = Skeleton(NAMES, PARENTS)
    cfg = dict(
        generator=dict(
            type='GestureGenerator', audio_dims=6, embed_dims=16,
            gat_heads=2, temporal_heads=2, num_res_blocks=1),
        discriminator=dict(type='GestureDiscriminator', embed_dims=16,
                           num_layers=2),
        skeleton=sk.to_dict())
    cfg.update(kw)
    return GestureGAN(**cfg)


def batch(b=2, t=16):
    g = torch.Generator().manual_seed(0)
    motion = torch.randn(b, t, len(NAMES), 3, generator=g) * 0.1
    return dict(
        inputs=dict(audio=torch.randn(b, t, 6, generator=g),
                    seed=motion[:, :4]),
        data_samples=dict(motion=motion))


def wrappers(model, amp=True):
    out = {}
    for name in ('generator', 'discriminator'):
        w = SwitchableAmpOptimWrapper(
            optimizer=torch.optim.Adam(getattr(model, name).parameters(),
                                       lr=1e-3),
            dtype='float16', amp=amp)
        w.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.**8,
                                             growth_interval=1)
        out[name] = w
    return OptimWrapperDict(**out)


def _same(a, b) -> bool:
    """Recursive equality of nested state dicts holding tensors."""
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


def _params(m):
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def test_skipped_d_step_leaves_d_optimizer_and_scaler_untouched():
    torch.manual_seed(0)
    model = tiny_gan(g_steps=2, d_steps=1)
    ow = wrappers(model, amp=True)  # fp16 autocast + GradScaler on CPU
    model.train_step(batch(), ow)  # both optimizers have state now
    d_opt = copy.deepcopy(ow['discriminator'].state_dict())
    d_params = _params(model.discriminator)
    g_params = _params(model.generator)
    g_scale = ow['generator'].loss_scaler.state_dict()
    model.gan_state.skip_d = True
    log = model.train_step(batch(), ow)
    assert log['d_skipped'].item() == 1.0
    assert math.isfinite(log['loss_d'].item())  # still monitored
    assert _same(ow['discriminator'].state_dict(), d_opt)  # + scaler
    assert all(torch.equal(v, model.discriminator.state_dict()[k])
               for k, v in d_params.items())
    assert all(p.grad is None or not p.grad.any()
               for p in model.discriminator.parameters())
    # G did step, and its own scaler moved on
    assert any(not torch.equal(v, model.generator.state_dict()[k])
               for k, v in g_params.items())
    assert ow['generator'].loss_scaler.state_dict() != g_scale
    # the next, un-skipped D step works (no "No inf checks" error)
    model.gan_state.skip_d = False
    model.train_step(batch(), ow)
    assert ow['discriminator'].state_dict()['loss_scaler'] != \
        d_opt['loss_scaler']


def test_step_frequencies_and_loss_weights_come_from_state():
    torch.manual_seed(0)
    model = tiny_gan(g_steps=3, d_steps=2)
    ow = wrappers(model, amp=False)
    model.train_step(batch(), ow)
    # Adam's step counter = number of updates
    g_state = ow['generator'].optimizer.state_dict()['state']
    d_state = ow['discriminator'].optimizer.state_dict()['state']
    assert int(next(iter(g_state.values()))['step']) == 3
    assert int(next(iter(d_state.values()))['step']) == 2
    model.eval()
    b = batch()
    fake = model(**b, mode='tensor')
    real = b['data_samples']['motion']
    model.gan_state.loss_weights.update(detail=2.0, physics=0.0, rec=0.0)
    _, parts = model._g_losses(fake, real)
    assert parts['loss_g'].item() == pytest.approx(
        2.0 * (parts['loss_vel'] + parts['loss_acc']).item(), rel=1e-6)
    with pytest.raises(KeyError, match='unknown loss_weights'):
        tiny_gan(loss_weights=dict(style=1.0))


def test_graph_variants_and_no_cross_attention():
    for layers in (('gat', ) * 5, ('gcn', ) * 5):
        m = tiny_gan(generator=dict(
            type='GestureGenerator', audio_dims=6, embed_dims=16,
            gat_heads=2, temporal_heads=2, graph_layers=layers))
        assert m(**batch(), mode='tensor').shape == (2, 16, 14, 3)
    m = tiny_gan(generator=dict(
        type='GestureGenerator', audio_dims=6, embed_dims=16, gat_heads=2,
        temporal_heads=2, use_cross_attention=False))
    assert m.generator.cross is None
    with pytest.raises(ValueError, match='graph_layers entries'):
        tiny_gan(generator=dict(type='GestureGenerator', audio_dims=6,
                                graph_layers=('gin', )))


def test_physics_and_detail_losses_hand_computed():
    # chain 0-1-2 along x, then bend joint 2 by 90 degrees
    bones = [(1, 0), (2, 1)]
    x = torch.tensor([[[0., 0, 0], [1, 0, 0], [1, 2, 0]]])  # (T=1, J, 3)
    assert bend_angles(x, [(0, 1, 2)]).item() == pytest.approx(math.pi / 2)
    loss = PhysicsLoss(bones, [(0, 1, 2, 0., math.radians(60))])
    target = torch.tensor([[[0., 0, 0], [1, 0, 0], [2, 0, 0]]])
    out = loss(x, target)
    assert out['bone'].item() == pytest.approx((0 + 1) / 2)  # |2-1|, |1-1|
    assert out['angle'].item() == pytest.approx(math.radians(30), rel=1e-4)
    # detail: velocities 1 vs 0 per frame, acceleration 0
    p = torch.arange(3.)[:, None, None].expand(3, 1, 3)
    d = detail_loss(p, torch.zeros(3, 1, 3))
    assert d['vel'].item() == 1.0 and d['acc'].item() == 0.0


def test_smoothed_labels():
    torch.manual_seed(0)
    adv = SmoothedAdversarialLoss()
    t = adv.targets(torch.zeros(10000), 0.9)
    assert abs(t.mean().item() - 0.9) <= 0.02 + 1e-3
    assert t.std().item() == pytest.approx(0.005, rel=0.05)
    assert 0.1 - 0.02 - 0.03 < adv.targets(torch.zeros(100), 0.1).min()
    # G's target is the plain real label: BCE(logit 0, 0.9) = log 2
    assert adv.g_loss(torch.zeros(4)).item() == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match='fake_label < real_label'):
        SmoothedAdversarialLoss(real_label=0.1, fake_label=0.9)


def test_generator_starts_from_the_seed_and_logs_the_losses_excess():
    torch.manual_seed(0)
    model = tiny_gan()
    data = batch()
    seed = data['inputs']['seed']
    out = model.generator(data['inputs']['audio'], seed)
    # zero-initialised head: step 0 is the hold-seed baseline exactly
    assert torch.equal(out, seed[:, -1:].expand_as(out))
    logs = model.train_step(copy.deepcopy(data), wrappers(model, amp=False))
    # after one step the head has moved off the seed
    out = model.generator(data['inputs']['audio'], seed)
    assert (out - seed[:, -1:]).abs().max() > 0
    # the balance rules' inputs: BCE minus its floor under 0.90 / 0.10
    h = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    assert float(logs['loss_g_adv_excess']) == pytest.approx(
        float(logs['loss_g_adv']) - h, abs=1e-6)
    assert float(logs['loss_d_excess']) >= 0


def test_loss_balance_gradient_norms():
    torch.manual_seed(0)
    model = tiny_gan()
    data = batch()
    before = _params(model)
    out = model.loss_balance(copy.deepcopy(data))
    assert _same(before, _params(model))  # nothing updated
    # L1's gradient is sign(fake - real) / N per element: its norm is
    # sqrt(#elements that differ) / N (step 0 holds the last seed pose, so
    # that frame matches exactly)
    real = data['data_samples']['motion']
    fake = model.generator(data['inputs']['audio'], data['inputs']['seed'])
    differ = int(((fake - real) != 0).sum())
    assert differ == real.numel() * 15 // 16
    assert out['grad_rec'] == pytest.approx(
        math.sqrt(differ) / real.numel(), rel=1e-5)
    assert out['grad_adv'] > 0 and out['grad_detail'] > 0
    model.gan_state.loss_weights['adv'] = 0.
    assert model.loss_balance(copy.deepcopy(data))['grad_adv'] == 0
