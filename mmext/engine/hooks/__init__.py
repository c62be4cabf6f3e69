# Copyright (c) mmext contributors. All rights reserved.
from .amp_warmup_hook import AMPWarmupHook
from .checkpoint_hook import SafeCheckpointHook
from .curriculum_hook import CurriculumHook, LossWeightCurriculumHook
from .data_curriculum_hook import DataCurriculumHook
from .epoch_seed_hook import EpochSeedHook
from .freeze_hook import FreezeModulesHook
from .gan_balance_hook import GANBalanceHook
from .gan_guard_hook import GANGuardHook
from .gan_log_hook import GANLogHook
from .joint_order_hook import JointOrderCheckHook
from .nonfinite_hook import NonFiniteLossHook
from .optuna_pruning_hook import OptunaPruningHook
from .stateful import StatefulHook

__all__ = [
    'AMPWarmupHook', 'CurriculumHook', 'LossWeightCurriculumHook',
    'DataCurriculumHook', 'EpochSeedHook', 'FreezeModulesHook',
    'GANBalanceHook', 'GANGuardHook', 'GANLogHook', 'JointOrderCheckHook',
    'NonFiniteLossHook', 'OptunaPruningHook', 'SafeCheckpointHook',
    'StatefulHook'
]
