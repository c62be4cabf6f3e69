# Copyright (c) mmext contributors. All rights reserved.
from .checkpoint import (AtomicLocalBackend, UnsafeCheckpointError,
                         atomic_write_bytes, safe_load)
from .hooks import *  # noqa: F401,F403

__all__ = [
    'AtomicLocalBackend', 'UnsafeCheckpointError', 'atomic_write_bytes',
    'safe_load'
]
from .gan_state import GANTrainState, get_gan_state, guarded_update  # noqa
from .optim import SwitchableAmpOptimWrapper  # noqa: E402,F401

__all__ += [
    'GANTrainState', 'get_gan_state', 'guarded_update',
    'SwitchableAmpOptimWrapper'
]
