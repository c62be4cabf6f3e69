# Copyright (c) mmext contributors. All rights reserved.
"""GAN training hooks, state object and the switchable AMP wrapper."""
import copy
import logging
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import MultiStepLR, OptimWrapper, OptimWrapperDict
from torch import nn

from mmext.engine import (GANTrainState, SwitchableAmpOptimWrapper,
                          guarded_update)
from mmext.engine.hooks import (AMPWarmupHook, CurriculumHook, GANBalanceHook,
                                GANGuardHook, GANLogHook)


class _Visualizer:

    def __init__(self):
        self.scalars = []

    def add_scalars(self, scalars, step):
        self.scalars.append((step, dict(scalars)))


def _runner(g_steps=4, d_steps=1, lr=0.1):
    torch.manual_seed(0)
    g, d = nn.Linear(3, 3), nn.Linear(3, 1)
    cls = SwitchableAmpOptimWrapper
    ow = OptimWrapperDict(
        generator=cls(optimizer=torch.optim.SGD(g.parameters(), lr=lr),
                      dtype='float16'),
        discriminator=cls(optimizer=torch.optim.SGD(d.parameters(), lr=lr),
                          dtype='float16'))
    model = SimpleNamespace(
        gan_state=GANTrainState(dict(detail=0.3), g_steps, d_steps))
    return SimpleNamespace(
        model=model,
        optim_wrapper=ow,
        iter=0,
        epoch=0,
        logger=logging.getLogger('test_gan_hooks'),
        visualizer=_Visualizer(),
        train_dataloader=[None] * 5,
        params=(g, d))


def _iterate(hook, runner, losses):
    """Feed (loss_d, loss_g) pairs through before/after_train_iter."""
    seen = []
    for i, (ld, lg) in enumerate(losses):
        runner.iter = i
        hook.before_train_iter(runner, i)
        hook.after_train_iter(
            runner, i, outputs=dict(loss_d=ld, loss_g_adv=lg))
        s = runner.model.gan_state
        seen.append((s.skip_d, hook.skip_count, s.g_steps, s.d_steps,
                     dict(hook.lr_mult), list(hook.actions)))
    return seen


# ---------------------------------------------------------------- curriculum
@pytest.mark.parametrize('epoch,detail,physics', [
    (0, 0.15, 0.25),
    (9, 0.15, 0.25),
    (10, 0.3, 0.5),
    (30, 0.3 + 0.7 * 20 / 40, 0.5 + 1.5 * 20 / 40),  # 0.65, 1.25
    (50, 1.0, 2.0),
    (80, 1.0, 2.0),
])
def test_curriculum_formula(epoch, detail, physics):
    hook = CurriculumHook(
        initial=dict(detail=0.3, physics=0.5),
        final=dict(detail=1.0, physics=2.0))
    runner = _runner()
    runner.epoch = epoch
    hook.before_train_epoch(runner)
    w = runner.model.gan_state.loss_weights
    assert w['detail'] == pytest.approx(detail)
    assert w['physics'] == pytest.approx(physics)


def test_curriculum_users_log_variant_and_errors():
    hook = CurriculumHook(
        initial=dict(detail=0.3, physics=0.5),
        final=dict(detail=1.0, physics=2.0),
        progress='epoch')
    # their log: epoch 25 at 0.65 / 1.25 (progress epoch / 50)
    assert hook.weights_at(25) == pytest.approx(dict(detail=0.65,
                                                     physics=1.25))
    formula = CurriculumHook(dict(detail=0.3), dict(detail=1.0))
    assert formula.weights_at(25)['detail'] == pytest.approx(0.5625)
    with pytest.raises(ValueError, match='same keys'):
        CurriculumHook(dict(detail=0.3), dict(physics=1.0))
    with pytest.raises(ValueError, match='progress must be one of'):
        CurriculumHook(dict(a=1), dict(a=2), progress='linear')


