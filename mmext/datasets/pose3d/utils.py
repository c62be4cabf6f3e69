# Copyright (c) mmext contributors. All rights reserved.
"""Numpy helpers shared by the 3D pose-lifting datasets (no mmpose import)."""
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmext.fileio import check_finite
from mmext.fileio import load_pickle as safe_load_pickle
from mmext.structures.h36m import H36M_ACTION_NAMES


def resample_even(ori_len: int, target_len: int) -> np.ndarray:
    """Deterministic even resampling of ``ori_len`` frames to ``target_len``.

    Same as ``resample(..., randomness=False)`` in MotionBERT's utils and
    ``MPI3DHP.resample`` in MotionAGFormer: ``floor(linspace(0, ori_len,
    target_len, endpoint=False))``.
    """
    even = np.linspace(0, ori_len, num=target_len, endpoint=False)
    return np.clip(np.floor(even), 0, ori_len - 1).astype(np.int64)


def split_clips(vid_list: Sequence, n_frames: int,
                data_stride: int) -> List[np.ndarray]:
    """Cut per-frame video ids into clips exactly like MotionBERT.

    MotionBERT (``lib/utils/utils_data.py: split_clips``) walks the frames in
    order; within one video a clip of ``n_frames`` starts every
    ``data_stride`` frames. Frames of a video after its last full clip are
    dropped. A video shorter than ``n_frames`` (no full clip) gives one clip
    resampled to ``n_frames`` (MotionBERT samples it randomly; here the
    deterministic even resampling is used, so runs are reproducible). As in
    MotionBERT, a short video at the very end of the list gives no clip.

    Args:
        vid_list (Sequence): per-frame video id (MotionBERT: ``source``).
        n_frames (int): clip length T.
        data_stride (int): step between clip starts.

    Returns:
        list[np.ndarray]: frame indices (T,) of each clip.
    """
    if n_frames < 1 or data_stride < 1:
        raise ValueError(f'split_clips: n_frames and data_stride must be >= '
                         f'1, got {n_frames} and {data_stride}')
    result, st, i, saved = [], 0, 0, set()
    n = len(vid_list)
    while i < n:
        i += 1
        if i - st == n_frames:
            result.append(np.arange(st, i))
            saved.add(vid_list[i - 1])
            st = st + data_stride
        if i == n:
            break
        if vid_list[i] != vid_list[i - 1]:
            if vid_list[i - 1] not in saved:
                result.append(resample_even(i - st, n_frames) + st)
                saved.add(vid_list[i - 1])
            st = i
    return result


def partition_sequence(n_frames: int, clip_len: int,
                       stride: int) -> List[np.ndarray]:
    """MotionAGFormer's ``MPI3DHP.partition`` as frame indices.

    A clip starts every ``stride`` frames; a clip that would run past the end
    is resampled (evenly) from the remaining frames to ``clip_len``.
    """
    out = []
    for start in range(0, n_frames, stride):
        length = min(clip_len, n_frames - start)
        if length == clip_len:
            out.append(np.arange(start, start + clip_len))
        else:
            out.append(resample_even(length, clip_len) + start)
    return out


def normalize_screen(x: np.ndarray, w, h) -> np.ndarray:
    """MotionBERT's pixel -> [-1, 1] normalisation (per frame w, h).

    ``xy / w * 2 - [1, h / w]``; a third channel (depth in pixels) is
    ``z / w * 2``. ``w`` and ``h`` broadcast against the leading dims.
    """
    out = np.array(x, dtype=np.float32, copy=True)
    w = np.asarray(w, np.float32)[..., None]
    h = np.asarray(h, np.float32)[..., None]
    out[..., 0] = out[..., 0] / w * 2 - 1
    out[..., 1] = out[..., 1] / w * 2 - h / w
    if out.shape[-1] > 2:
        out[..., 2] = out[..., 2] / w * 2
    return out


def denormalize_screen(x: np.ndarray, w, h) -> np.ndarray:
    """Inverse of :func:`normalize_screen` (MotionBERT ``denormalize``)."""
    out = np.array(x, dtype=np.float32, copy=True)
    w = np.asarray(w, np.float32)[..., None]
    h = np.asarray(h, np.float32)[..., None]
    out[..., 0] = (out[..., 0] + 1) * w / 2
    out[..., 1] = (out[..., 1] + h / w) * w / 2
    if out.shape[-1] > 2:
        out[..., 2] = out[..., 2] * w / 2
    return out


_SOURCE_RE = re.compile(r's_(\d+)_act_(\d+)_subact_(\d+)(?:_ca_(\d+))?')


def parse_h36m_source(source: str) -> Dict[str, Optional[str]]:
    """Parse a MotionBERT ``source`` like ``'s_09_act_05_subact_02_ca_01'``.

    Returns:
        dict: ``subject`` ('S9'), ``action`` (name from the action id, or
        ``'act_XX'`` if unknown), ``video`` (source without the camera
        suffix, the key of MotionBERT's block list). Unparseable sources give
        ``subject=None`` and ``video=source``.
    """
    m = _SOURCE_RE.match(str(source))
    if m is None:
        return dict(subject=None, action=None, video=str(source))
    act = int(m.group(2))
    video = f's_{m.group(1)}_act_{m.group(2)}_subact_{m.group(3)}'
    return dict(subject=f'S{int(m.group(1))}',
                action=H36M_ACTION_NAMES.get(act, f'act_{act:02d}'),
                video=video)


def load_pickle(path: str, what: str) -> object:
    """Load a data pickle with :func:`mmext.fileio.load_pickle` (only
    containers, numbers, strings and numpy arrays; no code runs).

    Raises:
        FileNotFoundError: naming ``what`` and the file.
        mmext.fileio.UnsafeFileError: the pickle names another global.
        mmext.fileio.DataFormatError: (a ``ValueError``) not a pickle.
    """
    return safe_load_pickle(path, what)


def check_array(arr, name: str, where: str, ndim: int,
                num_joints: Optional[int] = 17,
                last_dims: Optional[Sequence[int]] = None) -> np.ndarray:
    """Validate an array's rank, joint count and last dimension, and that
    a float array is finite (checked once, at load).

    Raises:
        ValueError: with a first line naming ``where`` and ``name`` and what
            was expected.
    """
    arr = np.asarray(arr)
    if arr.ndim != ndim:
        raise ValueError(f'{where}: {name!r} has shape {arr.shape}, expected '
                         f'{ndim} dims')
    if num_joints is not None and arr.shape[1] != num_joints:
        raise ValueError(f'{where}: {name!r} has {arr.shape[1]} joints '
                         f'(shape {arr.shape}), expected {num_joints}')
    if last_dims is not None and arr.shape[-1] not in last_dims:
        raise ValueError(f'{where}: {name!r} has last dimension '
                         f'{arr.shape[-1]} (shape {arr.shape}), expected one '
                         f'of {tuple(last_dims)}')
    return check_finite(arr, where, repr(name))
