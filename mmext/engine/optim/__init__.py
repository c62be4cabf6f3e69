# Copyright (c) mmext contributors. All rights reserved.
from .multi_constructor import MultiOptimWrapperConstructor
from .switchable_amp import (SwitchableAmpOptimWrapper, cpu_has_native_bf16,
                             resolve_amp_dtype)

__all__ = [
    'MultiOptimWrapperConstructor', 'SwitchableAmpOptimWrapper',
    'resolve_amp_dtype', 'cpu_has_native_bf16'
]