# ----------------------------------------------------------------- balance
def test_balance_skip_forced_step_and_reset():
    hook = GANBalanceHook(interval=1000)
    runner = _runner()
    strong = [(0.05, 1.0)] * 22
    seen = _iterate(hook, runner, strong)
    # 20 consecutive skips, then a forced D step with the counter reset
    assert [s[0] for s in seen[:20]] == [True] * 20
    assert [s[1] for s in seen[:20]] == list(range(1, 21))
    assert seen[20][0] is False and seen[20][1] == 0
    assert 'forced D step' in seen[20][5][0]
    assert seen[21][0] is True and seen[21][1] == 1
    # a batch that misses either threshold resets the counter
    for ld, lg in [(0.08, 1.0), (0.05, 0.90)]:
        hook2 = GANBalanceHook(interval=1000)
        seen2 = _iterate(hook2, _runner(), [(0.05, 1.0)] * 3 + [(ld, lg)])
        assert [s[1] for s in seen2] == [1, 2, 3, 0]
        assert seen2[-1][0] is False


def test_balance_frequencies_and_lr_bounds():
    hook = GANBalanceHook(interval=1, window=1)
    runner = _runner(g_steps=4, d_steps=2)
    # ratio 0.1/1.0 < 0.3: D too strong every iteration (and no skip:
    # D loss 0.1 >= 0.08)
    seen = _iterate(hook, runner, [(0.1, 1.0)] * 12)
    assert [s[2] for s in seen[:4]] == [6, 8, 8, 8]  # G +2, at most 8
    assert [s[3] for s in seen[:3]] == [1, 1, 1]  # D -1, at least 1
    d_mult = [s[4]['discriminator'] for s in seen]
    g_mult = [s[4]['generator'] for s in seen]
    exp_d = [max(0.8**(k + 1), 0.1) for k in range(12)]
    exp_g = [min(1.1**(k + 1), 1.5) for k in range(12)]
    assert d_mult == pytest.approx(exp_d)
    assert g_mult == pytest.approx(exp_g)
    assert d_mult[-1] == pytest.approx(0.1)  # floor 0.1 x initial reached
    assert g_mult[-1] == pytest.approx(1.5)  # cap 1.5 x initial
    assert all(not s[0] for s in seen)


def test_balance_recent_d_rule_window_interval_and_floor():
    # recent D 0.15 < 0.2 triggers even with ratio 0.15/0.4 = 0.375 >= 0.3
    hook = GANBalanceHook(interval=1, window=1)
    seen = _iterate(hook, _runner(), [(0.15, 0.4)])
    assert seen[0][2] == 6
    # balanced losses trigger nothing
    hook = GANBalanceHook(interval=1, window=1)
    seen = _iterate(hook, _runner(), [(0.5, 0.6)] * 3)
    assert [s[2] for s in seen] == [4, 4, 4] and not seen[-1][5]
    # checks only every `interval` iterations, on the window mean:
    # iters 1-4: recent D = mean of the last 4
    hook = GANBalanceHook(interval=4, window=4)
    seen = _iterate(hook, _runner(),
                    [(0.5, 0.6), (0.5, 0.6), (0.1, 1.0), (0.1, 1.0),
                     (0.1, 1.0), (0.1, 1.0), (0.1, 1.0), (0.1, 1.0)])
    # iter 4: recent D 0.3, G 0.8, ratio 0.375 -> no; iter 8: 0.1 -> yes
    assert [s[2] for s in seen] == [4] * 7 + [6]
    # G's lr floor (0.5 x initial) holds for a shrinking factor
    hook = GANBalanceHook(interval=1, window=1, g_lr_factor=0.5)
    seen = _iterate(hook, _runner(), [(0.1, 1.0)] * 3)
    assert [s[4]['generator'] for s in seen] == [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match='d_steps_min > d_steps_max'):
        GANBalanceHook(d_steps_min=3, d_steps_max=2)


