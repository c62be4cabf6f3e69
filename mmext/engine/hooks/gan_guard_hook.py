# Copyright (c) mmext contributors. All rights reserved.
"""Skip non-finite updates and warn when a discriminator collapses."""
from mmext.engine.gan_state import get_gan_state
from mmext.registry import HOOKS
from .gan_balance_hook import scalar_output
from .stateful import StatefulHook

__all__ = ['GANGuardHook']


@HOOKS.register_module()
class GANGuardHook(StatefulHook):
    """Guard against non-finite losses and discriminator collapse.

    * Sets ``GANTrainState.skip_nonfinite``, so the model's
      :func:`~mmext.engine.gan_state.guarded_update` skips an update whose
      loss is NaN/inf (no backward, optimizer and scaler untouched); this
      hook logs each skipped update.
    * Warns when D's loss stays below ``collapse_threshold`` for
      ``collapse_iters`` consecutive iterations (once per streak).

    Args:
        d_loss_key (str): Key of D's loss in ``train_step``'s output.
        collapse_threshold (float): Defaults to 1e-3.
        collapse_iters (int): Defaults to 50.
    """

    priority = 'NORMAL'

    def __init__(self,
                 d_loss_key: str = 'loss_d',
                 collapse_threshold: float = 1e-3,
                 collapse_iters: int = 50) -> None:
        if collapse_iters < 1:
            raise ValueError('GANGuardHook: collapse_iters must be >= 1, '
                             f'got {collapse_iters}')
        self.d_loss_key = d_loss_key
        self.collapse_threshold = collapse_threshold
        self.collapse_iters = collapse_iters
        self.low_streak = 0
        self.seen_skips = {}
        self.collapse_warnings = 0

    def before_run(self, runner) -> None:
        get_gan_state(runner).skip_nonfinite = True

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        state = get_gan_state(runner)
        for name, count in state.nonfinite_skips.items():
            new = count - self.seen_skips.get(name, 0)
            if new > 0:
                runner.logger.warning(
                    f'[GANGuard] iter {runner.iter + 1}: skipped {new} '
                    f'{name} update(s) with a non-finite loss '
                    f'({count} in total)')
        self.seen_skips = dict(state.nonfinite_skips)
        loss_d = scalar_output(outputs, self.d_loss_key, 'GANGuardHook')
        if loss_d < self.collapse_threshold:
            self.low_streak += 1
            if self.low_streak == self.collapse_iters:
                self.collapse_warnings += 1
                runner.logger.warning(
                    f'[GANGuard] iter {runner.iter + 1}: discriminator '
                    f'collapse? {self.d_loss_key} < '
                    f'{self.collapse_threshold} for {self.collapse_iters} '
                    'iterations')
        else:
            self.low_streak = 0

    def state_dict(self, runner) -> dict:
        return dict(
            low_streak=self.low_streak,
            seen_skips=dict(self.seen_skips),
            collapse_warnings=self.collapse_warnings,
            nonfinite_skips=dict(get_gan_state(runner).nonfinite_skips))

    def load_state_dict(self, runner, state: dict) -> None:
        self.low_streak = int(state['low_streak'])
        self.seen_skips = dict(state['seen_skips'])
        self.collapse_warnings = int(state['collapse_warnings'])
        get_gan_state(runner).nonfinite_skips = dict(
            state['nonfinite_skips'])
