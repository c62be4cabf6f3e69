# Copyright (c) mmext contributors. All rights reserved.
"""Choosing between the pure-PyTorch SSM scans and mamba_ssm's CUDA kernels.

``mamba_ssm`` is imported lazily (only when a CUDA input reaches a layer whose
backend is ``'auto'`` or ``'mamba_ssm'``) and safely (any failure becomes a
reason string, never an exception at mmext import time).

Why a stub module is needed: every import path into ``mamba_ssm`` runs
``mamba_ssm/__init__.py``, which imports
``mamba_ssm.ops.selective_scan_interface``, which starts with a bare
``import selective_scan_cuda`` (the compiled Mamba-1 extension). A pure-Python
build of mamba_ssm has no such extension, yet its Mamba-2 Triton kernels work
without it. :func:`ensure_selective_scan_cuda_importable` therefore puts an
empty placeholder module named ``selective_scan_cuda`` into ``sys.modules``
when, and only when, the real extension cannot be imported. The placeholder
raises a clear error if anything tries to use it, and
:func:`has_selective_scan_cuda` tells the real extension from the
placeholder, so Mamba-1 only uses ``selective_scan_fn`` with the real one.
"""
import importlib
import importlib.util
import sys
import types
from typing import Any, Dict, Optional, Set, Tuple

import torch
from mmengine.logging import print_log

__all__ = [
    'BACKENDS', 'check_backend', 'resolve_backend',
    'ensure_selective_scan_cuda_importable', 'has_selective_scan_cuda',
    'load_mamba_ssm_kernels'
]

#: Valid values of the ``backend`` argument of Mamba and Mamba2.
BACKENDS = ('auto', 'torch', 'mamba_ssm', 'naive')

_STUB_FLAG = '__mmext_stub__'
_KERNELS: Dict[str, Any] = {}  # kind -> dict of callables, or str reason
_LOGGED: Set[Tuple[str, str]] = set()


