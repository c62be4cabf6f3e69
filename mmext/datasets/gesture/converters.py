# Copyright (c) mmext contributors. All rights reserved.
"""Converters from BEAT (BVH + wav) and BEAT2 (SMPL-X npz + wav) to
mmext's clip format."""
import csv
import glob
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional

import numpy as np
from scipy.spatial.transform import Rotation

from mmext.fileio import load_npz
from mmext.structures.skeleton import (BEAT_JOINTS, SMPLX_JOINTS,
                                       SMPLX_PARENTS, Skeleton, beat_parents)
from .bvh import read_bvh, resample
from .clip_format import SAMPLE_RATE, read_wav, save_clip, write_splits

__all__ = [
    'BEAT_JOINTS', 'SMPLX_JOINTS', 'SMPLX_PARENTS', 'beat_parents',
    'read_split_csv', 'convert_beat',
    'smplx_rest_joints', 'smplx_forward_kinematics', 'convert_beat2',
    'add_hand_mean', 'smplx_inverse_kinematics', 'write_beat2_npz',
    'beat2_poses'
]

_SPLITS = ('train', 'val', 'test')


def read_split_csv(path: str) -> Dict[str, str]:
    """BEAT2's ``train_test_split.csv`` (columns ``id``, ``type``):
    clip id -> split; ``additional`` rows go to ``train``."""
    try:
        with open(path, newline='') as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise FileNotFoundError(f'split file {path} not found') from None
    if not rows or not {'id', 'type'} <= set(rows[0]):
        raise ValueError(f'{path}: expected columns "id,type" (BEAT2 '
                         'train_test_split.csv)')
    out = {}
    for r in rows:
        kind = r['type'].strip()
        kind = 'train' if kind == 'additional' else kind
        if kind not in _SPLITS:
            raise ValueError(f'{path}: clip {r["id"]}: unknown type '
                             f'{r["type"]!r} (expected {_SPLITS} or '
                             'additional)')
        out[r['id'].strip()] = kind
    return out


def _speaker(stem: str) -> int:
    head = stem.split('_')[0]
    if not head.isdigit():
        raise ValueError(f'clip {stem!r}: BEAT names start with the speaker '
                         'id, e.g. 2_scott_0_1_1')
    return int(head)


def _audio_for(wav: str) -> np.ndarray:
    audio, sr = read_wav(wav)
    if sr != SAMPLE_RATE:
        raise ValueError(f'{wav}: sample rate {sr} Hz, expected '
                         f'{SAMPLE_RATE} Hz (BEAT/BEAT2 ship 16 kHz audio; '
                         'resample with e.g. `ffmpeg -ar 16000`)')
    return audio


def _assign(ids: List[str], split_csv: Optional[str]):
    if split_csv is None:
        return {'train': list(ids)}
    table = read_split_csv(split_csv)
    splits = {k: [] for k in _SPLITS}
    for i in ids:
        if i in table:
            splits[table[i]].append(i)
    return splits


def _joint_order(path: str, bvh, expected):
    """Names, parents and the column permutation that put a BVH's joints
    in ``expected``'s order. A file with the expected joints in another
    order (its hierarchy is read from the file, and forward kinematics
    follow it in any order) is reordered; a different joint set is an
    error listing the differences."""
    if expected is None or tuple(bvh.names) == tuple(expected):
        return list(bvh.names), list(bvh.parents), list(range(len(
            bvh.names)))
    missing = [n for n in expected if n not in bvh.names]
    extra = [n for n in bvh.names if n not in expected]
    if missing or extra or len(bvh.names) != len(expected):
        raise ValueError(
            f'{path}: unexpected joint set ({len(bvh.names)} joints; '
            f'expected BEAT\'s {len(expected)}). Missing: {missing[:10]}; '
            f'unexpected: {extra[:10]}')
    perm = [bvh.names.index(n) for n in expected]
    parents = []
    for n in expected:
        p = bvh.parents[bvh.names.index(n)]
        parents.append(-1 if p < 0 else list(expected).index(bvh.names[p]))
    bad = [(n, expected[p]) for n, p in zip(expected, parents)
           if p >= list(expected).index(n)]
    if bad:
        raise ValueError(f'{path}: BEAT\'s joints in another hierarchy: '
                         f'parents after their children in BEAT\'s order '
                         f'(joint, parent): {bad[:5]}')
    return list(expected), parents, perm


