# Copyright (c) mmext contributors. All rights reserved.
"""Hold submodules fixed for the first epochs of a (fine-tuning) phase."""
from typing import Sequence, Union

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from mmext.registry import HOOKS

_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


@HOOKS.register_module()
class FreezeModulesHook(Hook):
    """Freeze submodules (``requires_grad_(False)`` and eval-mode norms and
    dropout) for epochs ``[0, epochs)``, then train them again.

    The state is a pure function of the epoch, so a resumed run freezes
    exactly what the uninterrupted run froze. Frozen parameters get no
    gradient, so the optimizer (AdamW included) leaves them and their
    moments untouched.

    Args:
        modules (str | Sequence[str]): Attribute paths in the model
            (e.g. ``'backbone'``, ``'encoder.stem'``). Defaults to
            'backbone'.
        epochs (int): Number of frozen epochs (0 disables). Defaults to 50.
    """

    priority = 'HIGH'

    def __init__(self,
                 modules: Union[str, Sequence[str]] = 'backbone',
                 epochs: int = 50) -> None:
        if isinstance(modules, str):
            modules = (modules, )
        if not modules:
            raise ValueError('FreezeModulesHook: modules is empty')
        if epochs < 0:
            raise ValueError(f'FreezeModulesHook: epochs must be >= 0, '
                             f'got {epochs}')
        self.modules = tuple(modules)
        self.epochs = int(epochs)
        self.frozen = False

    def _targets(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        out = []
        for path in self.modules:
            mod = model
            for name in path.split('.'):
                if not hasattr(mod, name):
                    raise AttributeError(
                        f'FreezeModulesHook: the model has no submodule '
                        f'{path!r} (modules={self.modules})')
                mod = getattr(mod, name)
            out.append(mod)
        return out

    def _set(self, runner, frozen: bool) -> None:
        for mod in self._targets(runner):
            mod.requires_grad_(not frozen)
        if frozen != self.frozen:
            print_log(
                f'FreezeModulesHook: {"froze" if frozen else "unfroze"} '
                f'{", ".join(self.modules)} at epoch {runner.epoch}',
                logger='current')
        self.frozen = frozen

    def before_train(self, runner) -> None:
        self._targets(runner)  # fail early on a wrong path

    def before_train_epoch(self, runner) -> None:
        self._set(runner, runner.epoch < self.epochs)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # the train loop calls model.train() after before_train_epoch
        if self.frozen:
            for mod in self._targets(runner):
                for m in mod.modules():
                    if isinstance(m, _NORMS + (nn.Dropout, )):
                        m.eval()
