# Copyright (c) mmext contributors. All rights reserved.
"""Per-frame audio features (log-mel + onset strength), cached on disk."""
import hashlib
import json
import os
import os.path as osp
import warnings
from typing import Optional

import numpy as np

__all__ = [
    'audio_features', 'cached_audio_features', 'default_cache_dir',
    'file_digest'
]


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


def default_cache_dir() -> str:
    """``$MMEXT_CACHE_DIR/gesture_features``, else
    ``~/.cache/mmext/gesture_features``: never the dataset folder, so a
    read-only data mount works."""
    root = os.environ.get('MMEXT_CACHE_DIR') or osp.join(
        osp.expanduser('~'), '.cache', 'mmext')
    return osp.join(root, 'gesture_features')


def file_digest(path: str, chunk: int = 1 << 20) -> str:
    """SHA-1 of a file's bytes (hex)."""
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


def cached_audio_features(clip_path: str, audio: np.ndarray, sr: int,
                          fps: float, num_frames: int,
                          cache_dir: Optional[str], n_mels: int = 64
                          ) -> np.ndarray:
    """:func:`audio_features`, computed once per clip content and
    parameter set.

    The cache file is named by a hash of the clip file's *content* and the
    parameters (a copied, touched or moved clip hits the cache; an edited
    one is recomputed). ``cache_dir=None`` disables the cache; a cache
    folder that cannot be written warns once and computes the features
    without caching.
    """
    if cache_dir is None:
        return audio_features(audio, sr, fps, num_frames, n_mels)
    key = json.dumps([file_digest(clip_path), sr, fps, num_frames, n_mels,
                      'v2'])
    digest = hashlib.sha1(key.encode()).hexdigest()[:20]
    name = osp.splitext(osp.basename(clip_path))[0]
    path = osp.join(cache_dir, f'{name}.{digest}.npy')
    if osp.isfile(path):
        return np.load(path, allow_pickle=False)
    feats = audio_features(audio, sr, fps, num_frames, n_mels)
    try:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f'{path}.{os.getpid()}.tmp.npy'
        np.save(tmp, feats)
        os.replace(tmp, path)
    except OSError as err:
        if cache_dir not in _WARNED:
            _WARNED.add(cache_dir)
            warnings.warn(f'gesture feature cache {cache_dir} is not '
                          f'writable ({err}); computing features without '
                          'caching (set cache_dir or MMEXT_CACHE_DIR)')
    return feats


_WARNED = set()
