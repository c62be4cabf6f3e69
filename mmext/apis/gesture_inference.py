# Copyright (c) mmext contributors. All rights reserved.
"""Speech audio -> gesture motion, BVH export and skeleton videos."""
import os
import os.path as osp
import subprocess
import tempfile
from typing import Optional

import numpy as np
import torch

from mmext.datasets.gesture.audio_features import audio_features
from mmext.datasets.gesture.bvh import positions_to_bvh, write_bvh
from mmext.datasets.gesture.clip_format import SAMPLE_RATE, read_wav
from mmext.fileio import check_finite
from mmext.structures.skeleton import Skeleton

__all__ = [
    'init_gesture_model', 'generate_motion', 'generate_sequence',
    'export_bvh', 'render_video'
]


def init_gesture_model(config: str, checkpoint: Optional[str] = None,
                       device: str = 'cpu'):
    """Build the config's model and load a checkpoint (weights only)."""
    from mmengine.registry import DefaultScope

    from mmext.engine.checkpoint import safe_load
    from mmext.registry import MODELS
    from mmext.utils import load_config
    cfg = load_config(config, check_data=False)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmext')):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        ckpt = safe_load(checkpoint)
        model.load_state_dict(ckpt.get('state_dict', ckpt))
    model.cfg = cfg
    return model.to(device).eval()


@torch.no_grad()
def generate_motion(model, wave: np.ndarray, sr: int, fps: float,
                    seed: np.ndarray, window: int,
                    n_mels: int = 64) -> np.ndarray:
    """Generate ``(T, J, 3)`` root-relative joint positions for a waveform.

    The audio is cut into windows of ``window`` frames; the first window is
    seeded with ``seed`` ``(S, J, 3)``, each later one with the last ``S``
    generated frames (positions relative to the first root, as in
    training).
    """
    if sr != SAMPLE_RATE:
        raise ValueError(f'audio sample rate is {sr} Hz; the model expects '
                         f'{SAMPLE_RATE} Hz')
    check_finite(wave, 'audio', 'waveform')  # NaN audio: no silent output
    total = int(np.floor(len(wave) / sr * fps))
    if total < window:
        raise ValueError(f'audio of {len(wave) / sr:.2f} s gives {total} '
                         f'frames; at least one window ({window} frames) is '
                         'needed')
    feats = audio_features(wave, sr, fps, total, n_mels)
    return generate_sequence(model.generator, feats, seed, window)


@torch.no_grad()
def generate_sequence(generator, feats: np.ndarray, seed: np.ndarray,
                      window: int) -> np.ndarray:
    """Generate a whole sequence autoregressively from its first seed.

    The first window is seeded with ``seed`` ``(S, J, 3)`` (made relative
    to its first root position); each later window starts ``window - S``
    frames on and is seeded with the last ``S`` generated frames, made
    relative to their first root position as in training (and moved back
    after). Only the first seed comes from outside.

    Args:
        generator: ``generator(audio (1, T, A), seed (1, S, J, 3))``.
        feats (ndarray): ``(N, A)`` per-frame audio features.
        seed (ndarray): ``(S, J, 3)``.
        window (int): Frames per generator call.

    Returns:
        ndarray: ``(L, J, 3)``, ``L = S + k (window - S)`` for the largest
        ``k`` with ``L <= N`` (root-relative to the seed's first frame).
    """
    s = seed.shape[0]
    if feats.shape[0] < window:
        raise ValueError(f'generate_sequence: {feats.shape[0]} frames of '
                         f'audio features, fewer than one window '
                         f'({window})')
    p = next(generator.parameters())
    seed = np.asarray(seed, np.float32)
    out = [seed - seed[:1, :1]]
    start = 0
    while start + window <= feats.shape[0]:
        cur_seed = np.concatenate(out)[-s:]
        offset = cur_seed[:1, :1]
        pred = generator(
            torch.from_numpy(np.ascontiguousarray(
                feats[start:start + window]))[None].to(p.device, p.dtype),
            torch.from_numpy(cur_seed - offset)[None].to(p.device, p.dtype))
        pred = pred[0].float().cpu().numpy() + offset
        out.append(pred[s:])
        start += window - s
    return np.concatenate(out)[:start + s]


