# Copyright (c) mmext contributors. All rights reserved.
from .checkpoint import (AtomicLocalBackend, UnsafeCheckpointError,
                         atomic_write_bytes, safe_load)
from .hooks import *  # noqa: F401,F403
from .runner import AutoResumeRunner, resolve_checkpoint_pattern

__all__ = [
    'AtomicLocalBackend', 'UnsafeCheckpointError', 'atomic_write_bytes',
    'safe_load', 'AutoResumeRunner', 'resolve_checkpoint_pattern'
]
