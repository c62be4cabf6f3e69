# Copyright (c) mmext contributors. All rights reserved.
"""The small state object shared by a GAN model and its training hooks.

The model *reads* it (loss weights, how many G and D steps per batch,
whether to skip the next D step, whether non-finite losses are skipped);
the hooks (:class:`~mmext.engine.hooks.CurriculumHook`,
:class:`~mmext.engine.hooks.GANBalanceHook`,
:class:`~mmext.engine.hooks.AMPWarmupHook`,
:class:`~mmext.engine.hooks.GANGuardHook`) *write* it. Hooks never reach
into a model's modules: they only see this object, found as the
``gan_state`` attribute of the (unwrapped) model.
"""
import copy
from typing import Dict, Optional

from mmengine.model import is_model_wrapper

__all__ = ['GANTrainState', 'get_gan_state', 'guarded_update']


class GANTrainState:
    """Mutable training state of a two-player (G/D) model.

    Args:
        loss_weights (dict, optional): Initial loss weights by name (e.g.
            ``rec``, ``adv``, ``detail``, ``physics``).
        g_steps (int): Generator updates per batch. Defaults to 1.
        d_steps (int): Discriminator updates per batch. Defaults to 1.
    """

    _FIELDS = ('loss_weights', 'g_steps', 'd_steps', 'skip_d', 'amp',
               'lr_mult', 'skip_nonfinite', 'nonfinite_skips')

    def __init__(self,
                 loss_weights: Optional[Dict[str, float]] = None,
                 g_steps: int = 1,
                 d_steps: int = 1) -> None:
        for name, value in (('g_steps', g_steps), ('d_steps', d_steps)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got '
                                 f'{value!r}')
        self.loss_weights: Dict[str, float] = {
            k: float(v)
            for k, v in (loss_weights or {}).items()
        }
        self.g_steps = g_steps
        self.d_steps = d_steps
        #: skip the discriminator update(s) of the next batch
        self.skip_d = False
        #: autocast on (mirrors the optim wrappers' flag, for logging)
        self.amp = False
        #: learning-rate multipliers by optimizer name (GANBalanceHook)
        self.lr_mult: Dict[str, float] = {}
        #: skip an update whose loss is NaN/inf (set by GANGuardHook)
        self.skip_nonfinite = False
        #: updates skipped for a non-finite loss, by optimizer name
        self.nonfinite_skips: Dict[str, int] = {}

    def weight(self, name: str, default: float = 1.0) -> float:
        """Current weight of loss ``name`` (``default`` if never set)."""
        return self.loss_weights.get(name, default)

    def state_dict(self) -> dict:
        return {k: copy.deepcopy(getattr(self, k)) for k in self._FIELDS}

    def load_state_dict(self, state: dict) -> None:
        missing = [k for k in self._FIELDS if k not in state]
        if missing:
            raise KeyError(f'GANTrainState.load_state_dict: missing keys '
                           f'{missing}')
        for k in self._FIELDS:
            setattr(self, k, copy.deepcopy(state[k]))

    def __repr__(self) -> str:
        return (f'GANTrainState(weights={self.loss_weights}, '
                f'g_steps={self.g_steps}, d_steps={self.d_steps}, '
                f'skip_d={self.skip_d}, amp={self.amp})')


def get_gan_state(model_or_runner) -> GANTrainState:
    """The :class:`GANTrainState` of a model (or of ``runner.model``).

    Raises:
        AttributeError: The model has no ``gan_state`` attribute, naming the
            model class.
    """
    model = getattr(model_or_runner, 'model', model_or_runner)
    if is_model_wrapper(model):
        model = model.module
    state = getattr(model, 'gan_state', None)
    if not isinstance(state, GANTrainState):
        raise AttributeError(
            f'{type(model).__name__} has no `gan_state` '
            '(mmext.engine.GANTrainState); the GAN hooks (CurriculumHook, '
            'GANBalanceHook, AMPWarmupHook, GANGuardHook) need a model that '
            'exposes one')
    return state


def guarded_update(optim_wrapper, loss, state: GANTrainState,
                   name: str) -> bool:
    """``optim_wrapper.update_params(loss)`` unless the loss is non-finite.

    With ``state.skip_nonfinite`` set (by
    :class:`~mmext.engine.hooks.GANGuardHook`) a NaN/inf loss is not
    back-propagated and the optimizer (and its GradScaler) is not touched;
    the skip is counted in ``state.nonfinite_skips[name]``.

    Returns:
        bool: Whether the update ran.
    """
    import torch
    if state.skip_nonfinite and not bool(torch.isfinite(loss.detach())):
        state.nonfinite_skips[name] = state.nonfinite_skips.get(name, 0) + 1
        return False
    optim_wrapper.update_params(loss)
    return True
