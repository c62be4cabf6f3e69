# Copyright (c) mmext contributors. All rights reserved.
"""BVH reading and writing, and forward kinematics from the file's offsets."""
import re
from typing import List, Optional, Sequence

import numpy as np
from scipy.spatial.transform import Rotation

__all__ = ['BVH', 'read_bvh', 'write_bvh', 'resample']

_ROT = {'Xrotation': 'X', 'Yrotation': 'Y', 'Zrotation': 'Z'}
_POS = {'Xposition': 0, 'Yposition': 1, 'Zposition': 2}


class BVH:
    """A parsed BVH file (joints with channels; end sites dropped).

    Attributes:
        names (list[str]): Joint names in file order.
        parents (list[int]): Parent index, ``-1`` for the root.
        offsets (ndarray): ``(J, 3)`` offsets from the file.
        channels (list[list[str]]): Channel names per joint.
        frame_time (float): Seconds per frame.
        motion (ndarray): ``(T, C)`` channel values.
        path (str): Source file, for error messages.
    """

    def __init__(self, names, parents, offsets, channels, frame_time, motion,
                 path='<bvh>') -> None:
        self.names = list(names)
        self.parents = list(parents)
        self.offsets = np.asarray(offsets, dtype=np.float64)
        self.channels = [list(c) for c in channels]
        self.frame_time = float(frame_time)
        self.motion = np.asarray(motion, dtype=np.float64)
        self.path = path

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def forward_kinematics(self, scale: float = 1.0) -> np.ndarray:
        """World joint positions ``(T, J, 3)`` from the file's own offsets
        and each joint's rotation channels (intrinsic, in the order they
        are listed, degrees)."""
        t = self.motion.shape[0]
        j = len(self.names)
        pos = np.zeros((t, j, 3))
        rot = [None] * j
        col = 0
        for k in range(j):
            chans = self.channels[k]
            values = self.motion[:, col:col + len(chans)]
            col += len(chans)
            local_pos = np.broadcast_to(self.offsets[k], (t, 3)).copy()
            order = ''.join(_ROT[c] for c in chans if c in _ROT)
            angles = np.stack(
                [values[:, i] for i, c in enumerate(chans) if c in _ROT],
                axis=1) if order else None
            for i, c in enumerate(chans):
                if c in _POS:
                    local_pos[:, _POS[c]] = values[:, i]
            local_rot = (Rotation.from_euler(order, angles, degrees=True)
                         if order else Rotation.identity(t))
            p = self.parents[k]
            if p < 0:
                pos[:, k] = local_pos
                rot[k] = local_rot
            else:
                pos[:, k] = pos[:, p] + rot[p].apply(local_pos)
                rot[k] = rot[p] * local_rot
        return pos * scale


