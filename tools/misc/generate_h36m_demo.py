# Copyright (c) mmext contributors. All rights reserved.
"""Generate a small SYNTHETIC Human3.6M-like (and MPI-INF-3DHP-like) data set.

Nothing here comes from Human3.6M or MPI-INF-3DHP: a 17-joint kinematic
skeleton with adult bone lengths is animated by hand-written motion functions
(one per action, varied per subject), projected by four H36M-like pinhole
cameras and corrupted with detector-like 2D noise. The files are written in
the *exact* layouts that the real preprocessed files use, so every loader,
config and metric of ``mmext`` can be exercised end to end on a CPU in
seconds. Numbers obtained on this data say nothing about real benchmarks.

Written (under ``--out-dir``, default ``data/h36m_demo``)::

    motion3d/h36m_sh_conf_cam_source_final.pkl     MotionBERT pickle
    motion3d/H36M-<T>/{train,test}/%08d.pkl        pre-cut clips
    annotation_body3d/fps50/h36m_{train,test}.npz  mmpose npz
    annotation_body3d/fps50/h36m_factors.npy       test 2.5d factors
    annotation_body3d/cameras.pkl                  mmpose cameras
    mpi_inf_3dhp/data_{train,test}_3dhp.npz        3DHP npz (P-STMO)

The conventions followed (and where they were read) are documented in
``docs/pose3d/data.md``.

Usage::

    python tools/misc/generate_h36m_demo.py --out-dir data/h36m_demo \
        [--train-subjects S1 S5] [--test-subjects S9] [--frames 54] \
        [--actions Directions Eating ...] [--clip-len 27] [--seed 0] \
        [--formats motionbert clips mmpose 3dhp]

The MotionBERT clip splitting and screen normalisation are the ones the
loaders use (``mmext.datasets.pose3d.utils``), so data and loader agree.
"""
import argparse
import os
import os.path as osp
import pickle
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmext.datasets.pose3d.utils import normalize_screen, split_clips

# ---------------------------------------------------------------------------
# Constants of the formats (see docs/pose3d/data.md for the sources)
# ---------------------------------------------------------------------------
#: H36M 17-joint order used by MotionBERT, MotionAGFormer and mmpose.
H36M_JOINTS = ('pelvis', 'r_hip', 'r_knee', 'r_ankle', 'l_hip', 'l_knee',
               'l_ankle', 'spine', 'thorax', 'neck_nose', 'head',
               'l_shoulder', 'l_elbow', 'l_wrist', 'r_shoulder', 'r_elbow',
               'r_wrist')
#: H36M camera ids in the order ca_01..ca_04 and their image sizes (w, h).
H36M_CAMERAS = ('54138969', '55011271', '58860488', '60457274')
H36M_RESOLUTION = {
    '54138969': (1000, 1002),
    '55011271': (1000, 1000),
    '58860488': (1000, 1000),
    '60457274': (1000, 1002),
}
#: Human3.6M action ids (``act_XX`` in MotionBERT's ``source`` strings).
H36M_ACTION_IDS = {
    'Directions': 2, 'Discussion': 3, 'Eating': 4, 'Greeting': 5,
    'Phoning': 6, 'Posing': 7, 'Purchases': 8, 'Sitting': 9,
    'SittingDown': 10, 'Smoking': 11, 'Photo': 12, 'Waiting': 13,
    'Walking': 14, 'WalkDog': 15, 'WalkTogether': 16
}
#: Actions this generator can animate.
SUPPORTED_ACTIONS = ('Directions', 'Discussion', 'Eating', 'Greeting',
                     'Phoning', 'Sitting', 'SittingDown', 'Walking')
DEFAULT_ACTIONS = ('Directions', 'Eating', 'Greeting', 'SittingDown',
                   'Walking')
FPS = 50
#: MPI-INF-3DHP 17-joint order (``joint_set`` of P-STMO/MotionAGFormer's
#: ``data_to_npz_3dhp.py``), root = index 14.
MPI3DHP_JOINTS = ('head_top', 'neck', 'r_shoulder', 'r_elbow', 'r_wrist',
                  'l_shoulder', 'l_elbow', 'l_wrist', 'r_hip', 'r_knee',
                  'r_ankle', 'l_hip', 'l_knee', 'l_ankle', 'pelvis', 'spine',
                  'head')
