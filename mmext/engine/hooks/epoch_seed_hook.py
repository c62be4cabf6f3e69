# Copyright (c) mmext contributors. All rights reserved.
import multiprocessing
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmext.registry import HOOKS


def epoch_seed(base: int, epoch: int, rank: int, *stream: int) -> int:
    """A 64-bit seed that is a function of ``(base, epoch, rank, *stream)``.

    The main process uses no ``stream``; a dataloader worker ``w`` uses
    ``(1, w)`` and the loader's own generator ``(0, )``, so no two of them
    share a random stream.
    """
    entropy = [int(base), int(epoch), int(rank), *map(int, stream)]
    state = np.random.SeedSequence(entropy).generate_state(2)
    return int(state[0]) << 32 | int(state[1])


def seed_all(seed: int) -> None:
    """Seed python's, numpy's and torch's global RNGs."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed % 2**63)


class _EpochSeededWorkerInit:
    """``worker_init_fn`` that makes a worker re-seed at each epoch.

    It runs the loader's previous ``worker_init_fn`` and then wraps the
    worker's copy of the dataset with a batched fetch (``__getitems__``,
    which torch's fetcher calls once per batch): before the first batch of
    an epoch it seeds the worker's RNGs from
    ``(seed, epoch, rank, 1, worker_id)``. The epoch comes from a value in
    shared memory that the main process sets before the epoch's iterator
    sends any index, so this also works for persistent workers, which are
    created once and never see ``set_epoch``.
    """

    def __init__(self, init_fn, epoch_value, seed: int, rank: int) -> None:
        self.init_fn = init_fn
        self.epoch_value = epoch_value
        self.seed = seed
        self.rank = rank

    def __call__(self, worker_id: int) -> None:
        if self.init_fn is not None:
            self.init_fn(worker_id)
        dataset = torch.utils.data.get_worker_info().dataset
        fetch = getattr(dataset, '__getitems__', None)
        seen = [None]

        def __getitems__(indices):
            epoch = self.epoch_value.value
            if epoch != seen[0]:
                seen[0] = epoch
                seed_all(epoch_seed(self.seed, epoch, self.rank, 1,
                                    worker_id))
            if fetch is not None:
                return fetch(indices)
            return [dataset[idx] for idx in indices]

        dataset.__getitems__ = __getitems__


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Make every random draw of an epoch a function of
    ``(seed, epoch, rank)``, in the main process and in dataloader workers.

    mmengine seeds once per process, and its checkpoints do not store RNG
    states, so a resumed run draws different random numbers (dropout masks,
    random augmentation) from an uninterrupted one. This hook

    * re-seeds python, numpy and torch in the main process at the start of
      every epoch from ``(seed, epoch, rank)``;
    * makes each train dataloader worker re-seed itself before its first
      batch of every epoch from ``(seed, epoch, rank, worker id)``; this
      holds for ``persistent_workers=True`` (workers created once, at
      whatever epoch the run starts) as well as for workers re-created
      every epoch;
    * gives the train dataloader its own generator, seeded per epoch, for
      the base seed torch draws when it creates an iterator: with persistent
      workers, a resumed run creates its iterator at the resume epoch and
      would otherwise take one more draw from the main RNG than the
      uninterrupted run at that epoch.

    So a run resumed at an epoch boundary draws exactly the numbers the
    uninterrupted run draws, whatever ``num_workers``. (Workers only re-seed
    with automatic batching, i.e. a ``batch_size``; mmengine's dataloaders
    always have one.)

    Args:
        seed (int, optional): Base seed. Defaults to the runner's seed.
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed
        self._epoch_value = None
        self._generator = None

    def _base(self, runner) -> Optional[int]:
        return self.seed if self.seed is not None else runner.seed

    def before_train(self, runner) -> None:
        base = self._base(runner)
        loader = getattr(runner.train_loop, 'dataloader', None)
        if base is None or not isinstance(loader,
                                          torch.utils.data.DataLoader):
            return
        if loader.generator is None:
            self._generator = torch.Generator()
            loader.generator = self._generator
        if loader.num_workers > 0:
            ctx = loader.multiprocessing_context or multiprocessing
            self._epoch_value = ctx.Value('q', -1, lock=False)
            loader.worker_init_fn = _EpochSeededWorkerInit(
                loader.worker_init_fn, self._epoch_value, int(base),
                get_rank())

    def before_train_epoch(self, runner) -> None:
        base = self._base(runner)
        if base is None:
            return
        epoch, rank = int(runner.epoch), int(get_rank())
        seed_all(epoch_seed(base, epoch, rank))
        if self._generator is not None:
            self._generator.manual_seed(epoch_seed(base, epoch, rank, 0))
        if self._epoch_value is not None:
            self._epoch_value.value = epoch
