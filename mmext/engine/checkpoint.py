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
import fnmatch
import os
import os.path as osp
import pickle
import re
import tempfile
import threading
from pathlib import Path
from typing import List, Sequence, Union

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend

from mmext.engine.errors import CheckpointFormatError, CheckpointMismatchError
from mmext.fileio.safe_io import UnsafeFileError

__all__ = [
    'UnsafeCheckpointError', 'CheckpointFormatError', 'safe_load',
    'allowed_checkpoint_globals', 'AtomicLocalBackend', 'atomic_write_bytes',
    'state_dict_fit', 'check_state_dict_fit', 'describe_fit'
]


class UnsafeCheckpointError(UnsafeFileError):
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
        CheckpointFormatError: not a torch checkpoint (random bytes, text,
            a renamed ``.npy``, a truncated file).
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    with open(filename, 'rb') as f:
        head = f.read(8)
    # torch.save writes a zip archive (or, legacy, a pickle: first byte
    # 0x80, the PROTO opcode); anything else is not a checkpoint at all
    if not (head.startswith(b'PK\x03\x04') or head[:1] == b'\x80'):
        got = ('an empty file' if not head else
               'a .npy array file' if head.startswith(b'\x93NUMPY') else
               'text' if head.isascii() else 'unrecognised bytes')
        raise CheckpointFormatError(
            f'checkpoint {filename} is not a readable torch checkpoint '
            f'(expected a file written by torch.save, got {got})')
    try:
        with torch.serialization.safe_globals(allowed_checkpoint_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        text = str(err)
        names = sorted(set(_GLOBAL_RE.findall(text)))
        if not names and 'Weights only load failed' not in text:
            # a corrupt pickle stream, not a refused global
            raise CheckpointFormatError(
                f'checkpoint {filename} is not a readable torch checkpoint '
                f'(corrupt pickle data: {text.splitlines()[0]})') from None
        what = ', '.join(names) if names else _first_reason(text)
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename}: it references Python '
            f'objects outside mmext\'s allow-list ({what}). Loading it would '
            'let the file run code. If you produced this file yourself, '
            're-save only tensors/state_dicts; third-party weights can be '
            'converted with tools/model_converters/.', filename,
            what) from None
    except (RuntimeError, EOFError, ValueError, OSError) as err:
        # torch raises these for truncated / corrupt zip files
        first = str(err).strip().splitlines()[0] if str(err).strip() else \
            type(err).__name__
        raise CheckpointFormatError(
            f'checkpoint {filename} is not a readable torch checkpoint '
            f'(truncated or corrupt, {osp.getsize(filename)} bytes; torch '
            f'says: {first}); re-copy it or use another checkpoint') from None


def _first_reason(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith('Weights only load failed') and \
                'weights_only' not in line:
            return line
    return text.splitlines()[0]


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
    except OSError as err:
        if osp.exists(tmp):
            os.remove(tmp)
        # e.g. a full disk: name the file being written, in one line
        raise OSError(
            err.errno, f'cannot write {filepath}: '
            f'{err.strerror or err} (the previous file, if any, is kept)'
        ) from None
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


def _names(keys, n: int = 3) -> str:
    keys = list(keys)
    shown = ', '.join(keys[:n])
    return shown + (f', ... (+{len(keys) - n})' if len(keys) > n else '')


def state_dict_fit(model_state: dict,
                   ckpt_state: dict,
                   allow: Sequence[str] = ()) -> dict:
    """Compare a checkpoint's state dict with a model's.

    Args:
        model_state (dict): ``model.state_dict()``.
        ckpt_state (dict): The checkpoint's state dict (prefixes already
            revised).
        allow (Sequence[str]): fnmatch patterns of keys that may be missing,
            unexpected or of another shape (``load_from_allow_mismatch``);
            ``'*'`` allows everything.

    Returns:
        dict: ``missing``, ``unexpected``, ``mismatched`` (``{key: (ckpt
        shape, model shape)}``) - the differences not allowed - and
        ``skipped``: every allowed difference (key list).
    """

    def allowed(key):
        return any(fnmatch.fnmatchcase(key, pat) for pat in allow)

    missing = [k for k in model_state if k not in ckpt_state]
    unexpected = [k for k in ckpt_state if k not in model_state]
    mismatched = {}
    for k, v in ckpt_state.items():
        if k in model_state and hasattr(v, 'shape') and \
                hasattr(model_state[k], 'shape') and \
                tuple(v.shape) != tuple(model_state[k].shape):
            mismatched[k] = (tuple(v.shape), tuple(model_state[k].shape))
    skipped = [
        k for k in missing + unexpected + list(mismatched) if allowed(k)
    ]
    return dict(
        missing=[k for k in missing if not allowed(k)],
        unexpected=[k for k in unexpected if not allowed(k)],
        mismatched={
            k: s
            for k, s in mismatched.items() if not allowed(k)
        },
        skipped=skipped,
        num_model=len(model_state),
        num_ckpt=len(ckpt_state))


def describe_fit(fit: dict) -> str:
    """One line: counts plus the first few names of each difference."""
    parts = []
    if fit['missing']:
        parts.append(f"{len(fit['missing'])} missing "
                     f"({_names(fit['missing'])})")
    if fit['unexpected']:
        parts.append(f"{len(fit['unexpected'])} unexpected "
                     f"({_names(fit['unexpected'])})")
    if fit['mismatched']:
        items = [
            f'{k} {list(a)} vs model {list(b)}'
            for k, (a, b) in list(fit['mismatched'].items())[:3]
        ]
        more = len(fit['mismatched']) - len(items)
        parts.append(
            f"{len(fit['mismatched'])} of another shape "
            f"({', '.join(items)}{f', ... (+{more})' if more else ''})")
    return '; '.join(parts)


def check_state_dict_fit(model_state: dict,
                         ckpt_state: dict,
                         source: str,
                         allow: Sequence[str] = ()) -> dict:
    """:func:`state_dict_fit`, raising if a difference is not allowed.

    Raises:
        CheckpointMismatchError: one line with the counts and first names,
            and how to allow a partial load.
    """
    fit = state_dict_fit(model_state, ckpt_state, allow)
    if fit['missing'] or fit['unexpected'] or fit['mismatched']:
        raise CheckpointMismatchError(
            f'checkpoint {source} does not fit the model '
            f"({fit['num_ckpt']} tensors in the file, {fit['num_model']} in "
            f'the model): {describe_fit(fit)}. Use the checkpoint of this '
            'config; to load it partially on purpose, list the keys in '
            "load_from_allow_mismatch = ['pattern', ...] or pass "
            'tools/train.py --allow-partial')
    return fit
