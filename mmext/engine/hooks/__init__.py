# Copyright (c) mmext contributors. All rights reserved.
from .checkpoint_hook import SafeCheckpointHook
from .epoch_seed_hook import EpochSeedHook

__all__ = ['SafeCheckpointHook', 'EpochSeedHook']
from .amp_warmup_hook import AMPWarmupHook  # noqa: E402
from .curriculum_hook import CurriculumHook  # noqa: E402
from .gan_balance_hook import GANBalanceHook  # noqa: E402
from .gan_guard_hook import GANGuardHook  # noqa: E402
from .gan_log_hook import GANLogHook  # noqa: E402
from .stateful import StatefulHook  # noqa: E402

__all__ += [
    'AMPWarmupHook', 'CurriculumHook', 'GANBalanceHook', 'GANGuardHook',
    'GANLogHook', 'StatefulHook'
]
