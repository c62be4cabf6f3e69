# Copyright (c) mmext contributors. All rights reserved.
"""Safe checkpoint loading and crash-safe file writing.

* :func:`safe_load` loads a checkpoint with torch's weights-only unpickler and
  a short allow-list of the non-tensor types that mmengine itself writes into
  training checkpoints (``HistoryBuffer`` in ``message_hub``, numpy arrays and
  scalars in ``meta``). Anything else in the pickle - in particular a callable
  such as ``os.system`` that a crafted file would ask the unpickler to call -
  is refused with :class:`UnsafeCheckpointError`; no code from the file runs.
  ``builtins.getattr`` is deliberately *not* allowed: with it a pickle can
  reach arbitrary attributes of allowed modules.
* :class:`AtomicLocalBackend` writes every file to a temporary name in the
  same directory, ``fsync`` s it and renames it over the target, so a process
  killed mid-write leaves either the old file or the new one, never a
  truncated one.
"""
import os
import os.path as osp
import pickle
import re
import tempfile
import threading
from pathlib import Path
from typing import List, Union

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend

__all__ = [
    'UnsafeCheckpointError', 'safe_load', 'allowed_checkpoint_globals',
    'AtomicLocalBackend', 'atomic_write_bytes'
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint references a Python object outside the allow-list."""


def _numpy_globals() -> List[object]:
    """Numpy callables/types that pickled arrays, dtypes and scalars use."""
    found = [np.ndarray, np.dtype]
    # numpy 1.x pickles through ``numpy.core``; numpy 2.x through
    # ``numpy._core``. Allow whichever modules exist in this installation.
    for mod_name in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        try:
            mod = __import__(mod_name, fromlist=['_reconstruct'])
        except ImportError:
            continue
        found += [mod._reconstruct, mod.scalar]
    # dtype classes (numpy >= 1.25 pickles ``np.dtype('float64')`` through
    # ``numpy.dtypes.Float64DType`` under numpy 2).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return found


def allowed_checkpoint_globals() -> List[object]:
    """Every non-tensor global a checkpoint written by mmext may contain."""
    from mmengine.logging import HistoryBuffer

    # `bytes` rebuilds the raw buffers of pickled numpy arrays (protocol 2);
    # calling it has no side effects.
    return [HistoryBuffer, bytes] + _numpy_globals()


_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')


def safe_load(filename: Union[str, Path],
              map_location: Union[str, torch.device, None] = 'cpu'):
    """Load ``filename`` without ever executing code stored in it.

    Args:
        filename (str | Path): Path of a checkpoint written by ``torch.save``.
        map_location: Passed to :func:`torch.load`. Defaults to ``'cpu'``.

    Returns:
        The unpickled object (usually a dict).

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafeCheckpointError: the pickle references a global outside the
            allow-list (for example a crafted file that would call
            ``os.system``).
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    try:
        with torch.serialization.safe_globals(allowed_checkpoint_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        names = sorted(set(_GLOBAL_RE.findall(str(err))))
        what = ', '.join(names) if names else str(err).splitlines()[-1]
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename}: it references Python '
            f'objects outside mmext\'s allow-list ({what}). Loading it would '
            'let the file run code. If you produced this file yourself, '
            're-save only tensors/state_dicts; third-party weights can be '
            'converted with tools/model_converters/.') from None
    except (RuntimeError, EOFError) as err:
        # torch raises these for truncated / non-zip files
        raise RuntimeError(
            f'checkpoint {filename} is not a readable torch checkpoint '
            f'(truncated or wrong format): {err}') from None


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows
    (``/proc/self/status``, Linux >= 4.7); elsewhere it is swapped out and
    back under a lock."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically (temp file + rename).

    The file gets the permissions a newly created file gets,
    ``0o666 & ~umask`` (also when it replaces a file), not ``mkstemp``'s
    private 0600, so collaborators on a shared file system can read the
    checkpoints as the umask allows.
    """
    filepath = str(filepath)
    dirname = osp.dirname(osp.abspath(filepath))
    os.makedirs(dirname, exist_ok=True)
    mode = 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=dirname)
    try:
        with os.fdopen(fd, 'wb') as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(dirname, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with crash-safe ``put``/``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)
