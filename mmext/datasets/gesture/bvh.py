# Copyright (c) mmext contributors. All rights reserved.
"""BVH reading and writing, and forward kinematics from the file's offsets."""
import re
from typing import List, Optional, Sequence

import numpy as np
from scipy.spatial.transform import Rotation

__all__ = [
    'BVH', 'read_bvh', 'write_bvh', 'resample', 'positions_to_bvh',
    'solve_rotations', 'depth_first_order'
]

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
    children = [[c for c, p in enumerate(parents) if p == k]
                for k in range(len(names))]
    if depth_first_order(parents) != list(range(len(names))):
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


def depth_first_order(parents: Sequence[int]) -> List[int]:
    """Joint indices in depth-first order (BVH's MOTION column order),
    children in index order."""
    kids = [[c for c, p in enumerate(parents) if p == k]
            for k in range(len(parents))]
    out: List[int] = []
    stack = [k for k, p in enumerate(parents) if p < 0][::-1]
    while stack:
        k = stack.pop()
        out.append(k)
        stack.extend(kids[k][::-1])
    return out


def _align(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(T, 3, 3)`` taking rest vectors ``a`` ``(K, 3)``
    onto the vectors ``b`` ``(T, K, 3)``: the least-squares rotation
    (Kabsch) for K >= 2 non-parallel vectors; the smallest rotation for
    one direction (its twist about the bone is not observable)."""
    t = b.shape[0]
    if a.shape[0] >= 2 and np.linalg.matrix_rank(a, tol=1e-9) >= 2:
        h = np.einsum('ki,tkj->tij', a, b)  # sum_k a_k b_k^T
        u, _, vt = np.linalg.svd(h)
        d = np.sign(np.linalg.det(np.einsum('tij,tjk->tik', u, vt)))
        fix = np.tile(np.eye(3), (t, 1, 1))
        fix[:, 2, 2] = d
        return np.einsum('tji,tjk,tkl->til', vt, fix, u.transpose(0, 2, 1))
    u = a.sum(0)
    u = u / np.linalg.norm(u)
    v = b.sum(1)
    v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    axis = np.cross(u, v)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.clip(v @ u, -1, 1)
    angle = np.arctan2(sin, cos)
    axis = np.where(sin[:, None] > 1e-12, axis / np.maximum(
        sin[:, None], 1e-12), _perpendicular(u)[None])
    return Rotation.from_rotvec(axis * angle[:, None]).as_matrix()


def _perpendicular(u: np.ndarray) -> np.ndarray:
    e = np.eye(3)[int(np.argmin(np.abs(u)))]
    w = np.cross(u, e)
    return w / np.linalg.norm(w)


def solve_rotations(vec: np.ndarray, offsets: np.ndarray,
                    parents: Sequence[int]):
    """World and local joint rotations ``(T, J, 3, 3)`` that take each
    joint's rest ``offsets`` ``(J, 3)`` (from its parent) onto its bone
    vectors ``vec`` ``(T, J, 3)`` (``joint - parent``; ignored for roots).

    A joint's world rotation aligns its children's rest offsets with their
    current bone vectors (Kabsch over the children; the smallest rotation
    for one child, the twist about it being unobservable and left at 0); a
    joint without children (or with zero-length ones only) keeps its
    parent's. ``local = world(parent)^T world(joint)``. Parents must
    precede their children.
    """
    t, j, _ = vec.shape
    length = np.linalg.norm(offsets, axis=-1)
    children = [[c for c, p in enumerate(parents) if p == k]
                for k in range(j)]
    world = np.zeros((t, j, 3, 3))
    local = np.zeros((t, j, 3, 3))
    for k in range(j):
        use = [c for c in children[k] if length[c] > 1e-9]
        parent_w = world[:, parents[k]] if parents[k] >= 0 else np.tile(
            np.eye(3), (t, 1, 1))
        world[:, k] = _align(offsets[use], vec[:, use]) if use else parent_w
        local[:, k] = np.einsum('tji,tjk->tik', parent_w, world[:, k])
    return world, local


def positions_to_bvh(joints: np.ndarray, names: Sequence[str],
                     parents: Sequence[int], positions: str = 'root',
                     order: str = 'ZXY') -> dict:
    """Solve BVH joint rotations from joint positions ``(T, J, 3)``.

    Rest offsets: each bone's direction in the first frame, at its mean
    length over the frames. Per frame, every joint's world rotation takes
    its children's rest offsets onto their current bone vectors (Kabsch
    over the children; the smallest rotation for one child, leaving the
    unobservable twist at zero; a leaf keeps its parent's rotation); local
    rotations are written as intrinsic Euler angles in ``order`` (BEAT's
    files use Z, X, Y). ``positions='root'`` gives the root position
    channels only (what retargeting reads): re-reading reproduces the
    positions exactly when the skeleton is rigid (constant bone lengths
    and rigid child sets, e.g. motion from a BVH); otherwise to within the
    bone-length deviations (see ``max_error``). ``positions='all'`` also
    writes every joint's local translation, so that any input re-reads
    exactly.

    Returns:
        dict: ``names``, ``parents`` (depth-first order), ``offsets``,
        ``channels``, ``motion`` (for :func:`write_bvh`), ``order`` (the
        input index of each output joint) and ``max_error`` (largest
        distance between the re-read and the input positions, in the input
        units).
    """
    if positions not in ('root', 'all'):
        raise ValueError("positions_to_bvh: positions must be 'root' or "
                         f"'all', got {positions!r}")
    joints = np.asarray(joints, np.float64)
    t, j, _ = joints.shape
    dfs = depth_first_order(parents)
    inv = {k: i for i, k in enumerate(dfs)}
    x = joints[:, dfs]
    par = [inv[parents[k]] if parents[k] >= 0 else -1 for k in dfs]
    vec = np.zeros_like(x)
    for k, p in enumerate(par):
        if p >= 0:
            vec[:, k] = x[:, k] - x[:, p]
    length = np.linalg.norm(vec, axis=-1).mean(0)
    first = vec[0] / np.maximum(
        np.linalg.norm(vec[0], axis=-1, keepdims=True), 1e-12)
    offsets = first * length[:, None]
    offsets[[k for k, p in enumerate(par) if p < 0]] = 0.
    world, local = solve_rotations(vec, offsets, par)
    euler = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_euler(
        order, degrees=True).reshape(t, j, 3)
    rot_ch = [f'{a}rotation' for a in order]
    pos_ch = ['Xposition', 'Yposition', 'Zposition']
    channels, cols = [], []
    for k in range(j):
        if par[k] < 0 or positions == 'all':
            channels.append(pos_ch + rot_ch)
            if par[k] < 0:
                tr = x[:, k]
            else:  # the local translation, in the parent's frame
                tr = np.einsum('tji,tj->ti', world[:, par[k]], vec[:, k])
            cols += [tr, euler[:, k]]
        else:
            channels.append(rot_ch)
            cols.append(euler[:, k])
    out = dict(names=[names[k] for k in dfs], parents=par, offsets=offsets,
               channels=channels, motion=np.concatenate(cols, axis=1),
               order=dfs)
    re = BVH(out['names'], par, offsets, channels, 1., out['motion'])
    out['max_error'] = float(np.abs(re.forward_kinematics() - x).max())
    return out