#: ``H36M_TO_3DHP[i]`` = index in the 3DHP order of H36M joint ``i``.
H36M_TO_3DHP = (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4)
MPI3DHP_TEST_RESOLUTION = {'TS1': (2048, 2048), 'TS2': (2048, 2048),
                           'TS3': (2048, 2048), 'TS4': (2048, 2048),
                           'TS5': (1920, 1080), 'TS6': (1920, 1080)}

# Bone lengths of an adult in mm (close to H36M subject S1's skeleton).
BONES = dict(hip=130., thigh=445., shin=440., spine=230., chest=250.,
             neck=115., head=115., shoulder=150., upper_arm=280.,
             forearm=250.)
STAND_PELVIS_HEIGHT = 920.


# ---------------------------------------------------------------------------
# Skeleton and motions
# ---------------------------------------------------------------------------
def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _bend(d: np.ndarray, ref: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate unit vectors ``d`` by ``angle`` towards ``ref`` (per frame)."""
    b = ref - (ref * d).sum(-1, keepdims=True) * d
    b = _unit(b + 1e-9)
    return d * np.cos(angle)[:, None] + b * np.sin(angle)[:, None]


def forward_kinematics(p: Dict[str, np.ndarray], scale: float) -> np.ndarray:
    """Joint positions (T, 17, 3) in world mm (z up) from motion parameters.

    Args:
        p (dict): per-frame (T,) arrays: ``x, y`` (root position), ``height``
            (pelvis height), ``heading`` (rad), ``lean`` (trunk pitch),
            ``twist`` (trunk yaw), ``hip_r, hip_l`` (hip flexion),
            ``knee_r, knee_l``, ``sh_flex_r/l``, ``sh_abd_r/l``,
            ``elbow_r/l`` (all radians).
        scale (float): bone length scale of the subject.

    Returns:
        np.ndarray: (T, 17, 3) joints in H36M order.
    """
    T = len(p['x'])
    b = {k: v * scale for k, v in BONES.items()}
    up = np.tile(np.array([0., 0., 1.]), (T, 1))
    hd = p['heading']
    fwd = np.stack([np.cos(hd), np.sin(hd), np.zeros(T)], -1)
    left = np.stack([-np.sin(hd), np.cos(hd), np.zeros(T)], -1)
    J = np.zeros((T, 17, 3))
    pelvis = np.stack([p['x'], p['y'], p['height'] * scale], -1)
    J[:, 0] = pelvis
    for side, hip_i, sgn in (('r', 1, -1.), ('l', 4, 1.)):
        hip = pelvis + sgn * b['hip'] * left
        thigh = _bend(-up, fwd, p[f'hip_{side}'])
        knee = hip + b['thigh'] * thigh
        shin = _bend(thigh, -fwd, p[f'knee_{side}'])
        J[:, hip_i], J[:, hip_i + 1] = hip, knee
        J[:, hip_i + 2] = knee + b['shin'] * shin
    # trunk: lean forward then twist around the vertical
    tw = p['twist']
    tfwd = fwd * np.cos(tw)[:, None] + left * np.sin(tw)[:, None]
    tleft = left * np.cos(tw)[:, None] - fwd * np.sin(tw)[:, None]
    trunk = _bend(up, tfwd, p['lean'])
    J[:, 7] = pelvis + b['spine'] * trunk
    J[:, 8] = J[:, 7] + b['chest'] * trunk
    J[:, 9] = J[:, 8] + b['neck'] * _unit(trunk + 0.35 * tfwd)
    J[:, 10] = J[:, 9] + b['head'] * _unit(trunk + 0.1 * tfwd)
    for side, sh_i, sgn in (('l', 11, 1.), ('r', 14, -1.)):
        sh = J[:, 8] + sgn * b['shoulder'] * tleft - 15. * scale * trunk
        arm = _bend(-trunk, tfwd, p[f'sh_flex_{side}'])
        arm = _bend(arm, sgn * tleft, p[f'sh_abd_{side}'])
        elbow = sh + b['upper_arm'] * arm
        fore = _bend(arm, tfwd + 0.5 * trunk, p[f'elbow_{side}'])
        J[:, sh_i], J[:, sh_i + 1] = sh, elbow
        J[:, sh_i + 2] = elbow + b['forearm'] * fore
    return J


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0., 1.)
    return x * x * (3 - 2 * x)


def action_parameters(action: str, t: np.ndarray, speed: float, amp: float,
                      phase: float, rng: np.random.Generator) -> dict:
    """Per-frame motion parameters of one action (see forward_kinematics)."""
    T = len(t)
    w = 2 * np.pi * speed
    z = np.zeros(T)
    d = np.deg2rad
    p = dict(x=z.copy(), y=z.copy(), height=np.full(T, STAND_PELVIS_HEIGHT),
             heading=np.full(T, rng.uniform(-np.pi, np.pi)), lean=d(3) + z,
             twist=z.copy(), hip_r=d(2) + z, hip_l=d(2) + z, knee_r=d(4) + z,
             knee_l=d(4) + z, sh_flex_r=d(5) + z, sh_flex_l=d(5) + z,
             sh_abd_r=d(10) + z, sh_abd_l=d(10) + z, elbow_r=d(15) + z,
             elbow_l=d(15) + z)
    s = np.sin(w * t + phase)
    if action == 'Walking':
        gait = w * 0.9 * t + phase
        p['heading'] = p['heading'] + 0.15 * np.sin(0.2 * w * t)
        step = 650. * speed * t
        p['x'] = step * np.cos(p['heading'])
        p['y'] = step * np.sin(p['heading'])
        p['hip_r'] = d(25) * amp * np.sin(gait)
        p['hip_l'] = -d(25) * amp * np.sin(gait)
        p['knee_r'] = d(5) + d(40) * amp * np.clip(np.sin(gait + 1.2), 0, 1)
        p['knee_l'] = d(5) + d(40) * amp * np.clip(-np.sin(gait + 1.2), 0, 1)
        p['sh_flex_r'] = -d(20) * amp * np.sin(gait)
        p['sh_flex_l'] = d(20) * amp * np.sin(gait)
        p['elbow_r'] = d(20) + d(10) * np.sin(gait)
        p['elbow_l'] = d(20) - d(10) * np.sin(gait)
        p['height'] = STAND_PELVIS_HEIGHT - 15. * np.abs(np.sin(gait))
        p['lean'] = d(6) + z
    elif action == 'SittingDown':
        cyc = (t * speed * 0.35 + phase / (2 * np.pi)) % 1.0
        prog = _smoothstep(np.where(cyc < 0.5, cyc * 2.5, (1 - cyc) * 2.5))
        p['height'] = STAND_PELVIS_HEIGHT - 430. * prog
        p['hip_r'] = p['hip_l'] = d(90) * prog
        p['knee_r'] = p['knee_l'] = d(4) + d(88) * prog
        p['lean'] = d(3) + d(30) * amp * np.sin(np.pi * prog) + d(8) * prog
        p['x'] = -200. * prog
        p['sh_flex_r'] = p['sh_flex_l'] = d(5) + d(35) * prog
        p['elbow_r'] = p['elbow_l'] = d(15) + d(50) * prog
    elif action == 'Sitting':
        p['height'] = STAND_PELVIS_HEIGHT - 430. + z
        p['hip_r'] = p['hip_l'] = d(90) + z
        p['knee_r'] = p['knee_l'] = d(92) + z
        p['lean'] = d(10) + d(8) * amp * s
        p['sh_flex_r'] = d(30) + d(20) * amp * np.sin(0.5 * w * t + phase)
        p['elbow_r'] = d(70) + d(30) * amp * s
        p['sh_flex_l'] = d(25) + z
        p['elbow_l'] = d(60) + z
    elif action == 'Greeting':  # waving with the right hand
        p['sh_abd_r'] = d(120) * amp + z
        p['sh_flex_r'] = d(30) + z
        p['elbow_r'] = d(45) + d(35) * amp * np.sin(3 * w * t + phase)
        p['twist'] = d(10) * np.sin(0.5 * w * t)
        p['lean'] = d(3) + d(3) * s
    elif action == 'Directions':  # pointing, alternating arms and turning
        alt = np.sin(0.5 * w * t + phase)
        p['sh_flex_r'] = d(10) + d(70) * amp * np.clip(alt, 0, 1)
        p['sh_flex_l'] = d(10) + d(70) * amp * np.clip(-alt, 0, 1)
        p['elbow_r'] = p['elbow_l'] = d(10) + z
        p['heading'] = p['heading'] + 0.6 * np.sin(0.25 * w * t)
        p['twist'] = d(15) * alt
    elif action == 'Eating':  # hand to mouth, both arms alternately
        up_r = _smoothstep(0.5 + np.sin(w * t + phase))
        up_l = _smoothstep(0.5 + np.sin(w * t + phase + np.pi))
        p['sh_flex_r'] = d(15) + d(35) * amp * up_r
        p['sh_flex_l'] = d(15) + d(35) * amp * up_l
        p['elbow_r'] = d(40) + d(95) * amp * up_r
        p['elbow_l'] = d(40) + d(95) * amp * up_l
        p['lean'] = d(8) + d(5) * up_r
    elif action == 'Phoning':  # one hand at the ear, walking in place slowly
        p['sh_abd_r'] = d(35) + z
        p['sh_flex_r'] = d(25) + d(5) * s
        p['elbow_r'] = d(140) * amp + z
        p['heading'] = p['heading'] + 0.4 * np.sin(0.3 * w * t + phase)
        p['hip_r'] = d(8) * np.sin(w * t)
        p['hip_l'] = -d(8) * np.sin(w * t)
        p['sh_flex_l'] = d(5) + d(10) * s
    elif action == 'Discussion':  # gestures with both arms, torso turning
        p['sh_flex_r'] = d(30) + d(25) * amp * np.sin(1.3 * w * t + phase)
        p['sh_flex_l'] = d(30) + d(25) * amp * np.sin(1.1 * w * t + 2.)
        p['elbow_r'] = d(60) + d(30) * amp * np.sin(2.1 * w * t)
        p['elbow_l'] = d(60) + d(30) * amp * np.sin(1.7 * w * t + 1.)
        p['twist'] = d(20) * np.sin(0.4 * w * t + phase)
        p['sh_abd_r'] = p['sh_abd_l'] = d(20) + z
    else:
        raise ValueError(f'generate_h36m_demo: --actions: unknown action '
                         f'{action!r} (expected one of {SUPPORTED_ACTIONS})')
    return p


# ---------------------------------------------------------------------------
# Cameras and projection
# ---------------------------------------------------------------------------
def make_cameras(rng: np.random.Generator, centre_height: float = 1000.,
                 focal: float = 1145., resolution: Optional[Dict] = None,
                 names: Sequence[str] = H36M_CAMERAS) -> List[dict]:
    """Four cameras on a ~4-6 m ring, looking at the capture centre.

    Returns a list of dicts with ``R`` (3x3 world->camera), ``T`` (camera
    centre in world mm), ``f`` and ``c`` (pixels), ``w``, ``h`` and ``id``.
    Camera coordinates: x right, y down, z forward (optical axis).
    """
    resolution = resolution or H36M_RESOLUTION
    cams = []
    for i, name in enumerate(names):
        az = np.deg2rad(45 + 90 * i + rng.uniform(-10, 10))
        dist = rng.uniform(4500., 5800.)
        centre = np.array([dist * np.cos(az), dist * np.sin(az),
                           rng.uniform(1200., 1700.)])
        target = np.array([0., 0., centre_height])
        fwd = _unit(target - centre)
        right = _unit(np.cross(fwd, np.array([0., 0., 1.])))
        down = np.cross(fwd, right)
        R = np.stack([right, down, fwd])
        w, h = resolution[name]
        cams.append(dict(
            id=name, R=R, T=centre, w=w, h=h,
            f=np.array([focal + rng.uniform(-3, 3),
                        focal + rng.uniform(-3, 3)]),
            c=np.array([w / 2 + rng.uniform(-15, 15),
                        h / 2 + rng.uniform(-15, 15)])))
    return cams


def world_to_camera(J: np.ndarray, cam: dict) -> np.ndarray:
    """(..., 3) world mm -> camera mm."""
    return (J - cam['T']) @ cam['R'].T


def project(Jc: np.ndarray, f: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Pinhole projection (no distortion) of camera-space points to pixels."""
    return Jc[..., :2] / Jc[..., 2:3] * f + c


def camera_to_image_frame(Jc: np.ndarray, cam: dict
                          ) -> Tuple[np.ndarray, np.ndarray]:
    """MotionBERT's ``joint3d_image`` and ``2.5d_factor`` from camera mm.

    This follows H36M-Toolbox / lcn-pose ``camera_to_image_frame`` +
    ``infer_box``: a 2000 mm square centred at the root is projected to get
    ``ratio = (box_w + 1) / 2000`` pixels per mm; x, y are the projected
    pixels, depth = ratio * (Z - Z_root). The 2.5d factor is ``1 / ratio``
    (mm per pixel), so ``joints_2.5d_image = joint3d_image * factor``.
    """
    root = Jc[:, 0]
    tl = root.copy()
    tl[:, :2] -= 1000.
    br = root.copy()
    br[:, :2] += 1000.
    box_w = project(br, cam['f'], cam['c'])[:, 0] - project(
        tl, cam['f'], cam['c'])[:, 0]
    ratio = (box_w + 1.) / 2000.
    img = np.zeros_like(Jc)
    img[..., :2] = project(Jc, cam['f'], cam['c'])
    img[..., 2] = ratio[:, None] * (Jc[..., 2] - Jc[:, :1, 2])
    return img, 1. / ratio


#: Detector noise std per joint in pixels (ends of limbs are noisier).
JOINT_NOISE_PX = np.array([3., 4., 5., 7., 4., 5., 7., 3., 3., 4., 4., 4.,
                           6., 9., 4., 6., 9.])


def detect_2d(gt2d: np.ndarray, rng: np.random.Generator
              ) -> Tuple[np.ndarray, np.ndarray]:
    """Detector-like 2D: temporally correlated noise, rare outliers.

    Confidence decreases with the displacement ``d`` (px) from the ground
    truth: ``conf = 0.98 * exp(-d / 25) + N(0, 0.02)``, clipped to [0.05, 1].
    """
    T = gt2d.shape[0]
    noise = np.zeros_like(gt2d)
    eps = rng.standard_normal(gt2d.shape) * JOINT_NOISE_PX[None, :, None]
    noise[0] = eps[0]
    for i in range(1, T):  # AR(1), stationary std = JOINT_NOISE_PX
        noise[i] = 0.8 * noise[i - 1] + 0.6 * eps[i]
    outlier = rng.random(gt2d.shape[:2]) < 0.005
    noise[outlier] += rng.normal(0, 40., (int(outlier.sum()), 2))
    det = gt2d + noise
    dist = np.linalg.norm(noise, axis=-1)
    conf = 0.98 * np.exp(-dist / 25.) + rng.normal(0, 0.02, dist.shape)
    return det, np.clip(conf, 0.05, 1.)[..., None]


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------
def _subject_id(subject: str) -> int:
    if not (subject.startswith('S') and subject[1:].isdigit()):
        raise ValueError(f'generate_h36m_demo: subject {subject!r}: expected '
                         '"S<number>" like "S1" or "S9"')
    return int(subject[1:])


def simulate_subject(subject: str, actions: Sequence[str], frames: int,
                     rng: np.random.Generator) -> Dict[str, np.ndarray]:
    """World-space joints (frames, 17, 3) per action for one subject."""
    scale = float(np.clip(rng.normal(1.0, 0.05), 0.88, 1.12))
    speed = rng.uniform(0.8, 1.2)
    amp = rng.uniform(0.8, 1.2)
    t = np.arange(frames) / FPS
    out = {}
    for action in actions:
        p = action_parameters(action, t, speed * rng.uniform(0.9, 1.1),
                              amp * rng.uniform(0.9, 1.1),
                              rng.uniform(0, 2 * np.pi), rng)
        if action == 'Walking':  # start away from the centre, walk through
            p['x'] = p['x'] - p['x'][-1] / 2
            p['y'] = p['y'] - p['y'][-1] / 2
        out[action] = forward_kinematics(p, scale)
    return out


def generate(out_dir: str,
             train_subjects: Sequence[str] = ('S1', 'S5'),
             test_subjects: Sequence[str] = ('S9', ),
             actions: Sequence[str] = DEFAULT_ACTIONS,
             frames: int = 54,
             clip_lens: Sequence[int] = (27, ),
             formats: Sequence[str] = ('motionbert', 'clips', 'mmpose',
                                       '3dhp'),
             seed: int = 0) -> Dict[str, object]:
    """Write the synthetic data set; returns a summary dict (paths, counts)."""
    for a in actions:
        if a not in SUPPORTED_ACTIONS:
            raise ValueError(
                f'generate_h36m_demo: --actions: unknown action {a!r} '
                f'(expected a subset of {SUPPORTED_ACTIONS})')
    if frames < 2:
        raise ValueError(f'generate_h36m_demo: --frames must be >= 2, got '
                         f'{frames}')
    unknown = set(formats) - {'motionbert', 'clips', 'mmpose', '3dhp'}
    if unknown:
        raise ValueError(f'generate_h36m_demo: --formats: unknown '
                         f'{sorted(unknown)} (expected motionbert, clips, '
                         'mmpose, 3dhp)')
    overlap = set(train_subjects) & set(test_subjects)
    if overlap:
        raise ValueError(f'generate_h36m_demo: subjects {sorted(overlap)} '
                         'are in both --train-subjects and --test-subjects')
    rng = np.random.default_rng(seed)
    cams = make_cameras(rng)
    splits = {}
    for split, subjects in (('train', train_subjects), ('test',
                                                        test_subjects)):
        rec = {k: [] for k in ('joint_2d', 'confidence', 'joint3d_image',
                               'joints_2.5d_image', '2.5d_factor',
                               'camera_name', 'source', 'action', 'cam_mm',
                               'gt_2d', 'subject', 'imgname')}
        for subject in subjects:
            sid = _subject_id(subject)
            motions = simulate_subject(subject, actions, frames, rng)
            for action in actions:
                J = motions[action]
                for ci, cam in enumerate(cams):
                    Jc = world_to_camera(J, cam)
                    img, factor = camera_to_image_frame(Jc, cam)
                    det, conf = detect_2d(img[..., :2], rng)
                    src = (f's_{sid:02d}_act_{H36M_ACTION_IDS[action]:02d}'
                           f'_subact_01_ca_{ci + 1:02d}')
                    rec['joint_2d'].append(det)
                    rec['confidence'].append(conf)
                    rec['joint3d_image'].append(img)
                    rec['joints_2.5d_image'].append(img * factor[:, None,
                                                                 None])
                    rec['2.5d_factor'].append(factor)
                    rec['camera_name'] += [cam['id']] * frames
                    rec['source'] += [src] * frames
                    rec['action'] += [action] * frames
                    rec['cam_mm'].append(Jc)
                    rec['gt_2d'].append(img[..., :2])
                    rec['subject'] += [subject] * frames
                    base = f'{subject}_{action}_1.{cam["id"]}'
                    rec['imgname'] += [
                        f'{subject}/{base}/{base}_{i + 1:06d}.jpg'
                        for i in range(frames)
                    ]
        for k, v in rec.items():
            if v and isinstance(v[0], np.ndarray):
                rec[k] = np.concatenate(v).astype(np.float32)
            else:
                rec[k] = np.array(v)
        splits[split] = rec

    summary: Dict[str, object] = dict(
        out_dir=out_dir, synthetic=True,
        frames={s: int(len(r['source'])) for s, r in splits.items()})
    if 'motionbert' in formats or 'clips' in formats:
        summary.update(_write_motionbert(out_dir, splits, clip_lens, formats))
    if 'mmpose' in formats:
        summary.update(_write_mmpose(out_dir, splits, cams, train_subjects,
                                     test_subjects))
    if '3dhp' in formats:
        summary.update(_write_3dhp(out_dir, train_subjects, actions, frames,
                                   rng))
    return summary


def _write_motionbert(out_dir, splits, clip_lens, formats) -> dict:
    """MotionBERT pickle: test has 8 keys, train the 5 the real file has."""
    root = osp.join(out_dir, 'motion3d')
    os.makedirs(root, exist_ok=True)
    data = {}
    for split, r in splits.items():
        keys = ['joint_2d', 'confidence', 'joint3d_image', 'camera_name',
                'source']
        if split == 'test':
            keys += ['joints_2.5d_image', '2.5d_factor', 'action']
        data[split] = {k: r[k] for k in keys}
    out = {}
    pkl = osp.join(root, 'h36m_sh_conf_cam_source_final.pkl')
    if 'motionbert' in formats:
        with open(pkl, 'wb') as f:
            pickle.dump(data, f, protocol=4)
        out['motionbert_pkl'] = pkl
    if 'clips' in formats:
        for T in clip_lens:
            counts = {}
            for split, stride in (('train', max(T // 3, 1)), ('test', T)):
                d = data[split]
                wh = np.array([H36M_RESOLUTION[c] for c in d['camera_name']],
                              dtype=np.float32)
                inp = normalize_screen(d['joint_2d'], wh[:, 0], wh[:, 1])
                inp = np.concatenate([inp, d['confidence']], -1)
                lab = normalize_screen(d['joint3d_image'], wh[:, 0],
                                       wh[:, 1])
                clip_dir = osp.join(root, f'H36M-{T}', split)
                os.makedirs(clip_dir, exist_ok=True)
                clips = split_clips(list(d['source']), T, stride)
                for i, idx in enumerate(clips):
                    with open(osp.join(clip_dir, '%08d.pkl' % i), 'wb') as f:
                        pickle.dump(dict(data_input=inp[idx],
                                         data_label=lab[idx]), f, protocol=4)
                counts[split] = len(clips)
            out[f'clips_{T}'] = dict(dir=osp.join(root, f'H36M-{T}'),
                                     **counts)
    return out


def _write_mmpose(out_dir, splits, cams, train_subjects, test_subjects
                  ) -> dict:
    """mmpose ``preprocess_h36m.py`` layout (2D = ground truth, as there)."""
    root = osp.join(out_dir, 'annotation_body3d')
    os.makedirs(osp.join(root, 'fps50'), exist_ok=True)
    out = {}
    for split, r in splits.items():
        n = len(r['imgname'])
        part = np.concatenate([r['gt_2d'], np.ones((n, 17, 1))], -1)
        S = np.concatenate([r['cam_mm'] / 1000., np.ones((n, 17, 1))], -1)
        lo, hi = r['gt_2d'].min(1), r['gt_2d'].max(1)
        path = osp.join(root, 'fps50', f'h36m_{split}.npz')
        np.savez(path, imgname=r['imgname'], center=(lo + hi) / 2,
                 scale=1.2 * (hi - lo).max(1) / 200, part=part.astype(
                     np.float32), S=S.astype(np.float32))
        out[f'mmpose_{split}_npz'] = path
    fpath = osp.join(root, 'fps50', 'h36m_factors.npy')
    np.save(fpath, splits['test']['2.5d_factor'].astype(np.float32))
    cameras = {}
    for subject in list(train_subjects) + list(test_subjects):
        for i, cam in enumerate(cams):
            cameras[(subject, cam['id'])] = dict(
                R=cam['R'], T=(cam['T'] / 1000.).reshape(3, 1),
                c=cam['c'].reshape(2, 1), f=cam['f'].reshape(2, 1),
                k=np.zeros((3, 1)), p=np.zeros((2, 1)), w=cam['w'],
                h=cam['h'], name=f'camera{i + 1}', id=cam['id'])
    cpath = osp.join(root, 'cameras.pkl')
    with open(cpath, 'wb') as f:
        pickle.dump(cameras, f, protocol=4)
    out.update(mmpose_factor_file=fpath, mmpose_camera_file=cpath)
    return out


def _write_3dhp(out_dir, train_subjects, actions, frames, rng) -> dict:
    """P-STMO/MotionAGFormer 3DHP npz files, joints in the 3DHP order."""
    root = osp.join(out_dir, 'mpi_inf_3dhp')
    os.makedirs(root, exist_ok=True)
    to3dhp = np.argsort(np.array(H36M_TO_3DHP))  # 3DHP index -> H36M index
    names = ('0', '1', '2', '4')
    res = {n: (2048, 2048) for n in names}
    cams = make_cameras(rng, focal=1500., resolution=res, names=names)
    train = {}
    for si, subject in enumerate(train_subjects):
        motions = simulate_subject(subject, actions[:2], frames, rng)
        for qi, action in enumerate(actions[:2]):
            dic_cam = {}
            for cam in cams:
                Jc = world_to_camera(motions[action], cam)[:, to3dhp]
                dic_cam[cam['id']] = dict(
                    data_2d=project(Jc, cam['f'], cam['c']).astype(
                        np.float32),
                    data_3d=Jc.astype(np.float32))
            train[f'S{si + 1} Seq{qi + 1}'] = [dic_cam, 25]
    test = {}
    for ti, ts in enumerate(('TS1', 'TS2', 'TS5')):
        w, h = MPI3DHP_TEST_RESOLUTION[ts]
        cam = make_cameras(rng, focal=1500., resolution={'t': (w, h)},
                           names=('t', ))[0]
        J = simulate_subject(f'S{ti + 1}', actions[ti % len(actions):][:1],
                             frames, rng)
        Jc = world_to_camera(next(iter(J.values())), cam)[:, to3dhp]
        valid = np.ones(frames, dtype=np.float32)
        valid[rng.random(frames) < 0.1] = 0.  # some invalid frames, as real
        test[ts] = dict(data_2d=project(Jc, cam['f'], cam['c']).astype(
            np.float32), data_3d=Jc.astype(np.float32), valid=valid)
    tr, te = (osp.join(root, 'data_train_3dhp.npz'),
              osp.join(root, 'data_test_3dhp.npz'))
    np.savez_compressed(tr, data=train)
    np.savez_compressed(te, data=test)
    return dict(mpi3dhp_train_npz=tr, mpi3dhp_test_npz=te)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate a small SYNTHETIC H36M/3DHP-format data set')
    parser.add_argument('--out-dir', default='data/h36m_demo')
    parser.add_argument('--train-subjects', nargs='+', default=['S1', 'S5'])
    parser.add_argument('--test-subjects', nargs='+', default=['S9'])
    parser.add_argument('--actions', nargs='+', default=list(DEFAULT_ACTIONS),
                        help=f'subset of {SUPPORTED_ACTIONS}')
    parser.add_argument('--frames', type=int, default=54,
                        help='frames per (subject, action, camera) video')
    parser.add_argument('--clip-len', type=int, nargs='+', default=[27],
                        help='T of the pre-cut H36M-<T> clip folders')
    parser.add_argument('--formats', nargs='+',
                        default=['motionbert', 'clips', 'mmpose', '3dhp'])
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    t0 = time.time()
    summary = generate(args.out_dir, args.train_subjects, args.test_subjects,
                       args.actions, args.frames, args.clip_len, args.formats,
                       args.seed)
    print(f'SYNTHETIC demo data written to {args.out_dir} in '
          f'{time.time() - t0:.1f} s')
    for k, v in summary.items():
        print(f'  {k}: {v}')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
