# Copyright (c) mmext contributors. All rights reserved.
"""Synthetic frame-interpolation data in the published layouts.

A triplet is three views of a photograph (or a generated texture) moved by a
known sub-pixel translation: frame ``k`` of ``0, 0.5, 1`` (or any time) is
the source resampled at ``p + (k - 0.5) * v`` plus opaque sprites (discs
with their own motion) that occlude the background. The middle frame is
therefore the exact frame at ``t = 0.5`` of that motion, so an interpolator
can learn it; averaging the inputs or copying one cannot.

Everything generated here is synthetic and says nothing about real
benchmarks.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

__all__ = [
    'SKIMAGE_SAMPLES', 'load_source_images', 'render_frame', 'make_clip',
    'draw_clip', 'clip_flow', 'write_vimeo_triplets', 'texture_image',
    'read_true_flow'
]

#: scikit-image sample images that ship inside its wheel (no download).
#: The last one (astronaut) is the demo's held-out test photo.
SKIMAGE_SAMPLES = ('coffee', 'chelsea', 'rocket', 'camera',
                   'immunohistochemistry', 'hubble_deep_field', 'retina',
                   'astronaut')


def texture_image(seed: int, size: int = 160) -> np.ndarray:
    """A random smooth colour texture (when scikit-image is absent)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size, 3), np.float32)
    for octave in (4, 8, 16, 32):
        noise = rng.random((octave, octave, 3)).astype(np.float32)
        img += cv2.resize(noise, (size, size),
                          interpolation=cv2.INTER_CUBIC) / 4
    return np.clip(img * 255, 0, 255).astype(np.uint8)


def load_source_images(names: Sequence[str] = SKIMAGE_SAMPLES,
                       size: int = 160) -> List[np.ndarray]:
    """RGB uint8 photos from scikit-image's shipped samples, resized so the
    short side is ``size``."""
    from skimage import data
    out = []
    for name in names:
        img = getattr(data, name)()
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        img = img[..., :3].astype(np.uint8)
        h, w = img.shape[:2]
        scale = size / min(h, w)
        out.append(cv2.resize(img, (round(w * scale), round(h * scale)),
                              interpolation=cv2.INTER_AREA))
    return out


