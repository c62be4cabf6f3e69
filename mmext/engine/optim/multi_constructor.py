# Copyright (c) mmext contributors. All rights reserved.
"""One optim wrapper per sub-module (a GAN's generator and
discriminator)."""
from typing import Optional

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch import nn

from mmext.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['MultiOptimWrapperConstructor']


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an :class:`~mmengine.optim.OptimWrapperDict` from per-module
    configs (mmengine ships no such constructor; mmagic's has the same
    shape)::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper', optimizer=dict(...)),
            discriminator=dict(type='OptimWrapper', optimizer=dict(...)))

    Each key names an attribute of the model (``model.generator``); its
    config is built by mmengine's ``DefaultOptimWrapperConstructor`` over
    that sub-module's parameters (``paramwise_cfg`` per entry).

    Args:
        optim_wrapper_cfg (dict): Sub-module name -> optim wrapper config.
        paramwise_cfg (dict, optional): Not supported at this level (give it
            per entry).
    """

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg:
            raise ValueError('MultiOptimWrapperConstructor: give '
                             'paramwise_cfg inside each sub-module entry')
        if not optim_wrapper_cfg:
            raise ValueError('MultiOptimWrapperConstructor: no sub-module '
                             'entries (e.g. generator=..., discriminator=...)')
        self.cfgs = {k: dict(v) for k, v in optim_wrapper_cfg.items()}
        for name, cfg in self.cfgs.items():
            if 'optimizer' not in cfg:
                raise KeyError(f'optim_wrapper.{name} has no `optimizer`')

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, cfg in self.cfgs.items():
            module = getattr(model, name, None)
            if not isinstance(module, nn.Module):
                raise AttributeError(
                    f'optim_wrapper.{name}: {type(model).__name__} has no '
                    f'sub-module `{name}`')
            cfg = dict(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise)(module)
        return OptimWrapperDict(**wrappers)
