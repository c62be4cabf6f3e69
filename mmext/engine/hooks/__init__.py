# Copyright (c) mmext contributors. All rights reserved.
from .checkpoint_hook import SafeCheckpointHook
from .epoch_seed_hook import EpochSeedHook

__all__ = ['SafeCheckpointHook', 'EpochSeedHook']
from .optuna_pruning_hook import OptunaPruningHook  # noqa: E402

__all__ += ['OptunaPruningHook']
