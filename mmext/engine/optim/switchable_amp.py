# Copyright (c) mmext contributors. All rights reserved.
"""An optim wrapper whose mixed precision is switched on and off mid-run."""
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmext.registry import OPTIM_WRAPPERS

__all__ = [
    'SwitchableAmpOptimWrapper', 'resolve_amp_dtype', 'cpu_has_native_bf16'
]

_DTYPES = ('auto', 'float16', 'bfloat16')


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX).

    Without it, CPU autocast to bf16 still works but every op converts
    through emulation: the gesture GAN's training step ran at 0.13x
    its fp32 rate on a 2-core AVX2 machine (docs/benchmarks.md, AMP gain).
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_amp_dtype(dtype: Union[str, torch.dtype],
                      device_type: str) -> Optional[torch.dtype]:
    """The autocast dtype for ``dtype`` on ``device_type``.

    ``'auto'``: on CUDA, bf16 where the GPU supports it (Ampere on), else
    fp16; on CPU, bf16 where the CPU computes it natively, else ``None``:
    no mixed precision, the wrapper stays fp32 (emulated bf16 is slower
    than fp32, so it would defeat the point of AMP). An explicit
    ``'bfloat16'`` or ``'float16'`` is always honoured.
    """
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in _DTYPES:
        raise ValueError(f'dtype must be one of {_DTYPES}, got {dtype!r}')
    if dtype != 'auto':
        return getattr(torch, dtype)
    if device_type == 'cuda':
        return (torch.bfloat16
                if torch.cuda.is_bf16_supported() else torch.float16)
    return torch.bfloat16 if cpu_has_native_bf16() else None


@OPTIM_WRAPPERS.register_module()
class SwitchableAmpOptimWrapper(OptimWrapper):
    """:class:`~mmengine.optim.OptimWrapper` with autocast + GradScaler
    behind a flag.

    mmengine builds optim wrappers once, so a plain ``OptimWrapper`` cannot
    become an ``AmpOptimWrapper`` at epoch 10. This wrapper owns its own
    :class:`torch.amp.GradScaler` and switches autocast and loss scaling
    with :meth:`set_amp` (driven by
    :class:`~mmext.engine.hooks.AMPWarmupHook`). The flag and the scaler's
    state are part of :meth:`state_dict`, so a resumed run restores both.
    Loss scaling is used only with fp16 (bf16 has fp32's range and needs
    none). Each wrapper has its own scaler, so G's and D's scales are
    independent, and an update that never runs (a skipped D step) never
    touches its scaler.

    Args:
        amp (bool): Initial flag. Defaults to False.
        dtype (str | torch.dtype): ``'auto'`` (see :func:`resolve_amp_dtype`:
            bf16 where the device computes it natively, fp16 on older GPUs,
            fp32 on a CPU without native bf16), ``'float16'`` or
            ``'bfloat16'``. Defaults to ``'auto'``.
        loss_scale (str | float | dict): ``'dynamic'``, a static scale, or
            :class:`torch.amp.GradScaler` keyword arguments. Defaults to
            ``'dynamic'``.
        device_type (str, optional): ``'cuda'`` or ``'cpu'``; defaults to
            the device of the optimizer's first parameter.
        **kwargs: :class:`~mmengine.optim.OptimWrapper` arguments
            (``optimizer``, ``clip_grad``, ``accumulative_counts``).
    """

    def __init__(self,
                 amp: bool = False,
                 dtype: Union[str, torch.dtype] = 'auto',
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 device_type: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if device_type is None:
            params = [
                p for g in self.optimizer.param_groups for p in g['params']
            ]
            device_type = params[0].device.type if params else 'cpu'
        self.device_type = device_type
        self.amp_dtype = resolve_amp_dtype(dtype, device_type)
        self._static_scale = None
        if loss_scale == 'dynamic':
            scaler_kwargs = {}
        elif isinstance(loss_scale, (int, float)):
            self._static_scale = float(loss_scale)
            scaler_kwargs = dict(init_scale=float(loss_scale))
        elif isinstance(loss_scale, dict):
            scaler_kwargs = dict(loss_scale)
        else:
            raise TypeError('loss_scale must be "dynamic", a float or a '
                            f'dict, got {loss_scale!r}')
        self.loss_scaler = torch.amp.GradScaler(device_type, **scaler_kwargs)
        self.amp_enabled = bool(amp)

    @property
    def amp_available(self) -> bool:
        """This device has a mixed-precision dtype (see ``dtype``)."""
        return self.amp_dtype is not None

    @property
    def amp_active(self) -> bool:
        """Autocast is on: AMP was switched on and the device has it.

        ``amp_enabled`` is the requested flag (saved in checkpoints, so a
        run resumed on a GPU switches on there); ``amp_active`` is what
        the forward passes actually run in.
        """
        return self.amp_enabled and self.amp_available

    @property
    def uses_scaler(self) -> bool:
        """Loss scaling is active (AMP on with fp16)."""
        return (self.amp_active and self.amp_dtype == torch.float16
                and self.loss_scaler.is_enabled())

    def set_amp(self, enabled: bool) -> None:
        """Switch autocast (and, for fp16, loss scaling) on or off.

        On a device without a mixed-precision dtype the request is
        recorded but the wrapper keeps computing in fp32.
        """
        self.amp_enabled = bool(enabled)

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.uses_scaler:
            self.loss_scaler.scale(loss).backward(**kwargs)
        else:
            loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        if not self.uses_scaler:
            super().step(**kwargs)
            return
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._static_scale)

    @contextmanager
    def optim_context(self, model: nn.Module):
        if not self.amp_active:
            with super().optim_context(model):
                yield
            return
        with super().optim_context(model), torch.autocast(
                self.device_type, dtype=self.amp_dtype, enabled=True):
            yield

    def state_dict(self) -> dict:
        state = super().state_dict()
        state['amp_enabled'] = self.amp_enabled
        state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        if 'amp_enabled' in state_dict:
            self.amp_enabled = bool(state_dict.pop('amp_enabled'))
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state:
            self.loss_scaler.load_state_dict(scaler_state)
        if 'base_param_settings' in state_dict:
            self.base_param_settings = state_dict.pop('base_param_settings')
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return (super().__repr__() + f'\namp_enabled={self.amp_enabled}, '
                f'amp_dtype={self.amp_dtype}, amp_active={self.amp_active}')
