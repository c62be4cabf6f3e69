# Copyright (c) mmext contributors. All rights reserved.
"""Mixed precision that switches on after a warm-up."""
from typing import Optional, Sequence

from mmengine.optim import OptimWrapperDict

from mmext.engine.gan_state import get_gan_state
from mmext.engine.optim import SwitchableAmpOptimWrapper
from mmext.registry import HOOKS
from .stateful import StatefulHook

__all__ = ['AMPWarmupHook']


def _named_wrappers(optim_wrapper):
    if isinstance(optim_wrapper, OptimWrapperDict):
        return list(optim_wrapper.items())
    return [('optim_wrapper', optim_wrapper)]


@HOOKS.register_module()
class AMPWarmupHook(StatefulHook):
    """Keep AMP off for ``warmup_epochs`` epochs, then switch it on.

    Works on :class:`~mmext.engine.optim.SwitchableAmpOptimWrapper` (one
    per optimizer, each with its own GradScaler). The flag lives in each
    wrapper's ``state_dict`` (so it is restored with the optimizer on
    resume) and is mirrored in the model's ``GANTrainState.amp`` for
    logging, when the model has one.

    The mirrored flag is what the steps actually run in: a wrapper with
    ``dtype='auto'`` on a CPU without native bf16 has no mixed-precision
    dtype (emulated bf16 is slower than fp32), so at the switch the hook
    logs that AMP was requested but the run stays fp32, and the logs say
    ``AMP off``. The request itself is saved, so the same checkpoint
    resumed on a GPU runs with AMP.

    Args:
        warmup_epochs (int): AMP is on from this epoch (0-based) on.
            Defaults to 10.
        names (Sequence[str], optional): Optim wrappers to switch (keys of
            the ``OptimWrapperDict``). Defaults to all.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 warmup_epochs: int = 10,
                 names: Optional[Sequence[str]] = None) -> None:
        if warmup_epochs < 0:
            raise ValueError('AMPWarmupHook: warmup_epochs must be >= 0, '
                             f'got {warmup_epochs}')
        self.warmup_epochs = warmup_epochs
        self.names = None if names is None else list(names)
        self.enabled = False

    def _wrappers(self, runner):
        found = _named_wrappers(runner.optim_wrapper)
        if self.names is not None:
            known = dict(found)
            missing = [n for n in self.names if n not in known]
            if missing:
                raise KeyError(f'AMPWarmupHook: optim wrappers {missing} not '
                               f'found; available: {sorted(known)}')
            found = [(n, known[n]) for n in self.names]
        bad = [
            n for n, w in found
            if not isinstance(w, SwitchableAmpOptimWrapper)
        ]
        if bad:
            raise TypeError(
                f'AMPWarmupHook: optim wrapper(s) {bad} must be '
                "type='SwitchableAmpOptimWrapper' (mmengine cannot turn a "
                'plain OptimWrapper into an AmpOptimWrapper mid-run)')
        return found

    def _apply(self, runner, enabled: bool) -> None:
        wrappers = self._wrappers(runner)
        for _, wrapper in wrappers:
            wrapper.set_amp(enabled)
        self.enabled = enabled
        self._mirror(runner, any(w.amp_active for _, w in wrappers))

    @staticmethod
    def _mirror(runner, active: bool) -> None:
        try:
            get_gan_state(runner).amp = active
        except AttributeError:
            pass

    def before_train_epoch(self, runner) -> None:
        enabled = runner.epoch >= self.warmup_epochs
        if enabled != self.enabled:
            wrappers = self._wrappers(runner)
            dtypes = {
                n: str(w.amp_dtype) if w.amp_available else 'fp32'
                for n, w in wrappers
            }
            runner.logger.info(
                f'[AMP] epoch {runner.epoch}: AMP '
                f'{"on" if enabled else "off"} {dtypes}')
            fp32 = [n for n, w in wrappers if not w.amp_available]
            if enabled and fp32:
                runner.logger.warning(
                    f'[AMP] epoch {runner.epoch}: AMP requested but '
                    f'{fp32} stay fp32: dtype=\'auto\' found no '
                    'mixed-precision dtype on this device (a CPU without '
                    'native bf16 would emulate it, slower than fp32). Set '
                    "dtype='bfloat16' in the optim wrapper to force it.")
        self._apply(runner, enabled)

    def state_dict(self, runner) -> dict:
        return dict(enabled=self.enabled)

    def load_state_dict(self, runner, state: dict) -> None:
        # the wrappers restore their own flag and scaler with the optimizer
        self.enabled = bool(state['enabled'])
        try:
            active = self.enabled and any(
                w.amp_available for _, w in self._wrappers(runner))
        except (KeyError, TypeError):
            # tools/test.py loads the checkpoint without building the
            # optim wrappers (still config dicts): nothing runs in AMP
            active = self.enabled
        self._mirror(runner, active)