def test_balance_lr_multiplier_coexists_with_scheduler():
    """Effective lr = scheduled lr x multiplier; the scheduler's own
    sequence is exactly that of a run without the hook."""
    hook = GANBalanceHook(interval=1, window=1)
    runner = _runner(lr=1.0)
    twin = nn.Linear(3, 1)
    twin_opt = torch.optim.SGD(twin.parameters(), lr=1.0)
    d_opt = runner.optim_wrapper['discriminator'].optimizer
    sched = MultiStepLR(d_opt, milestones=[2, 4], gamma=0.5, by_epoch=False)
    twin_sched = MultiStepLR(
        twin_opt, milestones=[2, 4], gamma=0.5, by_epoch=False)
    for i in range(6):
        runner.iter = i
        mult = hook.lr_mult['discriminator']
        hook.before_train_iter(runner, i)
        effective = d_opt.param_groups[0]['lr']
        scheduled = twin_opt.param_groups[0]['lr']
        assert effective == pytest.approx(scheduled * mult)
        hook.after_train_iter(
            runner, i, outputs=dict(loss_d=0.1, loss_g_adv=1.0))
        assert d_opt.param_groups[0]['lr'] == pytest.approx(scheduled)
        sched.step()
        twin_sched.step()
    assert d_opt.param_groups[0]['lr'] == pytest.approx(0.25)
    assert hook.lr_mult['discriminator'] == pytest.approx(0.8**6)


def test_balance_state_roundtrip_and_missing_key():
    hook = GANBalanceHook(interval=1, window=3)
    runner = _runner()
    _iterate(hook, runner, [(0.05, 1.0), (0.1, 1.0), (0.05, 1.0)])
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    state = copy.deepcopy(runner.model.gan_state.state_dict())
    fresh, runner2 = GANBalanceHook(interval=1, window=3), _runner()
    fresh.after_load_checkpoint(runner2, ckpt)
    assert fresh.state_dict(runner2) == hook.state_dict(runner)
    s2 = runner2.model.gan_state
    assert (s2.g_steps, s2.d_steps, s2.skip_d) == (
        state['g_steps'], state['d_steps'], state['skip_d'])
    with pytest.raises(KeyError, match="no 'loss_g_adv'"):
        hook.after_train_iter(runner, 0, outputs=dict(loss_d=1.0))


# --------------------------------------------------------------------- AMP
def test_amp_warmup_switches_at_epoch_10_with_independent_scalers():
    hook = AMPWarmupHook(warmup_epochs=10)
    runner = _runner()
    g, d = runner.params
    ow = runner.optim_wrapper
    for name in ('generator', 'discriminator'):
        ow[name].loss_scaler = torch.amp.GradScaler(
            'cpu', init_scale=2.**10, growth_interval=1)
    for epoch, on in [(0, False), (9, False), (10, True), (11, True)]:
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert ow['generator'].amp_enabled is on
        assert ow['discriminator'].amp_enabled is on
        assert runner.model.gan_state.amp is on
    assert ow['generator'].amp_dtype == torch.float16
    assert ow['generator'].uses_scaler
    assert ow['generator'].loss_scaler is not ow['discriminator'].loss_scaler
    d_before = copy.deepcopy(ow['discriminator'].state_dict())
    for _ in range(3):  # G updates only: G's scale grows, D's untouched
        with ow['generator'].optim_context(g):
            loss = g(torch.randn(4, 3)).float().pow(2).mean()
        ow['generator'].update_params(loss)
    assert ow['generator'].loss_scaler.get_scale() == 2.**13
    assert ow['discriminator'].state_dict() == d_before
    # flag + scaler state restored by load_state_dict
    state = copy.deepcopy(ow['generator'].state_dict())
    fresh = SwitchableAmpOptimWrapper(
        optimizer=torch.optim.SGD(g.parameters(), lr=0.1), dtype='float16')
    fresh.load_state_dict(state)
    assert fresh.amp_enabled and fresh.loss_scaler.get_scale() == 2.**13