def _check_duration(wav: str, audio: np.ndarray, motion_path: str,
                    frames: int, fps: float) -> None:
    """The audio must cover the motion (to one frame); the error names
    the source wav and the motion file."""
    need = (frames - 1) / fps
    have = audio.shape[0] / SAMPLE_RATE
    if have + 1.0 / fps < need:
        raise ValueError(f'{wav}: audio lasts {have:.3f} s but the motion '
                         f'in {motion_path} lasts {need:.3f} s ({frames} '
                         f'frames at {fps:g} fps)')


def convert_beat(src: str, out: str, fps: float = 15.,
                 split_csv: Optional[str] = None, scale: float = 0.01,
                 expected_joints=BEAT_JOINTS) -> Dict[str, List[str]]:
    """Convert BEAT (``<id>.bvh`` + ``<id>.wav`` in ``src``) to clips.

    Joint positions come from forward kinematics with each BVH's own
    offsets and rotations, in metres (``scale`` 0.01: BEAT's BVH are in
    cm), resampled from the BVH frame rate (120 fps) to ``fps``.

    Args:
        src (str): Folder with BEAT's bvh and wav files (searched
            recursively).
        out (str): Output data root.
        fps (float): Output frame rate. Defaults to 15.
        split_csv (str, optional): ``train_test_split.csv`` (``id,type``);
            without it every clip goes to ``train``.
        scale (float): Length unit to metres. Defaults to 0.01.
        expected_joints (Sequence[str]): Joint set every BVH must have.

    Returns:
        dict: split -> clip ids written.
    """
    bvhs = sorted(glob.glob(osp.join(src, '**', '*.bvh'), recursive=True))
    if not bvhs:
        raise FileNotFoundError(f'no .bvh files under {src}')
    skeleton = None
    ids = []
    for path in bvhs:
        stem = osp.splitext(osp.basename(path))[0]
        wav = osp.splitext(path)[0] + '.wav'
        if not osp.isfile(wav):
            raise FileNotFoundError(f'{path}: no matching audio {wav}')
        bvh = read_bvh(path)
        names, parents, perm = _joint_order(path, bvh, expected_joints)
        if skeleton is None:
            skeleton = Skeleton(names, parents)
            if expected_joints == BEAT_JOINTS and parents != \
                    beat_parents():
                warnings.warn(
                    f'{path}: the BVH hierarchy differs from the \'beat\' '
                    'skeleton preset; point the configs\' `skeleton` at '
                    f'{osp.join(out, "skeleton.json")}')
        elif parents != skeleton.parents:
            raise ValueError(f'{path}: hierarchy differs from the first BVH')
        joints = resample(bvh.forward_kinematics(scale)[:, perm], bvh.fps,
                          fps)
        audio = _audio_for(wav)
        _check_duration(wav, audio, path, joints.shape[0], fps)
        save_clip(osp.join(out, 'clips', f'{stem}.npz'), joints, fps, audio,
                  SAMPLE_RATE, _speaker(stem))
        ids.append(stem)
    skeleton.save(osp.join(out, 'skeleton.json'))
    splits = _assign(ids, split_csv)
    write_splits(out, splits)
    return splits


# ----------------------------------------------------------------- SMPL-X
_SMPLX_KEYS = ('v_template', 'shapedirs', 'J_regressor', 'kintree_table')


def _load_smplx_model(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'SMPL-X model file {path} not found. Download SMPLX_NEUTRAL_2020'
            '.npz from https://smpl-x.is.tue.mpg.de (registration required) '
            'and pass its path; mmext never downloads it')
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in _SMPLX_KEYS if k not in z.files]
        if missing:
            raise KeyError(f'{path}: not an SMPL-X model npz, missing keys '
                           f'{missing}')
        model = {k: z[k] for k in _SMPLX_KEYS}
        for k in _HAND_MEAN_KEYS:
            if k in z.files:
                model[k] = np.asarray(z[k], np.float64).reshape(-1)
        return model


#: The model file's hand means (axis-angle, 15 joints x 3 per hand) that
#: SMPL-X adds to the hand poses when built with ``flat_hand_mean=False``
#: (as BEAT2 / EMAGE build it).
_HAND_MEAN_KEYS = ('hands_meanl', 'hands_meanr')

