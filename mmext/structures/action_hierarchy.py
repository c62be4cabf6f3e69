# Copyright (c) mmext contributors. All rights reserved.
"""Fine -> coarse label hierarchies for hierarchical action recognition.

Two hierarchies ship with mmext:

``'ma52'``
    MA-52 (Guo et al., "Benchmarking Micro-action Recognition: Dataset,
    Methods, and Applications", IEEE TCSVT 2024): 52 fine micro-actions in 7
    body-part groups, fixed by the dataset: body 0-4, head 5-10, upper limb
    11-23, lower limb 24-31, body-hand 32-37, head-hand 38-47, leg-hand 48-51.

``'ntu60'``
    NTU RGB+D 60 (Shahroudy et al., CVPR 2016) has 60 fine actions and only
    the dataset's own 3-way split (daily A1-A40, medical A41-A49, mutual
    A50-A60). mmext defines 8 coarse groups with this decision list (the first
    rule that matches assigns the group; fine ids are 0-based, ``A(k+1)``):

    * NTU "mutual" actions (A50-A60) are split by whether the two persons'
      bodies touch during the action: 6 ``two-person, body contact``
      (punch/slap, kick, push, pat on back, hug, touch pocket, handshake),
      7 ``two-person, no body contact`` (point finger at, give an object,
      walk towards, walk apart).
    * NTU "medical conditions" (A41-A49) -> 5 ``medical condition``.
    * Daily actions (A1-A40), in this order:

      1. the action puts on or takes off a worn item (jacket, shoe, glasses,
         hat) -> 2 ``dressing``;
      2. the legs or the whole body carry the action (sit down, stand up,
         kick something, hop, jump) -> 4 ``body-pose change``;
      3. the head itself moves, or a hand acts at the head/face (drink, eat,
         brush teeth, brush hair, phone call, nod, shake head, wipe face,
         salute) -> 1 ``head & face``;
      4. a hand handles an object (or the own pocket) in front of the body
         (drop, pick up, throw, read, write, tear paper, reach into pocket,
         play with phone, type, take a selfie, check the watch)
         -> 0 ``object manipulation``;
      5. otherwise, an empty-hand gesture (clap, cheer up, wave, point,
         rub hands, palms together, cross hands) -> 3 ``hand gesture``.

    The full table is ``meta/ntu60_coarse.txt`` (``fine_id<TAB>fine_name
    <TAB>coarse_id<TAB>coarse_name``), which :func:`load_hierarchy` reads and
    which a test checks against :data:`HIERARCHIES`.

A custom hierarchy is a mapping file in the same 4-column format; pass its
path to :func:`load_hierarchy`.
"""
import os.path as osp
from typing import Dict, List, Optional, Tuple

__all__ = [
    'HIERARCHIES', 'COARSE_NAMES', 'FINE_NAMES', 'load_hierarchy',
    'read_mapping_file', 'write_mapping_file', 'coarse_of', 'META_DIR',
    'MA52_NAMES', 'NTU60_NAMES'
]

META_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'meta')


def _expand(ranges: List[Tuple[int, int]]) -> List[int]:
    """[(first, last) of group 0, (first, last) of group 1, ...] -> map."""
    out: List[int] = []
    for coarse, (first, last) in enumerate(ranges):
        assert first == len(out), (first, len(out))
        out.extend([coarse] * (last - first + 1))
    return out


# MA-52: contiguous id ranges per body-part group (from the dataset paper).
_MA52 = _expand([(0, 4), (5, 10), (11, 23), (24, 31), (32, 37), (38, 47),
                 (48, 51)])