def _shift(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Sample ``img`` at ``(x + dx, y + dy)`` (bilinear, reflect border)."""
    h, w = img.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32) + dx,
                         np.arange(h, dtype=np.float32) + dy)
    return cv2.remap(img, xs, ys, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT101)


def render_frame(src: np.ndarray, crop: Sequence[int], motion: Sequence[float],
                 sprites: List[Dict], t: float) -> np.ndarray:
    """The frame at time ``t`` (0 first, 1 last) of one clip.

    Args:
        src (np.ndarray): Source photo ``H x W x 3`` uint8.
        crop (Sequence[int]): ``(y, x, h, w)`` window of the source.
        motion (Sequence[float]): Background displacement ``(vx, vy)`` in
            pixels from ``t = 0`` to ``t = 1``.
        sprites (list[dict]): ``centre (x, y)`` at t=0, ``velocity``,
            ``radius`` and ``color``; drawn with anti-aliased edges.
        t (float): Time.

    Returns:
        np.ndarray: ``h x w x 3`` uint8.
    """
    y, x, h, w = crop
    vx, vy = motion
    bg = _shift(src.astype(np.float32), vx * (t - 0.5), vy * (t - 0.5))
    frame = bg[y:y + h, x:x + w].copy()
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for s in sprites:
        cx = s['centre'][0] + s['velocity'][0] * t
        cy = s['centre'][1] + s['velocity'][1] * t
        dist = np.sqrt((xx - cx)**2 + (yy - cy)**2)
        alpha = np.clip(s['radius'] + 0.5 - dist, 0, 1)[..., None]
        frame = frame * (1 - alpha) + np.asarray(s['color'],
                                                 np.float32) * alpha
    return np.clip(np.round(frame), 0, 255).astype(np.uint8)


def draw_clip(src: np.ndarray, rng: np.random.Generator, size: int = 64,
              max_motion: float = 6.0, num_sprites: int = 2) -> Dict:
    """Random clip parameters: ``crop``, background ``motion`` and
    ``sprites`` (see :func:`render_frame`)."""
    h, w = src.shape[:2]
    margin = int(np.ceil(max_motion)) + 1
    y = int(rng.integers(margin, h - size - margin + 1))
    x = int(rng.integers(margin, w - size - margin + 1))
    motion = rng.uniform(-max_motion, max_motion, 2)
    sprites = []
    for _ in range(num_sprites):
        sprites.append(
            dict(centre=rng.uniform(0.2 * size, 0.8 * size, 2),
                 velocity=rng.uniform(-1.5 * max_motion, 1.5 * max_motion,
                                      2),
                 radius=float(rng.uniform(0.06, 0.14) * size),
                 color=rng.integers(0, 256, 3)))
    return dict(crop=(y, x, size, size), motion=motion, sprites=sprites)


def clip_flow(clip: Dict, t: float = 0.5) -> np.ndarray:
    """The true backward flows of a clip at time ``t``: ``(2, 2, h, w)``
    float32, ``[F_t->0, F_t->1]``, each ``(dx, dy)`` in pixels.

    The background at ``t`` samples the source at ``p + v (t - 0.5)``, so
    its content at ``p`` sits at ``p + v t`` in frame 0 and at
    ``p - v (1 - t)`` in frame 1. A sprite with velocity ``u`` sits at
    ``p - u t`` / ``p + u (1 - t)``. Where a sprite covers the pixel at
    ``t`` (anti-aliased coverage > 0.5; later sprites on top) its flow
    applies.
    """
    _, _, h, w = clip['crop']
    v = np.asarray(clip['motion'], np.float32)
    flow = np.empty((2, 2, h, w), np.float32)
    flow[0] = (v * t)[:, None, None]
    flow[1] = (-v * (1 - t))[:, None, None]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for s in clip['sprites']:
        u = np.asarray(s['velocity'], np.float32)
        cx = s['centre'][0] + u[0] * t
        cy = s['centre'][1] + u[1] * t
        cover = (s['radius'] + 0.5 - np.sqrt((xx - cx)**2 +
                                             (yy - cy)**2)) > 0.5
        for k, f in enumerate((-u * t, u * (1 - t))):
            for c in range(2):
                flow[k, c][cover] = f[c]
    return flow


def make_clip(src: np.ndarray, rng: np.random.Generator, size: int = 64,
              max_motion: float = 6.0, num_sprites: int = 2,
              times: Sequence[float] = (0.0, 0.5, 1.0),
              return_flow: bool = False):
    """Frames at ``times`` of a random clip drawn from ``src`` (and, with
    ``return_flow``, the true flows at ``t = 0.5``, :func:`clip_flow`)."""
    clip = draw_clip(src, rng, size, max_motion, num_sprites)
    frames = [render_frame(src, clip['crop'], clip['motion'],
                           clip['sprites'], t) for t in times]
    return (frames, clip_flow(clip, 0.5)) if return_flow else frames


def _write_rgb(path: str, img: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, img[..., ::-1]):
        raise OSError(f'could not write {path}')


def write_vimeo_triplets(root: str, sources: Sequence[np.ndarray],
                         num_train: int, num_test: int, size: int = 64,
                         max_motion: float = 6.0, seed: int = 0,
                         num_sprites: int = 2,
                         test_sources: Optional[Sequence[int]] = None,
                         write_flow: bool = False) -> Dict[str, int]:
    """Write a Vimeo-90K-layout triplet set under ``root``.

    Args:
        root (str): Output folder (``tri_trainlist.txt``,
            ``tri_testlist.txt``, ``sequences/00001/0001/im1.png`` ...).
        sources (Sequence[np.ndarray]): Source photos.
        num_train (int): Training triplets.
        num_test (int): Test triplets.
        size (int): Frame edge. Defaults to 64.
        max_motion (float): Background motion bound (pixels over the
            triplet). Defaults to 6.
        seed (int): Seed. Defaults to 0.
        num_sprites (int): Occluding discs per clip. Defaults to 2.
        test_sources (Sequence[int], optional): Source indices held out for
            the test split (the others train). Defaults to the last one.
        write_flow (bool): Also write the true flows at ``t = 0.5``
            (:func:`clip_flow`) of every triplet to
            ``flow/xxxxx/xxxx.npy`` beside ``sequences/`` (not part of the
            Vimeo layout; :func:`read_true_flow` reads them). The frames are
            the same either way. Defaults to False.

    Returns:
        dict: Counts written.
    """
    rng = np.random.default_rng(seed)
    test_sources = list(test_sources if test_sources is not None else
                        [len(sources) - 1])
    train_sources = [i for i in range(len(sources)) if i not in test_sources]
    if not train_sources:
        raise ValueError('write_vimeo_triplets: every source is held out')
    lists = {'train': [], 'test': []}
    for split, n, pool in (('train', num_train, train_sources),
                           ('test', num_test, test_sources)):
        for i in range(n):
            src = sources[pool[i % len(pool)]]
            frames, flow = make_clip(src, rng, size, max_motion,
                                     num_sprites, return_flow=True)
            name = f'{1 if split == "train" else 2:05d}/{i + 1:04d}'
            for k, img in enumerate(frames):
                _write_rgb(osp.join(root, 'sequences', name,
                                    f'im{k + 1}.png'), img)
            if write_flow:
                path = osp.join(root, 'flow', name + '.npy')
                os.makedirs(osp.dirname(path), exist_ok=True)
                np.save(path, flow)
            lists[split].append(name)
    for split, names in lists.items():
        with open(osp.join(root, f'tri_{split}list.txt'), 'w') as f:
            f.write('\n'.join(names) + '\n')
    return {k: len(v) for k, v in lists.items()}


def read_true_flow(root: str, name: str) -> np.ndarray:
    """The true flows ``(2, 2, h, w)`` that :func:`write_vimeo_triplets`
    (``write_flow=True``) wrote for triplet ``name`` under ``root``.

    Raises:
        FileNotFoundError: the file is absent (data written without
            ``write_flow``).
    """
    path = osp.join(root, 'flow', name + '.npy')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'true flow {path} not found: write the data with '
            f'write_flow=True (tools/misc/generate_vfi_demo.py does)')
    flow = np.load(path, allow_pickle=False)
    if flow.ndim != 4 or flow.shape[:2] != (2, 2):
        raise ValueError(f'{path}: expected a (2, 2, h, w) flow array, got '
                         f'{flow.shape}')
    return flow