def read_bvh(path: str) -> BVH:
    """Parse a BVH file; errors name the file and the line."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f'BVH file {path} not found') from None
    names: List[str] = []
    parents: List[int] = []
    offsets = []
    channels = []
    stack: List[Optional[int]] = []
    i = 0
    in_end = False

    def fail(msg):
        raise ValueError(f'{path}:{i + 1}: {msg}')

    if not lines or lines[0].strip() != 'HIERARCHY':
        i = 0
        fail('not a BVH file (first line must be HIERARCHY)')
    i = 1
    while i < len(lines):
        tok = lines[i].split()
        if not tok:
            i += 1
            continue
        key = tok[0]
        if key in ('ROOT', 'JOINT'):
            if len(tok) < 2:
                fail(f'{key} without a name')
            parents.append(stack[-1] if stack else -1)
            names.append(tok[1])
            offsets.append([0., 0., 0.])
            channels.append([])
        elif key == 'End':
            in_end = True
        elif key == '{':
            stack.append(None if in_end else len(names) - 1)
        elif key == '}':
            if not stack:
                fail('unbalanced }')
            if stack.pop() is None:
                in_end = False
        elif key == 'OFFSET' and not in_end:
            offsets[-1] = [float(v) for v in tok[1:4]]
        elif key == 'CHANNELS':
            n = int(tok[1])
            chans = tok[2:2 + n]
            bad = [c for c in chans if c not in _ROT and c not in _POS]
            if bad or len(chans) != n:
                fail(f'bad CHANNELS line {lines[i].strip()!r}')
            channels[-1] = chans
        elif key == 'MOTION':
            break
        i += 1
    if stack:
        fail('unbalanced { at end of HIERARCHY')
    try:
        frames = int(lines[i + 1].split(':')[1])
        frame_time = float(lines[i + 2].split(':')[1])
    except (IndexError, ValueError):
        fail('expected "Frames: N" and "Frame Time: dt" after MOTION')
    data = [
        np.array(re.split(r'\s+', ln.strip()), dtype=np.float64)
        for ln in lines[i + 3:] if ln.strip()
    ]
    num_ch = sum(len(c) for c in channels)
    if len(data) != frames or any(d.size != num_ch for d in data):
        raise ValueError(
            f'{path}: MOTION holds {len(data)} rows (header says {frames}) '
            f'and needs {num_ch} values per row')
    motion = np.stack(data) if data else np.zeros((0, num_ch))
    return BVH(names, parents, offsets, channels, frame_time, motion, path)


def write_bvh(path: str, names: Sequence[str], parents: Sequence[int],
              offsets: np.ndarray, channels: Sequence[Sequence[str]],
              motion: np.ndarray, frame_time: float) -> None:
    """Write a BVH. Joints must be in depth-first order (the order of
    BVH's MOTION columns); ``motion`` is ``(T, sum of channels)``."""
    children = [[] for _ in names]
    for k, p in enumerate(parents):
        if p >= 0:
            children[p].append(k)
    dfs = []

    def visit(k):
        dfs.append(k)
        for c in children[k]:
            visit(c)

    for r in [k for k, p in enumerate(parents) if p < 0]:
        visit(r)
    if dfs != list(range(len(names))):
        raise ValueError(f'write_bvh({path}): joints are not in depth-first '
                         'order')
    if motion.shape[1] != sum(len(c) for c in channels):
        raise ValueError(f'write_bvh({path}): motion has {motion.shape[1]} '
                         f'columns, channels need '
                         f'{sum(len(c) for c in channels)}')
    out = ['HIERARCHY']

    def emit(k, depth):
        pad = '  ' * depth
        kind = 'ROOT' if parents[k] < 0 else 'JOINT'
        out.append(f'{pad}{kind} {names[k]}')
        out.append(f'{pad}{{')
        o = offsets[k]
        out.append(f'{pad}  OFFSET {o[0]:.6f} {o[1]:.6f} {o[2]:.6f}')
        out.append(f'{pad}  CHANNELS {len(channels[k])} ' +
                   ' '.join(channels[k]))
        for c in children[k]:
            emit(c, depth + 1)
        if not children[k]:
            out.extend([f'{pad}  End Site', f'{pad}  {{',
                        f'{pad}    OFFSET 0.000000 0.000000 0.000000',
                        f'{pad}  }}'])
        out.append(f'{pad}}}')

    for root in [k for k, p in enumerate(parents) if p < 0]:
        emit(root, 0)
    out += [
        'MOTION', f'Frames: {len(motion)}', f'Frame Time: {frame_time:.8f}'
    ]
    out += [' '.join(f'{v:.6f}' for v in row) for row in motion]
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')


def resample(x: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Linear resampling along axis 0 from ``src_fps`` to ``dst_fps``."""
    if src_fps == dst_fps:
        return x
    n = x.shape[0]
    duration = (n - 1) / src_fps
    m = int(np.floor(duration * dst_fps + 1e-9)) + 1
    t_dst = np.arange(m) / dst_fps
    pos = t_dst * src_fps
    lo = np.clip(np.floor(pos).astype(int), 0, n - 1)
    hi = np.clip(lo + 1, 0, n - 1)
    w = (pos - lo).reshape((-1, ) + (1, ) * (x.ndim - 1))
    return x[lo] * (1 - w) + x[hi] * w
