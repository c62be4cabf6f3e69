# Copyright (c) mmext contributors. All rights reserved.
"""SYNTHETIC two-stream demo data in the exact MA-52 / NTU60 file formats.

Nothing here is real data. Each clip shows one stick figure on a plain
background whose motion depends on the class (which limb moves, direction,
frequency); the RGB video and the skeleton pkl are rendered from the same
keypoints, so both streams carry the class. Classes use their REAL label ids
so that :mod:`mmext.structures.action_hierarchy` applies.

Formats written (see ``docs/action/data.md``):

* ``--dataset ma52``: ``videos_{train,val}/SSSS_BB_NNNN.mp4`` (subject, body
  part group = coarse id, clip index), ``{train,val}_list_videos.txt`` with
  ``SSSS_BB_NNNN.mp4 label`` per line, and ``ma52_2d.pkl`` (mmaction2
  skeleton format, 28 joints per person, splits ``train``/``val``).
* ``--dataset ntu60``: ``videos/SsssCcccPpppRrrrAaaa.mp4`` and
  ``ntu60_2d.pkl`` (17 COCO joints, splits ``xsub_train``/``xsub_val``/
  ``xview_train``/``xview_val``).

The synthetic 28-joint layout used for MA-52 is COCO-17 (ids 0-16) followed by
11 derived points (:data:`MA52_SYN_EXTRA`); it is NOT claimed to be the layout
of the real MA-52 skeletons.
"""
import os
import os.path as osp
import pickle
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'DEMO_CLASSES', 'COCO_REST', 'COCO_EDGES', 'MA52_SYN_EXTRA',
    'MA52_SYN_FLIP', 'COCO_FLIP', 'clip_keypoints', 'render_clip',
    'generate_demo'
]

# Person-left joints appear on the image right (figure faces the camera).
COCO_REST = np.array(
    [[0.50, 0.22], [0.52, 0.20], [0.48, 0.20], [0.545, 0.215],
     [0.455, 0.215], [0.58, 0.33], [0.42, 0.33], [0.62, 0.45], [0.38, 0.45],
     [0.63, 0.56], [0.37, 0.56], [0.555, 0.58], [0.445, 0.58], [0.56, 0.74],
     [0.44, 0.74], [0.56, 0.90], [0.44, 0.90]],
    dtype=np.float64)
COCO_EDGES = ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8),
              (8, 10), (5, 11), (6, 12), (11, 12), (11, 13), (13, 15),
              (12, 14), (14, 16))
COCO_FLIP = dict(
    left_kp=[1, 3, 5, 7, 9, 11, 13, 15], right_kp=[2, 4, 6, 8, 10, 12, 14, 16])

# Synthetic joints 17..27 for the MA-52 demo, as (name, how it is derived).
MA52_SYN_EXTRA = (
    ('neck', 'mean of shoulders 5, 6'),
    ('pelvis', 'mean of hips 11, 12'),
    ('left toe', 'left ankle 15 + (0.02, 0.02)'),
    ('right toe', 'right ankle 16 + (-0.02, 0.02)'),
    ('left heel', 'left ankle 15 + (-0.005, 0.015)'),
    ('right heel', 'right ankle 16 + (0.005, 0.015)'),
    ('left hand', 'left wrist 9 + 0.3 x (wrist - elbow)'),
    ('right hand', 'right wrist 10 + 0.3 x (wrist - elbow)'),
    ('head top', 'nose 0 + (0, -0.06)'),
    ('mid spine', 'mean of neck 17 and pelvis 18'),
    ('chin', 'nose 0 + (0, 0.035)'),
)
MA52_SYN_FLIP = dict(
    left_kp=COCO_FLIP['left_kp'] + [19, 21, 23],
    right_kp=COCO_FLIP['right_kp'] + [20, 22, 24])

_HEAD = [0, 1, 2, 3, 4]
_UPPER = list(range(0, 11))


def _bump(t: np.ndarray) -> np.ndarray:
    """0 -> 1 -> 0 over the clip."""
    return np.sin(np.pi * np.clip(t, 0, 1))


