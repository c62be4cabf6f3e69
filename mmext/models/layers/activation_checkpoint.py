# Copyright (c) mmext contributors. All rights reserved.
"""Activation checkpointing (``with_cp``) that keeps BatchNorm statistics.

``torch.utils.checkpoint`` runs a block's forward a second time during
backward. A BatchNorm inside the block then updates its running statistics
twice per step, so a checkpointed model would drift from the plain one.
:func:`checkpoint_module` recomputes with those updates switched off, so
that outputs, gradients *and* buffers equal the run without checkpointing.
"""
import contextlib
from typing import Iterator, Optional, Sequence, Set, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

__all__ = ['checkpoint_module', 'maybe_checkpoint', 'resolve_cp_indices']


@contextlib.contextmanager
def _frozen_bn_stats(module: nn.Module) -> Iterator[None]:
    """Batch statistics in train mode, but no running-stat update.

    ``momentum`` is set to 0 (the update becomes ``running * 1 + batch *
    0``, the same value) and ``num_batches_tracked`` is put back
    afterwards. Switching ``track_running_stats`` off instead would change
    which tensors the op saves for backward, which non-reentrant
    checkpointing rejects.
    """
    changed = [(m, m.momentum, m.num_batches_tracked.clone())
               for m in module.modules()
               if isinstance(m, _BatchNorm) and m.training
               and m.track_running_stats and m.running_mean is not None]
    for m, _, _ in changed:
        m.momentum = 0.
    try:
        yield
    finally:
        for m, momentum, tracked in changed:
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def checkpoint_module(module: nn.Module, *inputs: Tensor) -> Tensor:
    """Run ``module(*inputs)`` with activation checkpointing.

    Non-reentrant ``torch.utils.checkpoint`` (``use_reentrant=False``) with
    ``preserve_rng_state=True``: the recomputation sees the same RNG state,
    so dropout and drop path draw the same masks. BatchNorm layers in the
    module use batch statistics in the recomputation (as in the forward)
    but do not update their running statistics again.

    Args:
        module (nn.Module): The block to checkpoint.
        *inputs (Tensor): Its inputs.

    Returns:
        Tensor: ``module(*inputs)``.
    """
    calls = [0]

    def run(*args: Tensor) -> Tensor:
        calls[0] += 1
        if calls[0] == 1:
            return module(*args)
        with _frozen_bn_stats(module):
            return module(*args)

    return checkpoint(
        run, *inputs, use_reentrant=False, preserve_rng_state=True)


def resolve_cp_indices(with_cp: Union[bool, Sequence[int]],
                       num_blocks: int,
                       cp_every: int = 1,
                       name: str = 'with_cp') -> Set[int]:
    """Indices of the blocks to checkpoint.

    Args:
        with_cp (bool | Sequence[int]): ``False`` (none), ``True`` (every
            ``cp_every``-th block, starting with block 0) or explicit block
            indices (negative ones count from the end).
        num_blocks (int): Number of blocks.
        cp_every (int): Stride used with ``with_cp=True``. Defaults to 1.
        name (str): Argument name for error messages.

    Returns:
        set[int]: Non-negative block indices.
    """
    if isinstance(cp_every, bool) or not isinstance(cp_every,
                                                    int) or cp_every < 1:
        raise ValueError(f'cp_every must be a positive int, got {cp_every!r}')
    if isinstance(with_cp, bool):
        return set(range(0, num_blocks, cp_every)) if with_cp else set()
    if isinstance(with_cp, str):
        raise TypeError(f'{name} must be a bool or a sequence of block '
                        f'indices, got {with_cp!r}')
    try:
        indices = list(with_cp)
    except TypeError:
        raise TypeError(f'{name} must be a bool or a sequence of block '
                        f'indices, got {with_cp!r}') from None
    bad = [
        i for i in indices if isinstance(i, bool) or not isinstance(i, int)
        or not -num_blocks <= i < num_blocks
    ]
    if bad:
        raise ValueError(f'{name} has invalid block index(es) {bad}; valid '
                         f'indices are -{num_blocks}..{num_blocks - 1}')
    if cp_every != 1:
        raise ValueError(f'cp_every={cp_every} only applies to '
                         f'{name}=True, not to a list of indices')
    return {i % num_blocks for i in indices}


def maybe_checkpoint(module: nn.Module, x: Tensor,
                     enabled: Optional[bool]) -> Tensor:
    """``checkpoint_module(module, x)`` if enabled and grads are needed."""
    if enabled and torch.is_grad_enabled() and x.requires_grad:
        return checkpoint_module(module, x)
    return module(x)
