# Copyright (c) mmext contributors. All rights reserved.
"""Per-epoch curriculum on loss weights (the GAN line's; the data curriculum
of the VFI phases is :class:`~mmext.engine.hooks.DataCurriculumHook`)."""
from typing import Dict

from mmext.engine.gan_state import get_gan_state
from mmext.registry import HOOKS
from .stateful import StatefulHook

__all__ = ['LossWeightCurriculumHook', 'CurriculumHook']

_PROGRESS = ('formula', 'epoch')


@HOOKS.register_module(name=['LossWeightCurriculumHook', 'CurriculumHook'])
class LossWeightCurriculumHook(StatefulHook):
    """Warm-up, then a linear ramp of loss weights, then final weights.

    Registered also as ``CurriculumHook``, its former name (configs written
    before keep working), and its state is checkpointed under that key, so
    checkpoints written before the rename resume with their curriculum.
    It changes loss weights only; a curriculum over the data (crop size,
    motion magnitude) is :class:`DataCurriculumHook`.

    With ``w = warmup_epochs`` and ``e = end_epoch`` (epochs counted from 0
    as in ``runner.epoch``)::

        epoch <  w          : initial * warmup_factor
        w <= epoch < e      : initial + (final - initial) * p
        epoch >= e          : final

    where ``p = (epoch - w) / (e - w)`` (``progress='formula'``, the
    written formula, the default) or ``p = epoch / e``
    (``progress='epoch'``, which is what their logged values follow: epoch
    25 at 0.65 / 1.25; see docs/gesture/training.md). Weights are written
    to the model's :class:`~mmext.engine.GANTrainState` before every epoch.

    Args:
        initial (dict): Initial weights by loss name, e.g.
            ``dict(detail=0.3, physics=0.5)``.
        final (dict): Final weights; same keys as ``initial``.
        warmup_epochs (int): Defaults to 10.
        end_epoch (int): Epoch at which ``final`` is reached. Defaults to
            50.
        warmup_factor (float): Defaults to 0.5.
        progress (str): ``'formula'`` or ``'epoch'``. Defaults to
            ``'formula'``.
    """

    priority = 'ABOVE_NORMAL'

    state_key = 'CurriculumHook'  # checkpoints written before the rename

    def __init__(self,
                 initial: Dict[str, float],
                 final: Dict[str, float],
                 warmup_epochs: int = 10,
                 end_epoch: int = 50,
                 warmup_factor: float = 0.5,
                 progress: str = 'formula') -> None:
        if set(initial) != set(final):
            raise ValueError(
                'LossWeightCurriculumHook: `initial` and `final` must '
                f'have the same keys, got {sorted(initial)} '
                f'and {sorted(final)}')
        if not 0 <= warmup_epochs < end_epoch:
            raise ValueError(
                'LossWeightCurriculumHook: need 0 <= warmup_epochs < '
                f'end_epoch, got {warmup_epochs} and '
                f'{end_epoch}')
        if progress not in _PROGRESS:
            raise ValueError(
                f'LossWeightCurriculumHook: progress must be one of '
                f'{_PROGRESS}, got {progress!r}')
        self.initial = {k: float(v) for k, v in initial.items()}
        self.final = {k: float(v) for k, v in final.items()}
        self.warmup_epochs = warmup_epochs
        self.end_epoch = end_epoch
        self.warmup_factor = float(warmup_factor)
        self.progress = progress
        self.weights = self.weights_at(0)

    def weights_at(self, epoch: int) -> Dict[str, float]:
        """The loss weights of ``epoch`` (0-based)."""
        if epoch < self.warmup_epochs:
            return {k: v * self.warmup_factor for k, v in self.initial.items()}
        if epoch >= self.end_epoch:
            return dict(self.final)
        if self.progress == 'formula':
            p = (epoch - self.warmup_epochs) / (
                self.end_epoch - self.warmup_epochs)
        else:
            p = epoch / self.end_epoch
        return {
            k: self.initial[k] + (self.final[k] - self.initial[k]) * p
            for k in self.initial
        }

    def phase(self, epoch: int) -> str:
        if epoch < self.warmup_epochs:
            return 'warm-up'
        return 'curriculum' if epoch < self.end_epoch else 'final'

    def before_run(self, runner) -> None:
        get_gan_state(runner).loss_weights.update(self.weights)

    def before_train_epoch(self, runner) -> None:
        self.weights = self.weights_at(runner.epoch)
        get_gan_state(runner).loss_weights.update(self.weights)

    def state_dict(self, runner) -> dict:
        return dict(weights=dict(self.weights))

    def load_state_dict(self, runner, state: dict) -> None:
        self.weights = dict(state['weights'])
        get_gan_state(runner).loss_weights.update(self.weights)


#: the former name, kept for code that imports it
CurriculumHook = LossWeightCurriculumHook
