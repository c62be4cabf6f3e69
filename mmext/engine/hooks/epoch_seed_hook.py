# Copyright (c) mmext contributors. All rights reserved.
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmext.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Re-seed python, numpy and torch RNGs at the start of every epoch.

    mmengine seeds once per process, and its checkpoints do not store RNG
    states, so a resumed run draws different random numbers (dropout masks,
    random augmentation) from an uninterrupted one. Seeding each epoch from
    ``(seed, epoch, rank)`` makes a run resumed at an epoch boundary draw
    exactly the numbers the uninterrupted run draws.

    Args:
        seed (int, optional): Base seed. Defaults to the runner's seed.
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed

    def before_train_epoch(self, runner) -> None:
        base = self.seed if self.seed is not None else runner.seed
        if base is None:
            return
        state = np.random.SeedSequence(
            [int(base), int(runner.epoch), int(get_rank())]).generate_state(2)
        seed = int(state[0]) << 32 | int(state[1])
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed % 2**63)