def check_backend(backend: str) -> str:
    """Validate a ``backend`` argument.

    ``'mamba_ssm'`` additionally requires the ``mamba_ssm`` package to be
    installed (checked without importing it).

    Args:
        backend (str): One of :data:`BACKENDS`.

    Returns:
        str: ``backend`` unchanged.

    Raises:
        ValueError: If ``backend`` is not one of :data:`BACKENDS`.
        ImportError: If ``backend='mamba_ssm'`` and mamba_ssm is not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, '
                         f'got {backend!r}')
    if backend == 'mamba_ssm' and importlib.util.find_spec(
            'mamba_ssm') is None:
        raise ImportError(
            "backend='mamba_ssm' needs the mamba_ssm package (with CUDA), "
            "which is not installed; use backend='auto' or 'torch' for the "
            'pure-PyTorch scan')
    return backend


def has_selective_scan_cuda() -> bool:
    """Whether the real compiled ``selective_scan_cuda`` extension exists.

    Returns:
        bool: False when it is missing or when only mmext's placeholder is in
        ``sys.modules``.
    """
    mod = sys.modules.get('selective_scan_cuda')
    if mod is not None:
        return not getattr(mod, _STUB_FLAG, False)
    try:
        importlib.import_module('selective_scan_cuda')
    except Exception:  # noqa: BLE001 (ImportError, or a broken .so)
        return False
    return True


def _stub_getattr(name: str) -> Any:
    if name.startswith('__'):
        raise AttributeError(name)
    raise RuntimeError(
        f'selective_scan_cuda.{name}: selective_scan_cuda is a placeholder '
        'installed by mmext.models.layers.ssm.backend so that mamba_ssm\'s '
        'Triton (Mamba-2) kernels can be imported; the compiled Mamba-1 '
        'extension is not available. Build mamba_ssm with CUDA to use it.')


def ensure_selective_scan_cuda_importable() -> bool:
    """Make ``import selective_scan_cuda`` succeed so mamba_ssm can import.

    If the real extension imports, nothing is changed. Otherwise an empty
    module named ``selective_scan_cuda`` (marked as mmext's placeholder; any
    attribute access raises a RuntimeError explaining this) is placed in
    ``sys.modules`` and stays there, so later lazy imports inside mamba_ssm
    keep working.

    Returns:
        bool: True if the real extension is available, False if the
        placeholder was (or already had been) installed.
    """
    if has_selective_scan_cuda():
        return True
    if 'selective_scan_cuda' not in sys.modules:
        stub = types.ModuleType(
            'selective_scan_cuda',
            doc='Placeholder installed by mmext: the compiled mamba_ssm '
            'Mamba-1 extension is not available.')
        setattr(stub, _STUB_FLAG, True)
        stub.__getattr__ = _stub_getattr  # type: ignore[attr-defined]
        sys.modules['selective_scan_cuda'] = stub
    return False


def load_mamba_ssm_kernels(kind: str) -> Any:
    """Import mamba_ssm's kernels for one layer kind, once (cached).

    Args:
        kind (str): ``'mamba'`` (Mamba-1 ``selective_scan_fn``, needs the real
            ``selective_scan_cuda``) or ``'mamba2'`` (Triton
            ``mamba_chunk_scan_combined`` and gated ``rmsnorm_fn``).

    Returns:
        dict | str: A dict of callables, or a string saying why they are not
        importable.
    """
    if kind in _KERNELS:
        return _KERNELS[kind]
    if importlib.util.find_spec('mamba_ssm') is None:
        result: Any = 'mamba_ssm is not installed'
    elif not torch.cuda.is_available():
        result = 'CUDA is not available'
    else:
        real_ext = ensure_selective_scan_cuda_importable()
        try:
            if kind == 'mamba':
                if not real_ext:
                    raise ImportError('the compiled selective_scan_cuda '
                                      'extension is missing')
                mod = importlib.import_module(
                    'mamba_ssm.ops.selective_scan_interface')
                result = dict(selective_scan_fn=mod.selective_scan_fn)
            else:
                ssd = importlib.import_module(
                    'mamba_ssm.ops.triton.ssd_combined')
                norm = importlib.import_module(
                    'mamba_ssm.ops.triton.layernorm_gated')
                result = dict(
                    mamba_chunk_scan_combined=ssd.mamba_chunk_scan_combined,
                    rmsnorm_fn=norm.rmsnorm_fn)
        except Exception as e:  # noqa: BLE001 (report any import failure)
            result = f'{type(e).__name__}: {e}'
    _KERNELS[kind] = result
    return result


_PATH_NAMES = {
    'mamba': {
        'torch': 'the pure-PyTorch chunked selective scan',
        'naive': 'the naive sequential selective scan (slow reference)',
        'mamba_ssm': 'mamba_ssm selective_scan_fn CUDA kernel',
    },
    'mamba2': {
        'torch': 'the pure-PyTorch chunked SSD',
        'naive': 'the naive sequential SSD recurrence (slow reference)',
        'mamba_ssm': 'mamba_ssm Triton SSD kernels',
    },
}


def _log_once(owner: str, path: str, why: str) -> None:
    key = (owner, path + why)
    if key in _LOGGED:
        return
    _LOGGED.add(key)
    kind = 'mamba2' if owner == 'Mamba2' else 'mamba'
    msg = f'{owner}: using {_PATH_NAMES[kind][path]}'
    if why:
        msg += f' ({why})'
    print_log(msg, logger='current')


def resolve_backend(backend: str, kind: str, owner: str,
                    device: torch.device) -> Tuple[str, Optional[dict]]:
    """Decide which implementation runs for an input on ``device``.

    Logs the decision once per layer class and outcome through
    ``mmengine.logging.print_log(..., logger='current')``.

    Args:
        backend (str): The layer's ``backend`` argument.
        kind (str): ``'mamba'`` or ``'mamba2'``.
        owner (str): Class name used in the log line.
        device (torch.device): Device of the input.

    Returns:
        tuple[str, dict | None]: ``('torch' | 'naive' | 'mamba_ssm', kernels)``
        where ``kernels`` is the dict from :func:`load_mamba_ssm_kernels` for
        ``'mamba_ssm'`` and None otherwise.

    Raises:
        RuntimeError: If ``backend='mamba_ssm'`` but the input is not on CUDA
            or the kernels cannot be imported.
    """
    if backend in ('torch', 'naive'):
        _log_once(owner, backend, f"backend='{backend}'")
        return backend, None
    if device.type != 'cuda':
        if backend == 'mamba_ssm':
            raise RuntimeError(
                f"{owner}(backend='mamba_ssm') needs CUDA inputs, got an "
                f"input on {device}; use backend='auto' or 'torch'")
        _log_once(owner, 'torch', f'input on {device.type}')
        return 'torch', None
    kernels = load_mamba_ssm_kernels(kind)
    if isinstance(kernels, str):
        if backend == 'mamba_ssm':
            raise RuntimeError(f"{owner}(backend='mamba_ssm'): mamba_ssm "
                               f'kernels are not importable: {kernels}')
        _log_once(owner, 'torch', f'mamba_ssm not importable: {kernels}')
        return 'torch', None
    _log_once(owner, 'mamba_ssm', '')
    return 'mamba_ssm', kernels
