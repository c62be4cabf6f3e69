# Copyright (c) mmext contributors. All rights reserved.
"""Skeleton of mmext's gesture clip format, and the BEAT / SMPL-X joint
tables its presets use."""
import json
import math
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'Skeleton', 'is_hand_joint', 'default_angle_limits', 'BEAT_JOINTS',
    'SMPLX_JOINTS', 'SMPLX_PARENTS', 'beat_parents'
]

#: The 75 joints of BEAT's BVH files (file order), as listed by BEAT's
#: own loader (PantoMatrix, ``joints_list['beat_joints']``).
BEAT_JOINTS = (
    'Hips', 'Spine', 'Spine1', 'Spine2', 'Spine3', 'Neck', 'Neck1', 'Head',
    'HeadEnd', 'RShoulder', 'RArm', 'RArm1', 'RHand', 'RHandM1', 'RHandM2',
    'RHandM3', 'RHandM4', 'RHandR', 'RHandR1', 'RHandR2', 'RHandR3',
    'RHandR4', 'RHandP', 'RHandP1', 'RHandP2', 'RHandP3', 'RHandP4',
    'RHandI', 'RHandI1', 'RHandI2', 'RHandI3', 'RHandI4', 'RHandT1',
    'RHandT2', 'RHandT3', 'RHandT4', 'LShoulder', 'LArm', 'LArm1', 'LHand',
    'LHandM1', 'LHandM2', 'LHandM3', 'LHandM4', 'LHandR', 'LHandR1',
    'LHandR2', 'LHandR3', 'LHandR4', 'LHandP', 'LHandP1', 'LHandP2',
    'LHandP3', 'LHandP4', 'LHandI', 'LHandI1', 'LHandI2', 'LHandI3',
    'LHandI4', 'LHandT1', 'LHandT2', 'LHandT3', 'LHandT4', 'RUpLeg', 'RLeg',
    'RFoot', 'RFootF', 'RToeBase', 'RToeBaseEnd', 'LUpLeg', 'LLeg', 'LFoot',
    'LFootF', 'LToeBase', 'LToeBaseEnd')

#: SMPL-X's 55 kinematic joints (body 22, jaw, eyes, 2 x 15 finger joints).
SMPLX_JOINTS = (
    'pelvis', 'left_hip', 'right_hip', 'spine1', 'left_knee', 'right_knee',
    'spine2', 'left_ankle', 'right_ankle', 'spine3', 'left_foot',
    'right_foot', 'neck', 'left_collar', 'right_collar', 'head',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'jaw', 'left_eye_smplhf',
    'right_eye_smplhf') + tuple(
        f'{side}_{finger}{i}' for side in ('left', 'right')
        for finger in ('index', 'middle', 'pinky', 'ring', 'thumb')
        for i in (1, 2, 3))

#: SMPL-X's kinematic tree (``kintree_table[0]``): body 22, jaw and eyes
#: on the head, then left- and right-hand fingers (index, middle, pinky,
#: ring, thumb; 3 joints each) on the wrists.
SMPLX_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16,
                 17, 18, 19, 15, 15, 15) + tuple(
                     p for wrist in (20, 21) for f in range(5)
                     for p in (wrist, 25 + (wrist - 20) * 15 + 3 * f,
                               26 + (wrist - 20) * 15 + 3 * f))


def _beat_parent_name(name: str) -> str:
    fixed = {
        'Spine': 'Hips', 'Spine1': 'Spine', 'Spine2': 'Spine1',
        'Spine3': 'Spine2', 'Neck': 'Spine3', 'Neck1': 'Neck',
        'Head': 'Neck1', 'HeadEnd': 'Head'
    }
    if name in fixed:
        return fixed[name]
    side = name[0]
    rest = name[1:]
    chain = {
        'Shoulder': 'Spine3', 'Arm': 'Shoulder', 'Arm1': 'Arm',
        'Hand': 'Arm1', 'UpLeg': 'Hips', 'Leg': 'UpLeg', 'Foot': 'Leg',
        'FootF': 'Foot', 'ToeBase': 'FootF', 'ToeBaseEnd': 'ToeBase'
    }
    if rest in chain:
        p = chain[rest]
        return p if p in ('Spine3', 'Hips') else side + p
    # fingers: RHandM1..4, RHandR, RHandR1..4, RHandT1..4
    finger, digit = rest[:5], rest[5:]
    if digit == '' or (digit == '1' and finger[-1] in 'MT'):
        return side + 'Hand'
    if digit == '1':
        return side + finger
    return side + finger + str(int(digit) - 1)


