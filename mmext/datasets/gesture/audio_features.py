# Copyright (c) mmext contributors. All rights reserved.
"""Per-frame audio features (log-mel + onset strength), cached on disk."""
import hashlib
import json
import os
import os.path as osp
from typing import Optional

import numpy as np

__all__ = ['audio_features', 'cached_audio_features']


def _frames(x: np.ndarray, num_frames: int) -> np.ndarray:
    """Linearly resample ``(F, n)`` to ``(num_frames, F)``."""
    n = x.shape[1]
    src = np.linspace(0, n - 1, num_frames)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = src - lo
    return (x[:, lo] * (1 - w) + x[:, hi] * w).T


def audio_features(audio: np.ndarray, sr: int, fps: float, num_frames: int,
                   n_mels: int = 64) -> np.ndarray:
    """``(num_frames, n_mels + 1)``: log-mel (dB / 80) and onset strength
    (divided by its clip maximum) at the motion frame rate.

    Computed with librosa (hop ``sr / fps`` rounded, then resampled to
    exactly ``num_frames``).
    """
    import librosa
    hop = max(1, int(round(sr / fps)))
    y = audio.astype(np.float32)
    mel = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=1024, hop_length=hop, n_mels=n_mels)
    logmel = librosa.power_to_db(mel, ref=1.0, top_db=80.) / 80.
    onset = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop)
    onset = onset / max(float(onset.max()), 1e-6)
    feats = np.concatenate([logmel, onset[None]], axis=0)
    return _frames(feats, num_frames).astype(np.float32)


def cached_audio_features(clip_path: str, audio: np.ndarray, sr: int,
                          fps: float, num_frames: int,
                          cache_dir: Optional[str], n_mels: int = 64
                          ) -> np.ndarray:
    """:func:`audio_features`, computed once per clip and parameter set.

    The cache file name holds a hash of the clip file's size and mtime
    and the parameters, so an edited clip is recomputed.
    """
    if cache_dir is None:
        return audio_features(audio, sr, fps, num_frames, n_mels)
    st = os.stat(clip_path)
    key = json.dumps([osp.basename(clip_path), st.st_size, st.st_mtime_ns,
                      sr, fps, num_frames, n_mels])
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    name = osp.splitext(osp.basename(clip_path))[0]
    path = osp.join(cache_dir, f'{name}.{digest}.npy')
    if osp.isfile(path):
        return np.load(path)
    feats = audio_features(audio, sr, fps, num_frames, n_mels)
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp.npy'
    np.save(tmp, feats)
    os.replace(tmp, path)
    return feats
