# Copyright (c) mmext contributors. All rights reserved.
"""mmext's per-clip gesture format (see docs/gesture/data.md).

A data root holds::

    skeleton.json            # Skeleton.to_dict(): names, parents,
                             # hand_joints, angle_limits (degrees)
    clips/<clip_id>.npz      # one clip, keys below
    splits/{train,val,test}.txt   # clip ids, one per line

A clip npz holds ``joints`` ``(T, J, 3)`` float32 world positions in
metres, ``fps`` (float), ``audio`` ``(N,)`` float32 mono waveform in
[-1, 1], ``sr`` (must be 16000) and ``speaker_id`` (int). The audio covers
the motion: ``N / sr`` is at least ``(T - 1) / fps`` (within one frame).
"""
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from mmext.structures.skeleton import Skeleton

__all__ = [
    'SAMPLE_RATE', 'save_clip', 'load_clip', 'write_splits', 'read_split',
    'read_wav'
]

SAMPLE_RATE = 16000
_KEYS = ('joints', 'fps', 'audio', 'sr', 'speaker_id')


def save_clip(path: str, joints: np.ndarray, fps: float, audio: np.ndarray,
              sr: int, speaker_id: int,
              smplx_poses: Optional[np.ndarray] = None) -> None:
    """Validate and write one clip. ``smplx_poses`` (optional, ``(T,
    165)`` axis-angle, frame for frame with ``joints``): the captured
    SMPL-X rotations a BEAT2 clip was made from, kept for EMAGE's FGD."""
    joints = np.asarray(joints, dtype=np.float32)
    audio = np.asarray(audio, dtype=np.float32)
    _check(path, joints, float(fps), audio, int(sr))
    extra = {}
    if smplx_poses is not None:
        extra['smplx_poses'] = _check_poses(path, smplx_poses, len(joints))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    np.savez(
        path,
        joints=joints,
        fps=np.float32(fps),
        audio=audio,
        sr=np.int32(sr),
        speaker_id=np.int32(speaker_id),
        **extra)


def _check_poses(path, poses, frames) -> np.ndarray:
    poses = np.asarray(poses, dtype=np.float32)
    if poses.shape != (frames, 165):
        raise ValueError(f'{path}: smplx_poses must be ({frames}, 165) '
                         f'(axis-angle of the 55 SMPL-X joints, one row per '
                         f'frame of joints), got {poses.shape}')
    if not np.isfinite(poses).all():
        raise ValueError(f'{path}: smplx_poses has non-finite values')
    return poses


def _check(path, joints, fps, audio, sr) -> None:
    if joints.ndim != 3 or joints.shape[-1] != 3:
        raise ValueError(f'{path}: joints must be (T, J, 3), got '
                         f'{joints.shape}')
    if sr != SAMPLE_RATE:
        raise ValueError(f'{path}: audio sample rate is {sr} Hz; mmext '
                         f'gesture clips need {SAMPLE_RATE} Hz (resample '
                         'the wav first)')
    if audio.ndim != 1:
        raise ValueError(f'{path}: audio must be mono (N,), got '
                         f'{audio.shape}')
    need = (joints.shape[0] - 1) / fps
    have = audio.shape[0] / sr
    if have + 1.0 / fps < need:
        raise ValueError(f'{path}: audio lasts {have:.3f} s but the motion '
                         f'{need:.3f} s ({joints.shape[0]} frames at {fps} '
                         'fps)')


def load_clip(path: str) -> Dict[str, np.ndarray]:
    """Read and validate one clip; errors name the file and the key."""
    try:
        with np.load(path) as z:
            missing = [k for k in _KEYS if k not in z.files]
            if missing:
                raise KeyError(f'{path}: missing keys {missing} (a gesture '
                               f'clip has {list(_KEYS)})')
            clip = {k: z[k] for k in _KEYS}
            if 'smplx_poses' in z.files:
                clip['smplx_poses'] = z['smplx_poses']
    except FileNotFoundError:
        raise FileNotFoundError(f'clip file {path} not found') from None
    clip['fps'] = float(clip['fps'])
    clip['sr'] = int(clip['sr'])
    clip['speaker_id'] = int(clip['speaker_id'])
    _check(path, clip['joints'], clip['fps'], clip['audio'], clip['sr'])
    if 'smplx_poses' in clip:
        clip['smplx_poses'] = _check_poses(path, clip['smplx_poses'],
                                           len(clip['joints']))
    return clip


def write_splits(root: str, splits: Dict[str, List[str]]) -> None:
    os.makedirs(osp.join(root, 'splits'), exist_ok=True)
    for name, ids in splits.items():
        with open(osp.join(root, 'splits', f'{name}.txt'), 'w') as f:
            f.write(''.join(f'{i}\n' for i in ids))


def read_split(root: str, split: str) -> List[str]:
    path = osp.join(root, 'splits', f'{split}.txt')
    if not osp.isfile(path):
        have = sorted(os.listdir(osp.join(root, 'splits'))) if osp.isdir(
            osp.join(root, 'splits')) else []
        raise FileNotFoundError(f'split file {path} not found (have {have})')
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


def read_wav(path: str) -> tuple:
    """``(mono float32 waveform, sample rate)`` of a PCM/float wav."""
    from scipy.io import wavfile
    try:
        sr, data = wavfile.read(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'wav file {path} not found') from None
    except ValueError as e:
        raise ValueError(f'{path}: cannot read as wav ({e})') from None
    if data.dtype.kind == 'i':
        data = data.astype(np.float32) / np.iinfo(data.dtype).max
    elif data.dtype.kind == 'u':
        data = (data.astype(np.float32) - 128) / 128
    data = data.astype(np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1)
    return data, int(sr)


def load_skeleton(root: str) -> Skeleton:
    return Skeleton.load(osp.join(root, 'skeleton.json'))
