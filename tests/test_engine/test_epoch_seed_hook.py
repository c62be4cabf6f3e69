# Copyright (c) mmext contributors. All rights reserved.
"""EpochSeedHook: dataloader workers draw a function of (seed, epoch, rank,
worker id), also when they are persistent and start at a later epoch."""
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from mmext.engine.hooks import EpochSeedHook
from mmext.engine.hooks.epoch_seed_hook import epoch_seed


class _RandomDraws(Dataset):
    """Each sample: one draw from each of python's, numpy's and torch's
    global RNGs (like random augmentation), and the worker that drew it."""

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        info = torch.utils.data.get_worker_info()
        return torch.tensor([
            idx, -1 if info is None else info.id,
            random.random(), np.random.rand(), torch.rand(()).item()
        ], dtype=torch.float64)


def _epochs(first, last, num_workers=2, persistent=True, seed=7):
    """Drive a loader through epochs first..last like a runner that starts
    (or resumes) at ``first``; returns epoch -> all batches' samples."""
    loader = DataLoader(_RandomDraws(), batch_size=2, shuffle=False,
                        num_workers=num_workers,
                        persistent_workers=persistent and num_workers > 0)
    runner = SimpleNamespace(seed=seed, epoch=first,
                             train_loop=SimpleNamespace(dataloader=loader))
    hook = EpochSeedHook()
    hook.before_train(runner)
    out = {}
    for epoch in range(first, last + 1):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        out[epoch] = torch.cat(list(loader))
        out[epoch, 'main'] = torch.rand(3)  # e.g. dropout after loading
    return out


@pytest.mark.parametrize('persistent', [True, False])
def test_resumed_workers_draw_the_uninterrupted_numbers(persistent):
    full = _epochs(0, 2, persistent=persistent)
    resumed = _epochs(2, 2, persistent=persistent)  # workers start at 2
    assert torch.equal(resumed[2], full[2])
    assert torch.equal(resumed[2, 'main'], full[2, 'main'])
    # the draws do change from epoch to epoch and between workers
    assert not torch.equal(full[1][:, 2:], full[2][:, 2:])
    draws = full[2]
    w0, w1 = draws[draws[:, 1] == 0], draws[draws[:, 1] == 1]
    assert len(w0) == len(w1) == 4
    assert not torch.equal(w0[:2, 2:], w1[:2, 2:])


def test_worker_draws_are_the_documented_function():
    """Worker w's first batch of epoch e draws from the RNGs seeded with
    epoch_seed(seed, e, rank, 1, w) (computed here independently)."""
    draws = _epochs(3, 3, seed=11)[3]
    for worker in (0, 1):
        first = draws[draws[:, 1] == worker][0]
        s = epoch_seed(11, 3, 0, 1, worker)
        random.seed(s)
        np.random.seed(s % 2**32)
        torch.manual_seed(s % 2**63)
        want = [random.random(), np.random.rand(), torch.rand(()).item()]
        assert first[2:].tolist() == want


def test_without_workers_only_the_main_process_is_seeded():
    full = _epochs(0, 1, num_workers=0)
    resumed = _epochs(1, 1, num_workers=0)
    assert torch.equal(resumed[1], full[1])
    assert torch.equal(resumed[1, 'main'], full[1, 'main'])
