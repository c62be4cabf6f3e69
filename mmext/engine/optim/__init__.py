# Copyright (c) mmext contributors. All rights reserved.
from .switchable_amp import SwitchableAmpOptimWrapper, resolve_amp_dtype

__all__ = ['SwitchableAmpOptimWrapper', 'resolve_amp_dtype']