def export_bvh(path: str, joints: np.ndarray, skeleton: Skeleton,
               fps: float, scale: float = 100., positions: str = 'root',
               tolerance: float = 1e-3) -> float:
    """Write joint positions as a BVH that retargets: every joint rotates
    (rotation channels solved from the positions,
    :func:`~mmext.datasets.gesture.bvh.positions_to_bvh`), the root also
    has position channels (``positions='all'``: every joint, exact for any
    input). ``scale`` converts metres to the file's units (cm).

    Returns:
        float: Largest distance (m) between the positions the file
        re-reads to and ``joints``; a warning names the file when it
        exceeds ``tolerance`` (non-rigid input with ``positions='root'``).
    """
    import warnings
    sol = positions_to_bvh(np.asarray(joints, np.float64) * scale,
                           skeleton.names, skeleton.parents, positions)
    write_bvh(path, sol['names'], sol['parents'], sol['offsets'],
              sol['channels'], sol['motion'], 1. / fps)
    err = sol['max_error'] / scale
    if err > tolerance:
        warnings.warn(f'{path}: the rotations re-read to within {err:.4g} m '
                      'of the generated positions (bone lengths vary); '
                      "positions='all' writes them exactly")
    return err


def render_video(path: str, joints: np.ndarray, skeleton: Skeleton,
                 wave: np.ndarray, sr: int, fps: float,
                 size: int = 480) -> None:
    """An mp4 of the skeleton (front view, hands highlighted) above the
    waveform with a moving cursor, with the audio track muxed in (ffmpeg
    from ``imageio-ffmpeg``)."""
    import cv2
    import imageio_ffmpeg
    t = joints.shape[0]
    h_sk, h_wav = size, size // 4
    xy = joints[..., :2]
    lo, hi = xy.reshape(-1, 2).min(0), xy.reshape(-1, 2).max(0)
    scale = 0.9 * size / max(float((hi - lo).max()), 1e-6)
    center = (lo + hi) / 2
    hands = set(skeleton.hand_indices)
    wav_img = np.full((h_wav, size, 3), 255, np.uint8)
    n = len(wave)
    cols = np.linspace(0, n, size + 1).astype(int)
    for x in range(size):
        seg = wave[cols[x]:max(cols[x + 1], cols[x] + 1)]
        amp = float(np.abs(seg).max()) if seg.size else 0.
        y0 = int(h_wav / 2 - amp * h_wav / 2)
        y1 = int(h_wav / 2 + amp * h_wav / 2)
        cv2.line(wav_img, (x, y0), (x, y1), (90, 90, 90), 1)
    tmp = tempfile.mkdtemp()
    silent = osp.join(tmp, 'video.mp4')
    wav_path = osp.join(tmp, 'audio.wav')
    writer = cv2.VideoWriter(silent, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (size, h_sk + h_wav))
    for f in range(t):
        img = np.full((h_sk + h_wav, size, 3), 255, np.uint8)
        pts = (xy[f] - center) * scale
        pts = np.stack([size / 2 + pts[:, 0], h_sk / 2 - pts[:, 1]], 1)
        for c, p in skeleton.bones:
            color = (40, 120, 220) if c in hands else (60, 60, 60)
            cv2.line(img, tuple(int(v) for v in pts[p]),
                     tuple(int(v) for v in pts[c]), color, 2)
        img[h_sk:] = wav_img
        x = int(f / max(t - 1, 1) * (size - 1))
        cv2.line(img, (x, h_sk), (x, h_sk + h_wav - 1), (0, 0, 255), 2)
        writer.write(img)
    writer.release()
    from scipy.io import wavfile
    wavfile.write(wav_path, sr, (np.clip(wave, -1, 1) * 32767).astype(
        np.int16))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), '-y', '-loglevel', 'error',
           '-i', silent, '-i', wav_path, '-c:v', 'libx264', '-pix_fmt',
           'yuv420p', '-c:a', 'aac', '-shortest', path]
    subprocess.run(cmd, check=True)


def load_wav_16k(path: str) -> np.ndarray:
    wave, sr = read_wav(path)
    if sr != SAMPLE_RATE:
        raise ValueError(f'{path}: sample rate {sr} Hz; resample to '
                         f'{SAMPLE_RATE} Hz (e.g. ffmpeg -ar 16000)')
    return wave
