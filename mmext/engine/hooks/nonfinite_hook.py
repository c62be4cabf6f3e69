# Copyright (c) mmext contributors. All rights reserved.
"""Stop a run whose loss is NaN/Inf, early and with a useful message."""
import math
from typing import List, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from mmext.engine.errors import NonFiniteError
from mmext.registry import HOOKS

__all__ = ['NonFiniteLossHook']


def _scalar(value) -> Optional[float]:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return float(value.detach().float().sum())
        return float(value.detach())
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _nonfinite_tensors(obj, path: str, out: List[str], depth: int = 0):
    """Names of the float tensors in a batch that hold NaN/Inf."""
    if depth > 4 or len(out) >= 3:
        return
    if isinstance(obj, torch.Tensor):
        if obj.is_floating_point() and not torch.isfinite(obj).all():
            out.append(path)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _nonfinite_tensors(v, f'{path}.{k}' if path else str(k), out,
                               depth + 1)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _nonfinite_tensors(v, f'{path}[{i}]', out, depth + 1)
    elif hasattr(obj, 'all_items'):  # mmengine BaseDataElement
        for k, v in obj.all_items():
            _nonfinite_tensors(v, f'{path}.{k}', out, depth + 1)


def _sample_indices(data_batch) -> Optional[list]:
    samples = data_batch.get('data_samples') if isinstance(data_batch,
                                                           dict) else None
    if not isinstance(samples, (list, tuple)):
        return None
    found = []
    for s in samples:
        meta = getattr(s, 'metainfo', None)
        if meta is None and isinstance(s, dict):
            meta = s
        if not meta:
            return None
        for key in ('sample_idx', 'id', 'frame_dir', 'img_id'):
            if key in meta:
                found.append(meta[key])
                break
        else:
            return None
    return found


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training on a non-finite loss.

    A NaN/Inf loss in any of the first ``warmup_iters`` iterations, or in
    ``max_consecutive`` iterations in a row later on, raises
    :class:`~mmext.engine.errors.NonFiniteError`; the message names the
    iteration, the batch's sample indices (``sample_idx`` of the data
    samples' metainfo, where the pipeline keeps it) and whether the batch's
    inputs were already non-finite (bad data) or only the loss (a diverging
    run: lower the lr, check AMP). An isolated non-finite loss later in
    training is logged as a warning.

    Runs that train with :class:`GANGuardHook` keep its policy (skip the
    update, log it): this hook stands aside there.

    Args:
        warmup_iters (int): Iterations in which one non-finite loss stops
            the run. Defaults to 20.
        max_consecutive (int): Non-finite losses in a row that stop the run
            afterwards. Defaults to 5.
        loss_key (str): Key of the total loss in ``train_step``'s output.
            Defaults to ``'loss'``.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 warmup_iters: int = 20,
                 max_consecutive: int = 5,
                 loss_key: str = 'loss') -> None:
        if int(warmup_iters) < 0 or int(max_consecutive) < 1:
            raise ValueError(
                'NonFiniteLossHook: expected warmup_iters >= 0 and '
                f'max_consecutive >= 1, got {warmup_iters}, '
                f'{max_consecutive}')
        self.warmup_iters = int(warmup_iters)
        self.max_consecutive = int(max_consecutive)
        self.loss_key = loss_key
        self.streak = 0
        self.active = True
        self._start_iter = 0

    def before_train(self, runner) -> None:
        names = {type(h).__name__ for h in runner.hooks}
        self.active = 'GANGuardHook' not in names
        if not self.active:
            runner.logger.info('NonFiniteLossHook: GANGuardHook handles '
                               'non-finite losses in this run')
        self._start_iter = runner.iter
        self.streak = 0

    def _loss_value(self, outputs) -> Optional[float]:
        if not isinstance(outputs, dict):
            return None
        if self.loss_key in outputs:
            return _scalar(outputs[self.loss_key])
        vals = [_scalar(v) for k, v in outputs.items() if 'loss' in k]
        vals = [v for v in vals if v is not None]
        return sum(vals) if vals else None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not self.active:
            return
        value = self._loss_value(outputs)
        bad = value is not None and not math.isfinite(value)
        if get_world_size() > 1:  # every rank stops together
            flag = torch.tensor([float(bad)])
            all_reduce(flag, op='max')
            bad = bool(flag.item() > 0)
        if not bad:
            self.streak = 0
            return
        self.streak += 1
        it = runner.iter + 1
        in_warmup = it - self._start_iter <= self.warmup_iters
        if not in_warmup and self.streak < self.max_consecutive:
            runner.logger.warning(
                f'non-finite loss at iter {it} ({self.streak} in a row; '
                f'the run stops at {self.max_consecutive})')
            return
        bad_inputs: List[str] = []
        _nonfinite_tensors(data_batch, '', bad_inputs)
        idx = _sample_indices(data_batch)
        samples = (f'samples {idx}' if idx is not None else
                   f'batch {batch_idx} of epoch {runner.epoch + 1} (the '
                   'data samples carry no sample_idx)')
        inputs = (f"the batch's inputs hold NaN/Inf ({', '.join(bad_inputs)}"
                  '): check the data' if bad_inputs else
                  "the batch's inputs are finite: the model diverged "
                  '(lower the lr, check AMP / the loss)')
        why = (f'in the first {self.warmup_iters} iterations'
               if in_warmup else f'{self.streak} iterations in a row')
        raise NonFiniteError(
            f'non-finite loss ({self.loss_key}={value}) at iter {it}, '
            f'{samples}; {inputs}. Stopped: a non-finite loss {why} '
            '(NonFiniteLossHook)')