def test_amp_wrapper_autocast_dtype_and_errors():
    lin = nn.Linear(3, 3)
    w = SwitchableAmpOptimWrapper(
        optimizer=torch.optim.SGD(lin.parameters(), lr=0.1),
        dtype='bfloat16')
    assert w.amp_dtype == torch.bfloat16
    with w.optim_context(lin):
        assert lin(torch.randn(2, 3)).dtype == torch.float32
    w.set_amp(True)
    assert not w.uses_scaler  # bf16 needs no loss scaling
    with w.optim_context(lin):
        assert lin(torch.randn(2, 3)).dtype == torch.bfloat16
    with pytest.raises(ValueError, match='dtype must be one of'):
        SwitchableAmpOptimWrapper(
            optimizer=torch.optim.SGD(lin.parameters(), lr=0.1),
            dtype='float8')
    runner = _runner()
    runner.optim_wrapper = OptimWrapperDict(
        generator=OptimWrapper(
            optimizer=torch.optim.SGD(lin.parameters(), lr=0.1)))
    with pytest.raises(TypeError, match='SwitchableAmpOptimWrapper'):
        AMPWarmupHook().before_train_epoch(runner)


@pytest.mark.parametrize('native', [True, False])
def test_amp_auto_on_cpu_follows_native_bf16(monkeypatch, caplog, native):
    """'auto' on CPU: bf16 with native support, else fp32 with a warning."""
    import mmext.engine.optim.switchable_amp as amp_mod
    monkeypatch.setattr(amp_mod, 'cpu_has_native_bf16', lambda: native)
    runner = _runner()
    g, d = runner.params
    runner.optim_wrapper = OptimWrapperDict(
        generator=SwitchableAmpOptimWrapper(
            optimizer=torch.optim.SGD(g.parameters(), lr=0.1)),
        discriminator=SwitchableAmpOptimWrapper(
            optimizer=torch.optim.SGD(d.parameters(), lr=0.1)))
    ow = runner.optim_wrapper
    assert ow['generator'].amp_dtype == (torch.bfloat16 if native else None)
    hook = AMPWarmupHook(warmup_epochs=10)
    runner.epoch = 10
    with caplog.at_level(logging.WARNING, logger=runner.logger.name):
        hook.before_train_epoch(runner)
    assert ow['generator'].amp_enabled  # requested either way (checkpoint)
    assert ow['generator'].amp_active is native
    assert runner.model.gan_state.amp is native  # logs say what runs
    with ow['generator'].optim_context(g):
        out = g(torch.randn(2, 3))
    assert out.dtype == (torch.bfloat16 if native else torch.float32)
    assert not ow['generator'].uses_scaler
    warned = [r for r in caplog.records if 'stay fp32' in r.getMessage()]
    assert len(warned) == (0 if native else 1)
    if not native:
        assert "['generator', 'discriminator']" in warned[0].getMessage()
    # the request survives a checkpoint: a resumed run with the dtype
    # available (a GPU, a bf16 CPU) switches on there
    state = ow['generator'].state_dict()
    fresh = SwitchableAmpOptimWrapper(
        optimizer=torch.optim.SGD(g.parameters(), lr=0.1), dtype='bfloat16')
    fresh.load_state_dict(state)
    assert fresh.amp_active


# ------------------------------------------------------------------- guard
def test_guard_skips_non_finite_and_warns_on_collapse(caplog):
    runner = _runner()
    g, _ = runner.params
    state = runner.model.gan_state
    guard = GANGuardHook(collapse_threshold=1e-3, collapse_iters=3)
    guard.before_run(runner)
    w = runner.optim_wrapper['generator']
    before = copy.deepcopy(g.state_dict())
    opt_before = copy.deepcopy(w.state_dict())
    loss = g(torch.randn(2, 3)).sum() * float('nan')
    assert guarded_update(w, loss, state, 'generator') is False
    assert all(torch.equal(before[k], v) for k, v in g.state_dict().items())
    assert w.state_dict() == opt_before
    assert g.weight.grad is None
    assert state.nonfinite_skips == {'generator': 1}
    with caplog.at_level(logging.WARNING, logger='test_gan_hooks'):
        for i in range(4):
            runner.iter = i
            guard.after_train_iter(runner, i, outputs=dict(loss_d=1e-5))
    text = caplog.text
    assert 'skipped 1 generator update(s) with a non-finite loss' in text
    assert text.count('discriminator collapse?') == 1
    assert guard.collapse_warnings == 1
    # a finite loss updates
    assert guarded_update(w, g(torch.randn(2, 3)).sum(), state, 'generator')
    assert not torch.equal(before['weight'], g.weight.detach())


