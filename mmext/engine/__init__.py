# Copyright (c) mmext contributors. All rights reserved.
from .checkpoint import (AtomicLocalBackend, CheckpointFormatError,
                         UnsafeCheckpointError, atomic_write_bytes, safe_load)
from .hooks import *  # noqa: F401,F403
from .runner import AutoResumeRunner, resolve_checkpoint_pattern

__all__ = [
    'AtomicLocalBackend', 'UnsafeCheckpointError', 'CheckpointFormatError',
    'atomic_write_bytes',
    'safe_load', 'AutoResumeRunner', 'resolve_checkpoint_pattern'
]
from .gan_state import GANTrainState, get_gan_state, guarded_update  # noqa
from .optim import SwitchableAmpOptimWrapper  # noqa: E402,F401

__all__ += [
    'GANTrainState', 'get_gan_state', 'guarded_update',
    'SwitchableAmpOptimWrapper'
]