#: Columns of the left and right hand poses in a (T, 165) SMPL-X pose:
#: global orient, 21 body joints, jaw, 2 eyes, then 15 + 15 hand joints.
_LEFT_HAND = slice(25 * 3, 40 * 3)
_RIGHT_HAND = slice(40 * 3, 55 * 3)


def add_hand_mean(poses: np.ndarray, model: dict,
                  source: str = 'the SMPL-X model') -> np.ndarray:
    """``poses`` ``(T, 165)`` with the model file's ``hands_meanl`` /
    ``hands_meanr`` added to the left / right hand poses: SMPL-X's
    ``flat_hand_mean=False``, with which BEAT2's poses were fitted and
    EMAGE evaluates them."""
    missing = [k for k in _HAND_MEAN_KEYS if k not in model]
    if missing:
        raise KeyError(f'{source}: no {missing} in the model file; BEAT2 '
                       'poses are relative to the hand mean '
                       '(flat_hand_mean=False); pass flat_hand_mean=True '
                       '(--flat-hand-mean) only for poses fitted without it')
    for k, cols in zip(_HAND_MEAN_KEYS, (_LEFT_HAND, _RIGHT_HAND)):
        if model[k].shape != (45, ):
            raise ValueError(f'{source}: {k} has {model[k].size} values, '
                             'expected 45 (15 joints x 3)')
    out = np.array(poses, np.float64, copy=True)
    out[:, _LEFT_HAND] += model['hands_meanl']
    out[:, _RIGHT_HAND] += model['hands_meanr']
    return out


def smplx_rest_joints(model: dict, betas: np.ndarray) -> np.ndarray:
    """Shaped rest-pose joints ``(55, 3)``: ``J_regressor @ (v_template +
    shapedirs[..., :n] @ betas[:n])``."""
    n = min(len(betas), model['shapedirs'].shape[-1])
    verts = model['v_template'] + model['shapedirs'][..., :n] @ betas[:n]
    return model['J_regressor'] @ verts


def smplx_parents(model: dict) -> List[int]:
    parents = model['kintree_table'][0].astype(np.int64)
    parents[parents > len(parents)] = -1
    parents[0] = -1
    return parents.tolist()


def smplx_forward_kinematics(rest: np.ndarray, parents: List[int],
                             poses: np.ndarray,
                             trans: np.ndarray) -> np.ndarray:
    """Joint-only SMPL-X kinematics: ``(T, 55, 3)`` world positions from
    axis-angle ``poses`` ``(T, 55 * 3)`` and root translation ``trans``."""
    t = poses.shape[0]
    j = rest.shape[0]
    rots = Rotation.from_rotvec(poses.reshape(t * j, 3)).as_matrix()
    rots = rots.reshape(t, j, 3, 3)
    world_r = np.zeros_like(rots)
    pos = np.zeros((t, j, 3))
    for k in range(j):
        p = parents[k]
        if p < 0:
            world_r[:, k] = rots[:, k]
            pos[:, k] = rest[k] + trans
        else:
            world_r[:, k] = world_r[:, p] @ rots[:, k]
            pos[:, k] = pos[:, p] + np.einsum('tij,j->ti', world_r[:, p],
                                              rest[k] - rest[p])
    return pos


def smplx_inverse_kinematics(joints: np.ndarray, rest: np.ndarray,
                             parents: List[int]):
    """Axis-angle SMPL-X poses from joint positions: the inverse of
    :func:`smplx_forward_kinematics`, validated by it.

    Every joint's rotation takes its children's rest bones onto their
    bones in ``joints`` ``(T, 55, 3)`` (:func:`~mmext.datasets.gesture.
    bvh.solve_rotations`); the root's translation is ``joints[:, 0] -
    rest[0]``. Joints without children (jaw, eyes, finger tips) and the
    twist about single-child bones are not observable from positions and
    are set to 0. For positions from an SMPL-X with these ``rest`` joints
    (same shape), forward kinematics of the result reproduce them exactly;
    otherwise to within the bone-length differences.

    Returns:
        tuple: ``poses`` ``(T, 165)`` and ``trans`` ``(T, 3)``.
    """
    from .bvh import solve_rotations
    joints = np.asarray(joints, np.float64)
    t, j, _ = joints.shape
    vec = np.zeros_like(joints)
    offsets = np.zeros((j, 3))
    for k, p in enumerate(parents):
        if p >= 0:
            vec[:, k] = joints[:, k] - joints[:, p]
            offsets[k] = rest[k] - rest[p]
    _, local = solve_rotations(vec, offsets, parents)
    poses = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_rotvec()
    return poses.reshape(t, j * 3), joints[:, 0] - rest[0]