# --------------------------------------------------------------------- log
def test_log_hook_lines_and_visualizer_scalars(caplog):
    runner = _runner()
    state = runner.model.gan_state
    state.amp = True
    state.lr_mult = dict(generator=1.1, discriminator=0.8)
    hook = GANLogHook(interval=2, window=2)
    with caplog.at_level(logging.INFO, logger='test_gan_hooks'):
        hook.before_train_epoch(runner)
        for i, (ld, lg) in enumerate([(0.5, 1.0), (0.3, 2.0)]):
            runner.iter = i
            hook.after_train_iter(
                runner, i, outputs=dict(loss_d=ld, loss_g=lg, d_skipped=0.))
    assert ('[GAN] ===== epoch 0 | weights detail=0.3000 | AMP on | G freq '
            '4 D freq 1 =====') in caplog.text
    assert ('[GAN] epoch 0 batch 2/5 | D 0.3000 G 2.0000 | recent D 0.4000 '
            'G 1.5000 | G freq 4 D freq 1 | weights detail=0.3000 | AMP on'
            ) in caplog.text
    step, scalars = runner.visualizer.scalars[-1]
    assert step == 2
    assert scalars == {
        'gan/loss_d': 0.3, 'gan/loss_g': 2.0, 'gan/recent_d': 0.4,
        'gan/recent_g': 1.5, 'gan/g_freq': 4, 'gan/d_freq': 1, 'gan/amp': 1,
        'gan/skip_next_d': 0, 'gan/w_detail': 0.3,
        'gan/lr_mult_generator': 1.1, 'gan/lr_mult_discriminator': 0.8,
        'gan/d_skipped': 0.0
    }
    assert not math.isnan(scalars['gan/recent_d'])


# ------------------------------------------ balance under label smoothing
def _config_hooks(path='configs/_base_/schedules/gesture_gan_adam_100e.py'):
    from mmengine.config import Config
    hooks = {h['type']: dict(h) for h in Config.fromfile(path).custom_hooks}
    return {k: {a: v for a, v in h.items() if a != 'type'}
            for k, h in hooks.items()}


def _scripted_losses(p_real, p_fake, labels=(0.9, 0.1)):
    """The train_step outputs of a D predicting ``p_real`` on real and
    ``p_fake`` on fake windows (per iteration), through the model's own
    loss (smoothed, noisy targets), as GestureGAN logs them."""
    from mmext.models.gesture.losses import SmoothedAdversarialLoss
    torch.manual_seed(0)
    adv = SmoothedAdversarialLoss(real_label=labels[0], fake_label=labels[1])
    out = []
    for pr, pf in zip(p_real, p_fake):
        lr = torch.logit(torch.full((8, 4), pr, dtype=torch.float64))
        lf = torch.logit(torch.full((8, 4), pf, dtype=torch.float64))
        d = adv.d_loss(lr, lf)
        g = adv.g_loss(lf)
        out.append(dict(
            loss_d=float(d['real'] + d['fake']), loss_g_adv=float(g),
            loss_d_excess=float(d['excess']),
            loss_g_adv_excess=float(g) - 0.9 * math.log(1 / 0.9) -
            0.1 * math.log(1 / 0.1) if labels == (0.9, 0.1) else None))
    return out


def _feed(hook, runner, outputs):
    fired = []
    for i, out in enumerate(outputs):
        runner.iter = i
        hook.before_train_iter(runner, i)
        hook.after_train_iter(runner, i, outputs=out)
        fired += list(hook.actions)
    return fired


