# Copyright (c) mmext contributors. All rights reserved.
from .checkpoint_hook import SafeCheckpointHook
from .epoch_seed_hook import EpochSeedHook

__all__ = ['SafeCheckpointHook', 'EpochSeedHook']
from .curriculum_hook import DataCurriculumHook  # noqa: E402
from .freeze_hook import FreezeModulesHook  # noqa: E402

__all__ += ['FreezeModulesHook', 'DataCurriculumHook']