NTU60_NAMES: List[str] = [
    'drink water', 'eat meal/snack', 'brushing teeth', 'brushing hair',
    'drop', 'pickup', 'throw', 'sitting down',
    'standing up (from sitting position)', 'clapping', 'reading', 'writing',
    'tear up paper', 'wear jacket', 'take off jacket', 'wear a shoe',
    'take off a shoe', 'wear on glasses', 'take off glasses',
    'put on a hat/cap', 'take off a hat/cap', 'cheer up', 'hand waving',
    'kicking something', 'reach into pocket', 'hopping (one foot jumping)',
    'jump up', 'make a phone call/answer phone', 'playing with phone/tablet',
    'typing on a keyboard', 'pointing to something with finger',
    'taking a selfie', 'check time (from watch)', 'rub two hands together',
    'nod head/bow', 'shake head', 'wipe face', 'salute',
    'put the palms together', 'cross hands in front (say stop)',
    'sneeze/cough', 'staggering', 'falling', 'touch head (headache)',
    'touch chest (stomachache/heart pain)', 'touch back (backache)',
    'touch neck (neckache)', 'nausea or vomiting condition',
    'use a fan (with hand or paper)/feeling warm',
    'punching/slapping other person', 'kicking other person',
    'pushing other person', 'pat on back of other person',
    'point finger at the other person', 'hugging other person',
    'giving something to other person', "touch other person's pocket",
    'handshaking', 'walking towards each other',
    'walking apart from each other'
]

# NTU60 coarse groups by the decision list in the module docstring, listed
# with 1-based NTU action ids (A1..A60) as they appear in the NTU paper.
_NTU60_GROUPS_1BASED: Dict[int, List[int]] = {
    0: [5, 6, 7, 11, 12, 13, 25, 29, 30, 32, 33],  # object manipulation
    1: [1, 2, 3, 4, 28, 35, 36, 37, 38],  # head & face
    2: [14, 15, 16, 17, 18, 19, 20, 21],  # dressing
    3: [10, 22, 23, 31, 34, 39, 40],  # hand gesture
    4: [8, 9, 24, 26, 27],  # body-pose change
    5: list(range(41, 50)),  # medical condition
    6: [50, 51, 52, 53, 55, 57, 58],  # two-person, body contact
    7: [54, 56, 59, 60],  # two-person, no body contact
}


def _ntu60_map() -> List[int]:
    out = [-1] * 60
    for coarse, ids in _NTU60_GROUPS_1BASED.items():
        for a in ids:
            assert out[a - 1] == -1, f'A{a} assigned twice'
            out[a - 1] = coarse
    assert -1 not in out, 'some NTU60 action has no coarse group'
    return out


HIERARCHIES: Dict[str, List[int]] = {'ma52': _MA52, 'ntu60': _ntu60_map()}

COARSE_NAMES: Dict[str, List[str]] = {
    'ma52': [
        'body', 'head', 'upper limb', 'lower limb', 'body-hand', 'head-hand',
        'leg-hand'
    ],
    'ntu60': [
        'object manipulation', 'head & face', 'dressing', 'hand gesture',
        'body-pose change', 'medical condition', 'two-person, body contact',
        'two-person, no body contact'
    ],
}

# MA-52 class names as released with the dataset:
# github.com/VUT-HFUT/Micro-Action, mar_scripts/manet/mmaction2/data/ma52/
# label_name.txt (``id<TAB>name``).
MA52_NAMES: List[str] = [
    'shaking body', 'sitting straightly', 'shrugging', 'turning around',
    'rising up', 'bowing head', 'head up', 'tilting head', 'turning head',
    'nodding', 'shaking head', 'scratching arms', 'playing objects',
    'putting hands together', 'rubbing hands', 'pointing oneself',
    'clenching fist', 'stretching arms', 'retracting arms', 'waving',
    'spreading hands', 'hands touching fingers', 'other finger movements',
    'illustrative gestures', 'shaking legs', 'curling legs', 'spread legs',
    'closing legs', 'crossing legs', 'stretching feet', 'retracting feet',
    'tiptoe', 'scratching or touching neck', 'scratching or touching chest',
    'scratching or touching back', 'scratching or touching shoulder',
    'arms akimbo', 'crossing arms', 'playing or tidying hair',
    'scratching or touching hindbrain', 'scratching or touching forehead',
    'scratching or touching face', 'rubbing eyes', 'touching nose',
    'touching ears', 'covering face', 'covering mouth', 'pushing glasses',
    'patting legs', 'touching legs', 'scratching legs', 'scratching feet'
]

FINE_NAMES: Dict[str, Optional[List[str]]] = {
    'ma52': MA52_NAMES,
    'ntu60': NTU60_NAMES,
}