def _nearest_frames(x: np.ndarray, src_fps: float, frames: int,
                    fps: float) -> np.ndarray:
    """The rows of ``x`` (sampled at ``src_fps``) nearest in time to
    ``frames`` frames at ``fps``: rotations are not averaged (an
    axis-angle mean is not a rotation between the two)."""
    idx = np.rint(np.arange(frames) / fps * src_fps).astype(int)
    return x[np.clip(idx, 0, len(x) - 1)]


def beat2_poses(joints: np.ndarray, smplx_model: str,
                betas: Optional[np.ndarray] = None,
                flat_hand_mean: bool = False, where: str = 'beat2_poses'):
    """SMPL-X joint positions ``(T, 55, 3)`` to the ``poses`` ``(T, 165)``
    and ``trans`` a BEAT2 npz stores (:func:`smplx_inverse_kinematics` on
    the model file's rest joints for ``betas``, zeros by default; with
    ``flat_hand_mean=False``, BEAT2's convention, the hand means are
    subtracted).

    Returns:
        tuple: ``poses``, ``trans`` and the largest distance between the
        joints the poses give and ``joints``.
    """
    model = _load_smplx_model(smplx_model)
    parents = smplx_parents(model)
    joints = np.asarray(joints, np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (len(parents), 3):
        raise ValueError(f'{where}: joints must be (T, {len(parents)}, 3) '
                         f'SMPL-X joints, got {joints.shape}')
    betas = np.zeros(300) if betas is None else np.asarray(betas,
                                                           np.float64)
    rest = smplx_rest_joints(model, betas)
    poses, trans = smplx_inverse_kinematics(joints, rest, parents)
    err = float(np.abs(smplx_forward_kinematics(rest, parents, poses, trans)
                       - joints).max())
    if not flat_hand_mean:
        poses = add_hand_mean(poses, {k: -v for k, v in model.items()
                                      if k in _HAND_MEAN_KEYS}, smplx_model)
    return poses, trans, err


def write_beat2_npz(path: str, joints: np.ndarray, smplx_model: str,
                    fps: float = 30., betas: Optional[np.ndarray] = None,
                    flat_hand_mean: bool = False) -> float:
    """Write SMPL-X joint positions ``(T, 55, 3)`` as a BEAT2-format npz
    (``poses`` ``(T, 165)`` axis-angle, ``trans``, ``betas`` (300),
    ``expressions`` (zeros, ``(T, 100)``), ``mocap_frame_rate``,
    ``gender``, ``model``), by :func:`smplx_inverse_kinematics` on the
    model file's rest joints for ``betas`` (zeros by default). With
    ``flat_hand_mean=False`` (BEAT2's convention) the hand means are
    subtracted, so that :func:`convert_beat2` reads the file back to the
    same joints.

    Returns:
        float: Largest distance between the joints the file's poses give
        and ``joints`` (0 up to rounding for SMPL-X-shaped input).
    """
    betas = np.zeros(300) if betas is None else np.asarray(betas,
                                                           np.float64)
    poses, trans, err = beat2_poses(joints, smplx_model, betas,
                                    flat_hand_mean,
                                    where=f'write_beat2_npz({path})')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    np.savez(path, poses=poses.astype(np.float32),
             trans=trans.astype(np.float32),
             betas=np.pad(betas, (0, max(0, 300 - len(betas)))).astype(
                 np.float32),
             expressions=np.zeros((len(poses), 100), np.float32),
             mocap_frame_rate=np.array(fps), gender=np.array('neutral'),
             model=np.array('smplx2020'))
    return err


def convert_beat2(src: str, out: str, smplx_model: str, fps: float = 30.,
                  split_csv: Optional[str] = None,
                  flat_hand_mean: bool = False,
                  speakers: Optional[List[int]] = None
                  ) -> Dict[str, List[str]]:
    """Convert BEAT2 (``smplxflame_30/<id>.npz`` + ``wave16k/<id>.wav``).

    Args:
        src (str): A BEAT2 speaker folder (or any folder) holding the npz
            files (keys ``poses``, ``trans``, ``betas``; optional
            ``mocap_frame_rate``) and wavs of the same stem, anywhere
            below it.
        out (str): Output data root.
        smplx_model (str): The user's SMPL-X model npz
            (``SMPLX_NEUTRAL_2020.npz``).
        fps (float): Output frame rate. Defaults to 30 (BEAT2's rate).
        split_csv (str, optional): BEAT2's ``train_test_split.csv``.
        flat_hand_mean (bool): False (BEAT2's and EMAGE's SMPL-X setting)
            adds the model file's ``hands_meanl`` / ``hands_meanr`` to the
            hand poses before the kinematics. Defaults to False.
        speakers (list[int], optional): Keep only these speaker ids (the
            number that starts a BEAT file name). EMAGE's BEAT2 benchmark
            uses speaker 2 ("scott") only
            (``datasets/data_json/beat2_s20_l64_speaker2.json`` in
            PantoMatrix/PantoMatrix): ``speakers=[2]``.
    """
    model = _load_smplx_model(smplx_model)
    if not flat_hand_mean:
        add_hand_mean(np.zeros((1, 165)), model, smplx_model)  # check
    parents = smplx_parents(model)
    if len(parents) != len(SMPLX_JOINTS):
        raise ValueError(f'{smplx_model}: kintree_table has {len(parents)} '
                         f'joints, SMPL-X has {len(SMPLX_JOINTS)}')
    npzs = sorted(glob.glob(osp.join(src, '**', '*.npz'), recursive=True))
    if speakers is not None:
        keep = {int(k) for k in speakers}
        npzs = [n for n in npzs if _speaker(osp.splitext(
            osp.basename(n))[0]) in keep]
    if not npzs:
        raise FileNotFoundError(
            f'no .npz files under {src}' +
            (f' for speakers {sorted(speakers)}' if speakers else ''))
    wavs = {
        osp.splitext(osp.basename(w))[0]: w
        for w in glob.glob(osp.join(src, '**', '*.wav'), recursive=True)
    }
    ids = []
    for path in npzs:
        stem = osp.splitext(osp.basename(path))[0]
        with load_npz(path, 'BEAT2 npz', allow_object=True) as z:
            missing = [k for k in ('poses', 'trans', 'betas')
                       if k not in z.files]
            if missing:
                raise KeyError(f'{path}: missing keys {missing} (BEAT2 '
                               'SMPL-X npz has poses, trans, betas)')
            poses, trans, betas = z['poses'], z['trans'], z['betas']
            src_fps = float(z['mocap_frame_rate']) if (
                'mocap_frame_rate' in z.files) else 30.
        if poses.ndim != 2 or poses.shape[1] != 3 * len(SMPLX_JOINTS):
            raise ValueError(f'{path}: poses must be (T, 165), got '
                             f'{poses.shape}')
        if stem not in wavs:
            raise FileNotFoundError(f'{path}: no audio {stem}.wav under '
                                    f'{src}')
        _check_duration(wavs[stem], _audio_for(wavs[stem]), path,
                        poses.shape[0], src_fps)
        rest = smplx_rest_joints(model, np.asarray(betas, np.float64))
        captured = poses  # as BEAT2 stores them (no hand mean): EMAGE's FGD
        if not flat_hand_mean:
            poses = add_hand_mean(poses, model, smplx_model)
        joints = smplx_forward_kinematics(rest, parents, poses, trans)
        joints = resample(joints, src_fps, fps)
        save_clip(osp.join(out, 'clips', f'{stem}.npz'), joints, fps,
                  _audio_for(wavs[stem]), SAMPLE_RATE, _speaker(stem),
                  smplx_poses=_nearest_frames(captured, src_fps, len(joints),
                                              fps))
        ids.append(stem)
    Skeleton(SMPLX_JOINTS, parents).save(osp.join(out, 'skeleton.json'))
    splits = _assign(ids, split_csv)
    write_splits(out, splits)
    os.makedirs(out, exist_ok=True)
    return splits