def beat_parents():
    """Parents of :data:`BEAT_JOINTS` derived from the joint names (spine
    chain, shoulder-arm-forearm-hand, finger chains on the hand, legs on
    the hips). The converter keeps each BVH's own hierarchy; this is the
    ``'beat'`` skeleton preset used by configs before data exists."""
    names = list(BEAT_JOINTS)
    return [-1] + [names.index(_beat_parent_name(n)) for n in names[1:]]


_HAND = re.compile(r'^(L|R|Left|Right)(Hand)?(Thumb|Index|Middle|Ring|Pinky|'
                   r'HandT|HandI|HandM|HandR|HandP)|_(thumb|index|middle|'
                   r'ring|pinky)\d', re.IGNORECASE)


def is_hand_joint(name: str) -> bool:
    """Finger joints (BEAT ``RHandI2``, SMPL-X ``left_index2`` ...); the
    wrists themselves belong to the body."""
    return bool(_HAND.search(name)) and not re.fullmatch(
        r'(L|R|Left|Right)_?(Hand|wrist)', name, re.IGNORECASE)


def default_angle_limits(names: Sequence[str],
                         hand_max: float = 110.,
                         body_max: float = 170.) -> Dict[str, List[float]]:
    """Bend-angle limits in degrees: ``[0, hand_max]`` for finger joints,
    ``[0, body_max]`` for the rest (see :meth:`Skeleton.bend_triplets`)."""
    return {
        n: [0., hand_max if is_hand_joint(n) else body_max]
        for n in names
    }