def test_each_balance_rule_fires_under_the_configured_label_smoothing(
        caplog):
    cfg = _config_hooks()
    # a D that matches its smoothed targets exactly: the strongest D there
    # is under 0.90 / 0.10 labels; G's fakes are scored 0.1
    strong = _scripted_losses([0.9] * 60, [0.1] * 60)
    raw_d = [o['loss_d'] for o in strong]
    # its raw BCE sits at the floor H(0.9) + H(0.1) = 0.650 (+- the offset)
    assert min(raw_d) > 0.55 and abs(sum(raw_d) / 60 - 0.6502) < 0.02
    assert max(o['loss_d_excess'] for o in strong) < 1e-6
    # the recipe's literal thresholds on the raw losses can never fire
    raw_hook = GANBalanceHook(**dict(cfg['GANBalanceHook'],
                                     d_loss_key='loss_d',
                                     g_loss_key='loss_g_adv'))
    assert _feed(raw_hook, _runner(), strong[:30]) == []
    # ... and on the losses relative to their floor each rule fires
    assert cfg['GANBalanceHook']['skip_d_below'] == 0.08  # literal numbers
    assert cfg['GANBalanceHook']['recent_d_below'] == 0.2
    hook = GANBalanceHook(**cfg['GANBalanceHook'])
    runner = _runner()
    fired = _feed(hook, runner, strong[:21])
    assert sum('skip next D step' in a for a in fired) == 20
    assert sum('forced D step after 20' in a for a in fired) == 1
    assert sum('D too strong' in a for a in fired) == 2  # iters 10, 20
    # the recent-D rule alone: D exact on real windows, fakes scored 0.37
    # (recent D 0.190 < 0.2, G 0.616 < 0.9: no skip, ratio 0.309 >= 0.3)
    mid = _scripted_losses([0.9] * 10, [0.37] * 10)
    rd = sum(o['loss_d_excess'] for o in mid) / 10
    rg = sum(o['loss_g_adv_excess'] for o in mid) / 10
    assert rd < 0.2 and rd / rg >= 0.3 and rg < 0.9, (rd, rg)
    hook = GANBalanceHook(**cfg['GANBalanceHook'])
    fired = _feed(hook, _runner(), mid)
    assert [a for a in fired if 'skip' in a] == []
    assert sum('D too strong' in a for a in fired) == 1
    # a balanced D (0.6 / 0.4) fires nothing
    hook = GANBalanceHook(**cfg['GANBalanceHook'])
    assert _feed(hook, _runner(),
                 _scripted_losses([0.6] * 20, [0.4] * 20)) == []
    # the collapse warning (excess < 1e-3 for 50 iterations)
    guard = GANGuardHook(**cfg['GANGuardHook'])
    runner = _runner()
    guard.before_run(runner)
    with caplog.at_level(logging.WARNING, logger='test_gan_hooks'):
        for i, out in enumerate(strong):
            runner.iter = i
            guard.after_train_iter(runner, i, outputs=out)
    assert guard.collapse_warnings == 1
    assert 'discriminator collapse?' in caplog.text
    raw_guard = GANGuardHook(
        **dict(cfg['GANGuardHook'], d_loss_key='loss_d'))
    raw_guard.before_run(runner)
    for i, out in enumerate(strong):
        raw_guard.after_train_iter(runner, i, outputs=out)
    assert raw_guard.collapse_warnings == 0


def test_excess_is_the_kl_to_the_labels():
    from mmext.models.gesture.losses import (SmoothedAdversarialLoss,
                                             binary_entropy)
    x = torch.linspace(-4, 4, 9, dtype=torch.float64)
    p = torch.sigmoid(x)
    for label in (0.9, 0.1, 0.98, 1.0):
        kl = (label * torch.log(label / p) +
              ((1 - label) * torch.log((1 - label) / (1 - p))
               if label < 1 else 0)).mean()
        assert float(SmoothedAdversarialLoss.excess(x, label)) == \
            pytest.approx(float(kl), abs=1e-6)
    assert float(binary_entropy(torch.tensor(0.9)) * 2) == pytest.approx(
        0.6502, abs=1e-4)


def test_loss_weight_curriculum_keeps_its_former_name():
    """Configs and checkpoints written as ``CurriculumHook`` still work."""
    from mmext.engine.hooks import LossWeightCurriculumHook
    from mmext.registry import HOOKS
    cfg = dict(initial=dict(detail=0.3), final=dict(detail=1.0))
    for name in ('LossWeightCurriculumHook', 'CurriculumHook'):
        hook = HOOKS.build(dict(type=name, **cfg))
        assert type(hook) is LossWeightCurriculumHook
        assert hook._key() == 'CurriculumHook'  # the checkpoint's key
    assert CurriculumHook is LossWeightCurriculumHook