def coarse_of(hierarchy: List[int], fine_label: int) -> int:
    """Coarse id of ``fine_label`` (raises ``IndexError`` if out of range)."""
    if not 0 <= fine_label < len(hierarchy):
        raise IndexError(f'fine label {fine_label} is out of range '
                         f'[0, {len(hierarchy)})')
    return hierarchy[fine_label]


def _check_contiguous(mapping: List[int], source: str) -> None:
    """Every coarse id in ``0..max`` must be used by some fine class."""
    if not mapping:
        raise ValueError(f'{source}: the hierarchy is empty')
    used = set(mapping)
    missing = sorted(set(range(max(mapping) + 1)) - used)
    if min(mapping) < 0 or missing:
        raise ValueError(
            f'{source}: coarse ids must be contiguous 0..{max(mapping)}, '
            f'missing {missing}, min {min(mapping)}')


def read_mapping_file(path: str) -> Tuple[List[int], List[str], List[str]]:
    """Read a ``fine_id<TAB>fine_name<TAB>coarse_id<TAB>coarse_name`` file.

    Empty lines and lines starting with ``#`` are skipped. Fine ids must be
    ``0..N-1`` in order; coarse ids contiguous ``0..K-1``; a coarse id always
    carries the same coarse name.

    Args:
        path (str): Mapping file.

    Returns:
        tuple: ``(fine_to_coarse, fine_names, coarse_names)``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'hierarchy mapping file {path} not found')
    mapping: List[int] = []
    fine_names: List[str] = []
    coarse_names: Dict[int, str] = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip('\n').rstrip('\r')
            if not line.strip() or line.startswith('#'):
                continue
            where = f'{path} line {lineno}'
            parts = line.split('\t')
            if len(parts) != 4:
                raise ValueError(
                    f'{where}: expected 4 tab-separated fields fine_id, '
                    f'fine_name, coarse_id, coarse_name, got {len(parts)}: '
                    f'{line!r}')
            try:
                fine, coarse = int(parts[0]), int(parts[2])
            except ValueError:
                raise ValueError(f'{where}: fine_id and coarse_id must be '
                                 f'integers, got {parts[0]!r}, {parts[2]!r}')
            if fine != len(mapping):
                raise ValueError(f'{where}: fine_id {fine}, expected '
                                 f'{len(mapping)} (ids must be 0..N-1 in '
                                 'order)')
            if coarse < 0:
                raise ValueError(f'{where}: coarse_id {coarse} is negative')
            name = parts[3].strip()
            if coarse_names.setdefault(coarse, name) != name:
                raise ValueError(
                    f'{where}: coarse_id {coarse} is named {name!r}, but '
                    f'earlier {coarse_names[coarse]!r}')
            mapping.append(coarse)
            fine_names.append(parts[1].strip())
    _check_contiguous(mapping, path)
    return mapping, fine_names, [coarse_names[k] for k in sorted(coarse_names)]


def write_mapping_file(path: str, mapping: List[int],
                       fine_names: Optional[List[str]],
                       coarse_names: List[str]) -> None:
    """Write a hierarchy in the format :func:`read_mapping_file` reads."""
    with open(path, 'w', encoding='utf-8') as f:
        for fine, coarse in enumerate(mapping):
            fname = fine_names[fine] if fine_names else f'class_{fine}'
            f.write(f'{fine}\t{fname}\t{coarse}\t{coarse_names[coarse]}\n')


def load_hierarchy(name_or_path: str) -> List[int]:
    """Fine -> coarse map by name (``'ma52'``, ``'ntu60'``) or file path.

    Args:
        name_or_path (str): A key of :data:`HIERARCHIES` or the path of a
            mapping file (see :func:`read_mapping_file`).

    Returns:
        list[int]: ``mapping[fine_id] = coarse_id``, a new list.
    """
    if name_or_path in HIERARCHIES:
        return list(HIERARCHIES[name_or_path])
    if osp.isfile(name_or_path):
        return read_mapping_file(name_or_path)[0]
    raise ValueError(
        f'hierarchy {name_or_path!r}: expected one of '
        f'{sorted(HIERARCHIES)} or the path of an existing mapping file')