def _ramp(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before t0, 1 after t1, smoothstep between."""
    x = np.clip((t - t0) / (t1 - t0), 0, 1)
    return x * x * (3 - 2 * x)


def _move_to(kp: np.ndarray, j: int, target: Sequence[float],
             a: np.ndarray) -> None:
    """Blend joint ``j`` towards ``target`` by weight ``a`` (T,)."""
    kp[:, j] = kp[:, j] * (1 - a[:, None]) + np.asarray(target) * a[:, None]


# Motion functions: (kp (T,17,2) at rest, t (T,) in [0,1), amp, freq, phase)
# -> modified in place. Amplitudes are in units of the frame size.
def _shaking_body(kp, t, a, f, p):
    kp[:, _UPPER, 0] += 0.03 * a * np.sin(2 * np.pi * 4 * f * t + p)[:, None]


def _rising_up(kp, t, a, f, p):
    r = 0.10 * a * _ramp(t, 0.2, 0.8)
    kp[:, :13, 1] -= r[:, None]
    kp[:, 13:15, 1] -= 0.5 * r[:, None]


def _nodding(kp, t, a, f, p):
    kp[:, _HEAD, 1] += 0.03 * a * np.sin(2 * np.pi * 3 * f * t + p)[:, None]


def _shaking_head(kp, t, a, f, p):
    kp[:, _HEAD, 0] += 0.03 * a * np.sin(2 * np.pi * 3 * f * t + p)[:, None]


def _wave(kp, t, a, f, p, big=False):
    ang = (0.6 if big else 0.4) * a * np.sin(2 * np.pi * 3 * f * t + p)
    kp[:, 8] = [0.33, 0.30]
    length = 0.12 if big else 0.10
    kp[:, 10, 0] = 0.33 + length * np.sin(ang)
    kp[:, 10, 1] = 0.30 - length * np.cos(ang)


def _stretching_arms(kp, t, a, f, p):
    s = _bump(t) * min(a, 1.0)
    for j, target in ((7, [0.72, 0.33]), (9, [0.84, 0.33]), (8, [0.28, 0.33]),
                      (10, [0.16, 0.33])):
        _move_to(kp, j, target, s)


def _shaking_legs(kp, t, a, f, p):
    s = 0.025 * a * np.sin(2 * np.pi * 5 * f * t + p)
    kp[:, 13, 0] += s
    kp[:, 14, 0] -= s
    kp[:, 15, 0] += 0.4 * s
    kp[:, 16, 0] -= 0.4 * s


def _touch_face(kp, t, a, f, p):
    reach = _ramp(t, 0.0, 0.3)
    _move_to(kp, 8, [0.41, 0.40], reach)
    _move_to(kp, 10, [0.485, 0.25], reach)
    kp[:, 10, 0] += 0.012 * a * reach * np.sin(2 * np.pi * 6 * f * t + p)


def _clapping(kp, t, a, f, p):
    gap = 0.02 + 0.07 * a * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * f * t + p))
    kp[:, 9] = np.stack([0.5 + gap, np.full_like(t, 0.45)], -1)
    kp[:, 10] = np.stack([0.5 - gap, np.full_like(t, 0.45)], -1)
    kp[:, 7] = [0.60, 0.47]
    kp[:, 8] = [0.40, 0.47]


def _jump_up(kp, t, a, f, p):
    kp[:, :, 1] -= (0.08 * a * np.abs(np.sin(2 * np.pi * t)))[:, None]


def _sitting_down(kp, t, a, f, p):
    r = _ramp(t, 0.15, 0.75)
    kp[:, :13, 1] += (0.15 * a * r)[:, None]
    kp[:, 13:15, 1] += (0.02 * a * r)[:, None]
    kp[:, 13, 0] += 0.04 * r
    kp[:, 14, 0] -= 0.04 * r


def _bow(kp, t, a, f, p):
    b = _bump(t)
    kp[:, _HEAD, 1] += (0.08 * a * b)[:, None]
    kp[:, 5:7, 1] += (0.04 * a * b)[:, None]


def _drink(kp, t, a, f, p):
    b = np.clip(1.6 * _bump(t), 0, 1)
    _move_to(kp, 8, [0.40, 0.40], b)
    _move_to(kp, 10, [0.48, 0.26], b)


def _falling(kp, t, a, f, p):
    ang = np.deg2rad(60) * _ramp(t, 0.3, 0.8) * (1 if p < np.pi else -1)
    pivot = np.array([0.5, 0.90])
    d = kp - pivot
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    kp[..., 0] = pivot[0] + c * d[..., 0] - s * d[..., 1]
    kp[..., 1] = pivot[1] + s * d[..., 0] + c * d[..., 1]


def _pickup(kp, t, a, f, p):
    b = _bump(t)
    kp[:, :11, 1] += (0.18 * a * b)[:, None]
    _move_to(kp, 10, [0.42, 0.88], b)
    _move_to(kp, 8, [0.40, 0.72], b)


# dataset -> [(real fine label id, motion)]; ids are the real class ids.
DEMO_CLASSES: Dict[str, List[Tuple[int, Callable]]] = {
    'ma52': [
        (0, _shaking_body),  # shaking body (body)
        (4, _rising_up),  # rising up (body)
        (9, _nodding),  # nodding (head)
        (10, _shaking_head),  # shaking head (head)
        (17, _stretching_arms),  # stretching arms (upper limb)
        (19, _wave),  # waving (upper limb)
        (24, _shaking_legs),  # shaking legs (lower limb)
        (41, _touch_face),  # scratching or touching face (head-hand)
    ],
    'ntu60': [
        (0, _drink),  # A1 drink water (head & face)
        (5, _pickup),  # A6 pickup (object manipulation)
        (7, _sitting_down),  # A8 sitting down (body-pose change)
        (9, _clapping),  # A10 clapping (hand gesture)
        (22, lambda *x: _wave(*x, big=True)),  # A23 hand waving (gesture)
        (26, _jump_up),  # A27 jump up (body-pose change)
        (34, _bow),  # A35 nod head/bow (head & face)
        (42, _falling),  # A43 falling (medical condition)
    ],
}


def _ma52_extra(kp: np.ndarray) -> np.ndarray:
    """(T, 17, 2) COCO -> (T, 28, 2) synthetic MA-52 layout."""
    neck = kp[:, [5, 6]].mean(1)
    pelvis = kp[:, [11, 12]].mean(1)
    extra = [
        neck, pelvis, kp[:, 15] + [0.02, 0.02], kp[:, 16] + [-0.02, 0.02],
        kp[:, 15] + [-0.005, 0.015], kp[:, 16] + [0.005, 0.015],
        kp[:, 9] + 0.3 * (kp[:, 9] - kp[:, 7]),
        kp[:, 10] + 0.3 * (kp[:, 10] - kp[:, 8]), kp[:, 0] + [0, -0.06],
        (neck + pelvis) / 2, kp[:, 0] + [0, 0.035]
    ]
    return np.concatenate([kp, np.stack(extra, 1)], 1)


def clip_keypoints(motion: Callable, num_frames: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Normalised COCO-17 keypoints (T, 17, 2) of one randomised clip."""
    t = np.arange(num_frames) / num_frames
    kp = np.repeat(COCO_REST[None], num_frames, 0).copy()
    amp = rng.uniform(0.8, 1.2)
    freq = rng.uniform(0.85, 1.15)
    phase = rng.uniform(0, 2 * np.pi)
    motion(kp, t, amp, freq, phase)
    scale = rng.uniform(0.85, 1.0)
    centre = np.array([0.5, 0.55])
    kp = (kp - centre) * scale + centre + rng.uniform(-0.04, 0.04, size=2)
    kp += rng.normal(0, 0.003, size=kp.shape)
    return kp


def render_clip(kp_px: np.ndarray, size: int,
                rng: np.random.Generator) -> np.ndarray:
    """Draw a stick figure per frame. Returns (T, size, size, 3) uint8 BGR."""
    bg = rng.integers(30, 90, size=3)
    colours = {'l': (60, 200, 255), 'r': (255, 160, 60), 'c': (230, 230, 230)}
    thick = max(1, size // 40)
    frames = np.empty((len(kp_px), size, size, 3), np.uint8)
    for i, pts in enumerate(kp_px):
        img = np.empty((size, size, 3), np.uint8)
        img[:] = bg
        p = np.round(pts).astype(int)
        for a, b in COCO_EDGES:
            side = 'l' if a % 2 == 1 and b % 2 == 1 and a > 4 else (
                'r' if a % 2 == 0 and b % 2 == 0 and a > 4 else 'c')
            cv2.line(img, tuple(p[a]), tuple(p[b]), colours[side], thick,
                     cv2.LINE_AA)
        cv2.circle(img, tuple(p[0]), max(2, int(0.055 * size)), colours['c'],
                   thick, cv2.LINE_AA)
        for j in (9, 10):  # hands as filled dots
            cv2.circle(img, tuple(p[j]), max(1, size // 32),
                       colours['l' if j == 9 else 'r'], -1, cv2.LINE_AA)
        frames[i] = img
    return frames


def _write_video(path: str, frames: np.ndarray, fps: float = 25.) -> None:
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'cv2.VideoWriter cannot open {path} (mp4v)')
    for f in frames:
        writer.write(f)
    writer.release()


def _write_frames(frame_dir: str, frames: np.ndarray) -> None:
    os.makedirs(frame_dir, exist_ok=True)
    for i, f in enumerate(frames):
        cv2.imwrite(osp.join(frame_dir, f'img_{i + 1:05d}.jpg'), f)


def generate_demo(dataset: str,
                  out_dir: str,
                  clips_per_class: int = 12,
                  num_frames: int = 40,
                  size: int = 96,
                  val_fraction: float = 0.25,
                  write_frames: bool = False,
                  seed: int = 0) -> Dict:
    """Write a synthetic two-stream demo dataset.

    Args:
        dataset (str): ``'ma52'`` or ``'ntu60'``.
        out_dir (str): Output folder (created).
        clips_per_class (int): Clips per class (split across subjects).
        num_frames (int): Frames per clip.
        size (int): Frame height = width in pixels.
        val_fraction (float): Fraction of subjects held out for ``val``.
        write_frames (bool): Also write extracted frames
            ``frames/<frame_dir>/img_%05d.jpg``.
        seed (int): Random seed.

    Returns:
        dict: Summary with the number of clips per split and the paths.
    """
    if dataset not in DEMO_CLASSES:
        raise ValueError(f'dataset {dataset!r}: expected one of '
                         f'{sorted(DEMO_CLASSES)}')
    if clips_per_class < 2:
        raise ValueError(f'clips_per_class={clips_per_class}: expected >= 2 '
                         '(one train and one val subject)')
    from mmext.structures.action_hierarchy import HIERARCHIES
    hierarchy = HIERARCHIES[dataset]
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    # subjects: clip i of a class is performed by subject i; the last
    # ceil(val_fraction * n) subjects form the val split (cross-subject).
    num_val = max(1, int(np.ceil(val_fraction * clips_per_class)))
    val_subjects = set(range(clips_per_class - num_val, clips_per_class))
    annotations, lists = [], {'train': [], 'val': []}
    if dataset == 'ntu60':
        # real NTU60 xsub training performers (1-based); val = the others.
        xsub_train_ids = [1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19]
        xsub_val_ids = [3, 6, 7, 10, 11, 12, 20, 21, 22, 23]
        train_subj = [s for s in range(clips_per_class) if s not in
                      val_subjects]
        performer = {}
        for k, s in enumerate(train_subj):
            performer[s] = xsub_train_ids[k % len(xsub_train_ids)]
        for k, s in enumerate(sorted(val_subjects)):
            performer[s] = xsub_val_ids[k % len(xsub_val_ids)]
    split: Dict[str, List[str]] = {}
    clip_index: Dict[Tuple[int, int], int] = {}
    for label, motion in DEMO_CLASSES[dataset]:
        coarse = hierarchy[label]
        for subj in range(clips_per_class):
            part = 'val' if subj in val_subjects else 'train'
            kp = clip_keypoints(motion, num_frames, rng)
            if dataset == 'ma52':
                key = (subj, coarse)
                clip_index[key] = clip_index.get(key, 0) + 1
                name = f'{subj + 1:04d}_{coarse:02d}_{clip_index[key]:04d}'
                kp_out = _ma52_extra(kp)
                video_dir = f'videos_{part}'
            else:
                camera = 1 + subj % 3
                name = (f'S001C{camera:03d}P{performer[subj]:03d}'
                        f'R{1 + subj // 3 % 2:03d}A{label + 1:03d}')
                kp_out = kp
                video_dir = 'videos'
            kp_px = kp_out * size
            score = rng.uniform(0.85, 1.0, size=kp_px.shape[:2])
            frames = render_clip(kp_px[:, :17], size, rng)
            os.makedirs(osp.join(out_dir, video_dir), exist_ok=True)
            _write_video(osp.join(out_dir, video_dir, name + '.mp4'), frames)
            if write_frames:
                _write_frames(osp.join(out_dir, 'frames', name), frames)
            annotations.append(
                dict(
                    frame_dir=name,
                    label=label,
                    img_shape=(size, size),
                    original_shape=(size, size),
                    total_frames=num_frames,
                    keypoint=kp_px[None].astype(np.float32),
                    keypoint_score=score[None].astype(np.float32)))
            lists[part].append(f'{name}.mp4 {label}')
            if dataset == 'ntu60':
                split.setdefault(f'xsub_{part}', []).append(name)
                xview = 'xview_val' if camera == 1 else 'xview_train'
                split.setdefault(xview, []).append(name)
            else:
                split.setdefault(part, []).append(name)
    pkl_name = 'ma52_2d.pkl' if dataset == 'ma52' else 'ntu60_2d.pkl'
    with open(osp.join(out_dir, pkl_name), 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations), f)
    if dataset == 'ma52':
        for part, lines in lists.items():
            with open(osp.join(out_dir, f'{part}_list_videos.txt'), 'w') as f:
                f.write('\n'.join(lines) + '\n')
    with open(osp.join(out_dir, 'README.txt'), 'w') as f:
        f.write(f'SYNTHETIC {dataset} demo data written by '
                f'tools/misc/generate_action_demo.py (seed {seed}): stick '
                'figures, not real recordings. See docs/action/data.md.\n')
    return dict(
        ann_file=osp.join(out_dir, pkl_name),
        num_clips={k: len(v)
                   for k, v in split.items()},
        classes=[lbl for lbl, _ in DEMO_CLASSES[dataset]])