class Skeleton:
    """Joint names, kinematic parents, body/hand groups and angle limits.

    The *bend angle* of joint ``j`` (with parent ``p`` and grandparent
    ``g``) is the angle between the bones ``g -> p`` and ``p -> j``
    (0 = straight); ``angle_limits[name] = [min, max]`` in degrees bounds
    it. Stored as ``skeleton.json`` next to the clips.

    Args:
        names (Sequence[str]): Joint names, ``J`` of them.
        parents (Sequence[int]): Parent index per joint, ``-1`` for roots;
            a parent must come before its child.
        hand_joints (Sequence[str], optional): Names of the hand group.
            Defaults to the names :func:`is_hand_joint` accepts.
        angle_limits (dict, optional): ``name -> [min_deg, max_deg]``.
            Defaults to :func:`default_angle_limits`.
    """

    def __init__(self,
                 names: Sequence[str],
                 parents: Sequence[int],
                 hand_joints: Optional[Sequence[str]] = None,
                 angle_limits: Optional[Dict[str, Sequence[float]]] = None
                 ) -> None:
        names = list(names)
        parents = [int(p) for p in parents]
        if len(names) != len(parents):
            raise ValueError(f'skeleton: {len(names)} names but '
                             f'{len(parents)} parents')
        if len(set(names)) != len(names):
            raise ValueError('skeleton: duplicate joint names')
        for j, p in enumerate(parents):
            if not -1 <= p < j:
                raise ValueError(
                    f'skeleton: parent of joint {j} ({names[j]}) is {p}; '
                    'parents must precede their children (-1 for a root)')
        if hand_joints is None:
            hand_joints = [n for n in names if is_hand_joint(n)]
        unknown = [n for n in hand_joints if n not in names]
        if unknown:
            raise ValueError(f'skeleton: hand joints {unknown} not in names')
        if angle_limits is None:
            angle_limits = default_angle_limits(names)
        unknown = [n for n in angle_limits if n not in names]
        if unknown:
            raise ValueError(f'skeleton: angle_limits for unknown joints '
                             f'{unknown}')
        self.names = names
        self.parents = parents
        self.hand_joints = list(hand_joints)
        self.angle_limits = {
            k: [float(v[0]), float(v[1])]
            for k, v in angle_limits.items()
        }

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def hand_indices(self) -> List[int]:
        hands = set(self.hand_joints)
        return [i for i, n in enumerate(self.names) if n in hands]

    @property
    def body_indices(self) -> List[int]:
        hands = set(self.hand_joints)
        return [i for i, n in enumerate(self.names) if n not in hands]

    @property
    def bones(self) -> List[Tuple[int, int]]:
        """``(child, parent)`` pairs."""
        return [(j, p) for j, p in enumerate(self.parents) if p >= 0]

    def bend_triplets(self) -> List[Tuple[int, int, int, float, float]]:
        """``(grandparent, parent, joint, min_rad, max_rad)`` for every
        joint with a limit and two ancestors."""
        out = []
        for j, name in enumerate(self.names):
            p = self.parents[j]
            if name not in self.angle_limits or p < 0 or self.parents[p] < 0:
                continue
            lo, hi = self.angle_limits[name]
            out.append((self.parents[p], p, j, math.radians(lo),
                        math.radians(hi)))
        return out

    def subset(self, keep: Sequence[str]) -> 'Skeleton':
        """The skeleton restricted to ``keep`` (reparenting to the nearest
        kept ancestor)."""
        keep_set = set(keep)
        missing = [n for n in keep if n not in self.names]
        if missing:
            raise ValueError(f'skeleton.subset: unknown joints {missing}')
        idx = [i for i, n in enumerate(self.names) if n in keep_set]
        new_index = {old: new for new, old in enumerate(idx)}
        parents = []
        for i in idx:
            p = self.parents[i]
            while p >= 0 and p not in new_index:
                p = self.parents[p]
            parents.append(new_index[p] if p >= 0 else -1)
        names = [self.names[i] for i in idx]
        return Skeleton(
            names, parents, [n for n in self.hand_joints if n in keep_set],
            {k: v
             for k, v in self.angle_limits.items() if k in keep_set})

    def to_dict(self) -> dict:
        return dict(
            names=self.names,
            parents=self.parents,
            hand_joints=self.hand_joints,
            angle_limits=self.angle_limits)

    @classmethod
    def from_dict(cls, d: dict) -> 'Skeleton':
        missing = [k for k in ('names', 'parents') if k not in d]
        if missing:
            raise KeyError(f'skeleton definition lacks keys {missing}')
        return cls(d['names'], d['parents'], d.get('hand_joints'),
                   d.get('angle_limits'))

    @classmethod
    def preset(cls, name: str) -> 'Skeleton':
        """``'beat'`` (BEAT's 75 BVH joints) or ``'smplx'`` (SMPL-X's 55
        joints), with default angle limits."""
        if name == 'beat':
            return cls(BEAT_JOINTS, beat_parents())
        if name == 'smplx':
            return cls(SMPLX_JOINTS, SMPLX_PARENTS)
        raise ValueError(f'unknown skeleton preset {name!r}; choose '
                         "'beat', 'smplx' or a skeleton.json path")

    @classmethod
    def load(cls, skeleton: Union[str, dict, 'Skeleton']) -> 'Skeleton':
        """From a preset name, a ``skeleton.json`` path, a dict or a
        Skeleton."""
        if isinstance(skeleton, Skeleton):
            return skeleton
        if isinstance(skeleton, dict):
            return cls.from_dict(skeleton)
        if skeleton in ('beat', 'smplx'):
            return cls.preset(skeleton)
        try:
            with open(skeleton) as f:
                d = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'skeleton file {skeleton} not found (a gesture data root '
                'holds skeleton.json; see docs/gesture/data.md)') from None
        try:
            return cls.from_dict(d)
        except (KeyError, ValueError) as e:
            raise ValueError(f'{skeleton}: {e}') from None

    def save(self, path: str) -> None:
        with open(path, 'w') as f:
            json.dump(self.to_dict(), f, indent=1)

    def bone_lengths(self, joints: np.ndarray) -> np.ndarray:
        """``(..., J, 3) -> (..., num_bones)`` bone lengths."""
        c = [j for j, _ in self.bones]
        p = [p for _, p in self.bones]
        return np.linalg.norm(joints[..., c, :] - joints[..., p, :], axis=-1)
