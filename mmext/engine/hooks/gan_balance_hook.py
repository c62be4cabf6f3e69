# Copyright (c) mmext contributors. All rights reserved.
"""Keep a GAN's discriminator from overpowering its generator."""
import math
from collections import deque
from typing import Optional

from mmengine.optim import OptimWrapperDict

from mmext.engine.gan_state import get_gan_state
from mmext.registry import HOOKS
from .stateful import StatefulHook

__all__ = ['GANBalanceHook', 'scalar_output']


def scalar_output(outputs, key: str, hook: str) -> float:
    """``float(outputs[key])`` with an error naming the missing key."""
    if not isinstance(outputs, dict) or key not in outputs:
        have = sorted(outputs) if isinstance(outputs, dict) else outputs
        raise KeyError(f'{hook}: train_step output has no {key!r} '
                       f'(has {have}); set the hook\'s loss key arguments')
    return float(outputs[key])


@HOOKS.register_module()
class GANBalanceHook(StatefulHook):
    """Skip-D, step-frequency and learning-rate rules of a GAN.

    Rules (defaults: the recipe of docs/gesture/training.md, "GAN balance"):

    * **Skip D.** After an iteration with D loss ``< skip_d_below`` and G
      loss ``> skip_g_above``, the next batch's D update(s) are skipped
      (the model computes D's loss without backward, and never calls D's
      optim wrapper, so D's optimizer and GradScaler are untouched). After
      ``max_skips`` consecutive skips the next D step is forced and the
      counter reset; an iteration that does not meet the condition resets
      it too.
    * **Frequencies.** Every ``interval`` iterations, D counts as *too
      strong* when ``recent D / recent G < ratio_below`` or ``recent D <
      recent_d_below`` (``recent`` = mean of the last ``window``
      iterations). Then G's steps per batch grow by ``g_steps_inc`` (at
      most ``g_steps_max``) and D's shrink by ``d_steps_dec`` (kept in
      ``[d_steps_min, d_steps_max]``).
    * **Learning rates.** On the same event D's lr multiplier is multiplied
      by ``d_lr_factor`` (floor ``d_lr_floor``) and G's by ``g_lr_factor``
      (within ``[g_lr_floor, g_lr_cap]``); multipliers are relative to the
      scheduled lr.

    **Who owns lr.** Param schedulers own the *scheduled* lr in
    ``param_group['lr']``; this hook owns a multiplier. Before each
    iteration it sets ``lr = scheduled * multiplier``; after the iteration
    (before :class:`~mmengine.hooks.ParamSchedulerHook` runs, which has a
    lower priority) it writes the scheduled value back, so schedulers
    (many of them update ``lr`` recursively from its current value) never
    see, and never compound, the multiplier. Checkpoints hold the scheduled
    lr plus this hook's multipliers.

    Args:
        d_loss_key (str): Key of D's loss in ``train_step``'s output.
        g_loss_key (str): Key of G's (adversarial) loss.
        generator (str): Name of G's optim wrapper. Defaults to
            ``'generator'``.
        discriminator (str): Name of D's optim wrapper.
        skip_d_below, skip_g_above (float): Skip thresholds (0.08, 0.90).
        max_skips (int): Consecutive skips before a forced D step (20).
        ratio_below (float): D/G ratio threshold (0.3).
        recent_d_below (float): Recent-D threshold (0.2).
        window (int): Iterations averaged as "recent". Defaults to 10.
        interval (int): Iterations between frequency/lr checks. Defaults
            to 10 (the recipe does not say; docs/gesture/training.md).
        g_steps_inc, g_steps_max (int): 2, 8.
        d_steps_dec, d_steps_min, d_steps_max (int): 1, 1, 2.
        d_lr_factor, d_lr_floor (float): 0.8, 0.1.
        g_lr_factor, g_lr_cap, g_lr_floor (float): 1.1, 1.5, 0.5.
        log_actions (bool): Log a line when a rule fires. Defaults to True.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 d_loss_key: str = 'loss_d',
                 g_loss_key: str = 'loss_g_adv',
                 generator: str = 'generator',
                 discriminator: str = 'discriminator',
                 skip_d_below: float = 0.08,
                 skip_g_above: float = 0.90,
                 max_skips: int = 20,
                 ratio_below: float = 0.3,
                 recent_d_below: float = 0.2,
                 window: int = 10,
                 interval: int = 10,
                 g_steps_inc: int = 2,
                 g_steps_max: int = 8,
                 d_steps_dec: int = 1,
                 d_steps_min: int = 1,
                 d_steps_max: int = 2,
                 d_lr_factor: float = 0.8,
                 d_lr_floor: float = 0.1,
                 g_lr_factor: float = 1.1,
                 g_lr_cap: float = 1.5,
                 g_lr_floor: float = 0.5,
                 log_actions: bool = True) -> None:
        for name, v in (('max_skips', max_skips), ('window', window),
                        ('interval', interval), ('g_steps_max', g_steps_max),
                        ('d_steps_min', d_steps_min)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f'GANBalanceHook: {name} must be a positive '
                                 f'int, got {v!r}')
        if d_steps_min > d_steps_max:
            raise ValueError('GANBalanceHook: d_steps_min > d_steps_max '
                             f'({d_steps_min} > {d_steps_max})')
        if not g_lr_floor <= 1.0 <= g_lr_cap:
            raise ValueError('GANBalanceHook: need g_lr_floor <= 1 <= '
                             f'g_lr_cap, got {g_lr_floor}, {g_lr_cap}')
        self.d_loss_key = d_loss_key
        self.g_loss_key = g_loss_key
        self.names = dict(generator=generator, discriminator=discriminator)
        self.skip_d_below = skip_d_below
        self.skip_g_above = skip_g_above
        self.max_skips = max_skips
        self.ratio_below = ratio_below
        self.recent_d_below = recent_d_below
        self.window = window
        self.interval = interval
        self.g_steps_inc = g_steps_inc
        self.g_steps_max = g_steps_max
        self.d_steps_dec = d_steps_dec
        self.d_steps_min = d_steps_min
        self.d_steps_max = d_steps_max
        self.d_lr_factor = d_lr_factor
        self.d_lr_floor = d_lr_floor
        self.g_lr_factor = g_lr_factor
        self.g_lr_cap = g_lr_cap
        self.g_lr_floor = g_lr_floor
        self.log_actions = log_actions
        self.skip_count = 0
        self.recent_d = deque(maxlen=window)
        self.recent_g = deque(maxlen=window)
        self.lr_mult = dict(generator=1.0, discriminator=1.0)
        self._scheduled: Optional[dict] = None
        self.actions = []  # (iter, text) of the last iteration, for tests

    # -- rules (pure: no runner) -------------------------------------
    def decide_skip(self, loss_d: float, loss_g: float) -> str:
        """Update the skip counter; return ``'skip'``, ``'force'`` or
        ``'step'`` for the next D update."""
        if loss_d < self.skip_d_below and loss_g > self.skip_g_above:
            if self.skip_count >= self.max_skips:
                self.skip_count = 0
                return 'force'
            self.skip_count += 1
            return 'skip'
        self.skip_count = 0
        return 'step'

    def d_too_strong(self) -> bool:
        if not self.recent_d:
            return False
        rd = sum(self.recent_d) / len(self.recent_d)
        rg = sum(self.recent_g) / len(self.recent_g)
        ratio = rd / rg if rg > 0 else math.inf
        return ratio < self.ratio_below or rd < self.recent_d_below

    def rebalance(self, state) -> None:
        """Apply the frequency and lr rules to ``state`` (D too strong)."""
        state.g_steps = min(state.g_steps + self.g_steps_inc,
                            self.g_steps_max)
        state.d_steps = min(
            max(state.d_steps - self.d_steps_dec, self.d_steps_min),
            self.d_steps_max)
        self.lr_mult['discriminator'] = max(
            self.lr_mult['discriminator'] * self.d_lr_factor,
            self.d_lr_floor)
        self.lr_mult['generator'] = min(
            max(self.lr_mult['generator'] * self.g_lr_factor,
                self.g_lr_floor), self.g_lr_cap)
        state.lr_mult = dict(self.lr_mult)

    # -- hook API --------------------------------------------------------
    def _wrappers(self, runner):
        ow = runner.optim_wrapper
        if not isinstance(ow, OptimWrapperDict):
            raise TypeError('GANBalanceHook needs an OptimWrapperDict '
                            "(optim_wrapper=dict(constructor="
                            "'MultiOptimWrapperConstructor', generator=..., "
                            'discriminator=...))')
        out = {}
        for role, name in self.names.items():
            if name not in ow:
                raise KeyError(f'GANBalanceHook: no optim wrapper {name!r} '
                               f'({role}); available: {sorted(ow.keys())}')
            out[role] = ow[name]
        return out

    def before_run(self, runner) -> None:
        # runs before a resume's after_load_checkpoint, which overrides it
        state = get_gan_state(runner)
        state.d_steps = min(max(state.d_steps, self.d_steps_min),
                            self.d_steps_max)
        state.g_steps = min(state.g_steps, self.g_steps_max)
        state.lr_mult = dict(self.lr_mult)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._scheduled = {}
        for role, wrapper in self._wrappers(runner).items():
            groups = wrapper.optimizer.param_groups
            self._scheduled[role] = [g['lr'] for g in groups]
            for g in groups:
                g['lr'] = g['lr'] * self.lr_mult[role]

    def _restore_lr(self, runner) -> None:
        if self._scheduled is None:
            return
        for role, wrapper in self._wrappers(runner).items():
            for g, lr in zip(wrapper.optimizer.param_groups,
                             self._scheduled[role]):
                g['lr'] = lr
        self._scheduled = None

    def _log(self, runner, text: str) -> None:
        self.actions.append(text)
        if self.log_actions:
            runner.logger.info(f'[GANBalance] iter {runner.iter + 1}: {text}')

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self._restore_lr(runner)
        self.actions = []
        state = get_gan_state(runner)
        loss_d = scalar_output(outputs, self.d_loss_key, 'GANBalanceHook')
        loss_g = scalar_output(outputs, self.g_loss_key, 'GANBalanceHook')
        self.recent_d.append(loss_d)
        self.recent_g.append(loss_g)
        decision = self.decide_skip(loss_d, loss_g)
        state.skip_d = decision == 'skip'
        if decision == 'skip':
            self._log(runner, f'skip next D step ({self.d_loss_key} '
                      f'{loss_d:.4f} < {self.skip_d_below}, '
                      f'{self.g_loss_key} {loss_g:.4f} > '
                      f'{self.skip_g_above}; consecutive skips '
                      f'{self.skip_count}/{self.max_skips})')
        elif decision == 'force':
            self._log(runner, f'forced D step after {self.max_skips} '
                      'consecutive skips; counter reset')
        if (runner.iter + 1) % self.interval == 0 and self.d_too_strong():
            old = (state.g_steps, state.d_steps, dict(self.lr_mult))
            self.rebalance(state)
            self._log(
                runner, f'D too strong (recent {self.d_loss_key} '
                f'{sum(self.recent_d) / len(self.recent_d):.4f}, recent '
                f'{self.g_loss_key} '
                f'{sum(self.recent_g) / len(self.recent_g):.4f}): G freq '
                f'{old[0]}->{state.g_steps}, D freq {old[1]}->'
                f'{state.d_steps}, lr x G {old[2]["generator"]:.4f}->'
                f'{self.lr_mult["generator"]:.4f}, D '
                f'{old[2]["discriminator"]:.4f}->'
                f'{self.lr_mult["discriminator"]:.4f}')

    def after_train(self, runner) -> None:
        self._restore_lr(runner)

    def state_dict(self, runner) -> dict:
        state = get_gan_state(runner)
        return dict(
            skip_count=self.skip_count,
            recent_d=list(self.recent_d),
            recent_g=list(self.recent_g),
            lr_mult=dict(self.lr_mult),
            g_steps=state.g_steps,
            d_steps=state.d_steps,
            skip_d=state.skip_d)

    def load_state_dict(self, runner, state: dict) -> None:
        self.skip_count = int(state['skip_count'])
        self.recent_d = deque(state['recent_d'], maxlen=self.window)
        self.recent_g = deque(state['recent_g'], maxlen=self.window)
        self.lr_mult = dict(state['lr_mult'])
        gan_state = get_gan_state(runner)
        gan_state.g_steps = int(state['g_steps'])
        gan_state.d_steps = int(state['d_steps'])
        gan_state.skip_d = bool(state['skip_d'])
        gan_state.lr_mult = dict(self.lr_mult)
