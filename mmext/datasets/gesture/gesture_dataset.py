# Copyright (c) mmext contributors. All rights reserved.
"""Windows of mmext gesture clips with seed poses and cached audio
features."""
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from torch.utils.data import Dataset

from mmext.registry import DATASETS
from mmext.structures.skeleton import Skeleton
from .audio_features import cached_audio_features, default_cache_dir
from .clip_format import load_clip, read_split

__all__ = ['GestureDataset']


@DATASETS.register_module()
class GestureDataset(Dataset):
    """Fixed-length windows cut from the clips of one split.

    Each item::

        inputs = dict(audio=(T, n_mels + 1) float32,  # log-mel + onset
                      seed=(S, J, 3) float32)         # first S frames
        data_samples = dict(motion=(T, J, 3) float32, # target window
                            onset=(T,) float32,       # onset strength
                            wave=(T * sr / fps,) float32,  # for BC
                            clip=str, start=int, speaker_id=int)

    Positions are relative to the root joint of the window's first frame
    (translation removed; orientation kept). Audio features are computed
    once per clip and cached in ``cache_dir``, keyed by the clip file's
    content (default :func:`default_cache_dir`, ``~/.cache/mmext/
    gesture_features``; never the dataset folder, which may be a
    read-only mount).

    Args:
        data_root (str): Root in mmext's clip format.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        window (int): Frames per window ``T``. Defaults to 34.
        stride (int): Frames between windows. Defaults to 10.
        seed_frames (int): ``S``. Defaults to 4.
        fps (float, optional): Required clip frame rate (error if a clip
            differs). Defaults to the first clip's.
        n_mels (int): Defaults to 64.
        cache_dir (str, optional): Feature cache folder; ``''`` disables
            the cache.
        skip_short (bool): Skip clips shorter than ``window`` instead of
            raising. Defaults to False.
        max_clips (int, optional): Use the first N clips (debugging).
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 window: int = 34,
                 stride: int = 10,
                 seed_frames: int = 4,
                 fps: Optional[float] = None,
                 n_mels: int = 64,
                 cache_dir: Optional[str] = None,
                 skip_short: bool = False,
                 max_clips: Optional[int] = None,
                 **kwargs) -> None:
        if not 0 < seed_frames < window:
            raise ValueError(f'GestureDataset: need 0 < seed_frames < '
                             f'window, got {seed_frames}, {window}')
        if stride < 1:
            raise ValueError(f'GestureDataset: stride must be >= 1, got '
                             f'{stride}')
        self.data_root = data_root
        self.split = split
        self.window = window
        self.stride = stride
        self.seed_frames = seed_frames
        self.n_mels = n_mels
        self.skeleton = Skeleton.load(osp.join(data_root, 'skeleton.json'))
        if cache_dir is None:
            cache_dir = default_cache_dir()
        cache_dir = cache_dir or None
        ids = read_split(data_root, split)
        if max_clips is not None:
            ids = ids[:max_clips]
        if not ids:
            raise ValueError(f'GestureDataset: split {split!r} of '
                             f'{data_root} is empty')
        self.clips = []
        self.index = []
        self.fps = fps
        for cid in ids:
            path = osp.join(data_root, 'clips', f'{cid}.npz')
            clip = load_clip(path)
            if clip['joints'].shape[1] != self.skeleton.num_joints:
                raise ValueError(
                    f'{path}: {clip["joints"].shape[1]} joints, skeleton.json'
                    f' has {self.skeleton.num_joints}')
            if self.fps is None:
                self.fps = clip['fps']
            elif abs(clip['fps'] - self.fps) > 1e-3:
                raise ValueError(f'{path}: {clip["fps"]} fps, expected '
                                 f'{self.fps}')
            n = clip['joints'].shape[0]
            if n < window:
                if skip_short:
                    continue
                raise ValueError(
                    f'{path}: {n} frames, shorter than the window of '
                    f'{window} frames (pass skip_short=True to skip such '
                    'clips)')
            feats = cached_audio_features(path, clip['audio'], clip['sr'],
                                          self.fps, n, cache_dir, n_mels)
            k = len(self.clips)
            self.clips.append(
                dict(id=cid, joints=clip['joints'], audio=clip['audio'],
                     sr=clip['sr'], feats=feats,
                     speaker_id=clip['speaker_id'],
                     smplx_poses=clip.get('smplx_poses')))
            self.index += [(k, s) for s in range(0, n - window + 1, stride)]
        if not self.index:
            raise ValueError(f'GestureDataset: no clip of split {split!r} is '
                             f'at least {window} frames long')

    def __len__(self) -> int:
        return len(self.index)

    @property
    def samples_per_window(self) -> int:
        return int(round(self.window * self.clips[0]['sr'] / self.fps))

    def get_window(self, idx: int) -> dict:
        """Numpy arrays of window ``idx`` (absolute positions)."""
        k, s = self.index[idx]
        c = self.clips[k]
        sr = c['sr']
        a0 = int(round(s * sr / self.fps))
        wave = c['audio'][a0:a0 + self.samples_per_window]
        wave = np.pad(wave, (0, self.samples_per_window - wave.shape[0]))
        return dict(
            joints=c['joints'][s:s + self.window],
            feats=c['feats'][s:s + self.window],
            wave=wave,
            clip=c['id'],
            start=s,
            speaker_id=c['speaker_id'])

    def __getitem__(self, idx: int) -> dict:
        w = self.get_window(idx)
        motion = w['joints'] - w['joints'][:1, :1]
        motion = torch.from_numpy(np.ascontiguousarray(motion)).float()
        return dict(
            inputs=dict(
                audio=torch.from_numpy(w['feats']).float(),
                seed=motion[:self.seed_frames].clone()),
            data_samples=dict(
                motion=motion,
                onset=torch.from_numpy(w['feats'][:, -1]).float(),
                wave=torch.from_numpy(w['wave']).float(),
                clip=w['clip'],
                start=w['start'],
                speaker_id=w['speaker_id']))

    def all_windows(self) -> List[np.ndarray]:
        """Root-relative motion of every window (for baselines, FGD)."""
        return [self[i]['data_samples']['motion'].numpy()
                for i in range(len(self))]
