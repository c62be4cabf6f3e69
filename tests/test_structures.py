# Copyright (c) mmext contributors. All rights reserved.
"""mmext.structures: the skeleton tables agree with themselves, with
mmpose's own metainfo, and are the only copy in the package."""
import ast
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from mmext.structures import coco, h36m


def test_h36m_tables_are_consistent():
    n = h36m.H36M_NUM_JOINTS
    assert n == 17 == len(h36m.H36M_JOINTS)
    # flipping is an involution that maps left names to right names
    flip = h36m.H36M_FLIP_INDICES
    assert sorted(flip) == list(range(n))
    assert all(flip[flip[i]] == i for i in range(n))
    for i, name in enumerate(h36m.H36M_JOINTS):
        mirrored = name.replace('l_', '#').replace('r_', 'l_').replace(
            '#', 'r_')
        assert h36m.H36M_JOINTS[flip[i]] == mirrored
    # the bones form a tree rooted at the pelvis
    children = [c for _, c in h36m.H36M_BONES]
    assert sorted(children) == list(range(1, n))
    assert h36m.H36M_ROOT == 0
    assert set(h36m.H36M_LEFT_JOINTS) == {
        i for i, j in enumerate(h36m.H36M_JOINTS) if j.startswith('l_')}
    assert set(h36m.H36M_RIGHT_JOINTS) == {
        i for i, j in enumerate(h36m.H36M_JOINTS) if j.startswith('r_')}
    assert tuple(h36m.H36M_CAMERA_RESOLUTION) == h36m.H36M_CAMERAS
    assert all(h36m.H36M_ACTION_NAMES[i] == a
               for a, i in h36m.H36M_ACTION_IDS.items())
    assert len(h36m.H36M_ACTION_IDS) == 15


def test_h36m_to_3dhp_maps_names():
    same = {'thorax': 'neck', 'neck_nose': 'head', 'head': 'head_top'}
    assert sorted(h36m.H36M_TO_3DHP) == list(range(17))
    for i, name in enumerate(h36m.H36M_JOINTS):
        assert h36m.MPI3DHP_JOINTS[h36m.H36M_TO_3DHP[i]] == same.get(
            name, name)
    assert h36m.MPI3DHP_JOINTS[h36m.MPI3DHP_ROOT] == 'pelvis'


def test_h36m_matches_mmpose_metainfo():
    """mmpose's configs/_base_/datasets/h36m.py is the third place these
    facts are written down: names, flip pairs and limbs must agree."""
    pytest.importorskip('mmpose')
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    from mmext.datasets.pose3d.base_lifting_dataset import H36M_METAINFO_FILE
    meta = parse_pose_metainfo(dict(from_file=H36M_METAINFO_FILE))
    assert meta['num_keypoints'] == h36m.H36M_NUM_JOINTS
    assert list(meta['flip_indices']) == list(h36m.H36M_FLIP_INDICES)
    links = {tuple(sorted(link)) for link in meta['skeleton_links']}
    assert links == {tuple(sorted(b)) for b in h36m.H36M_BONES}


def test_coco_tables():
    assert len(coco.COCO17_NAMES) == 17
    for i in coco.COCO17_LEFT_JOINTS:
        assert coco.COCO17_NAMES[i].startswith('left_')
    for i in coco.COCO17_RIGHT_JOINTS:
        assert coco.COCO17_NAMES[i].startswith('right_')
    assert len(coco.COCO_TO_H36M) == h36m.H36M_NUM_JOINTS
    # a joint COCO has is copied under its H36M name
    names = {'r_hip': 'right_hip', 'l_wrist': 'left_wrist',
             'neck_nose': 'nose', 'r_ankle': 'right_ankle'}
    for h, c in names.items():
        assert coco.COCO_TO_H36M[h36m.H36M_JOINTS.index(h)] == (
            coco.COCO17_NAMES.index(c), )
    # mirrored COCO sources give mirrored H36M joints
    coco_flip = [coco.COCO17_NAMES.index(
        n.replace('left_', '#').replace('right_', 'left_').replace(
            '#', 'right_')) for n in coco.COCO17_NAMES]
    for i, src in enumerate(coco.COCO_TO_H36M):
        assert sorted(coco_flip[s] for s in src) == sorted(
            coco.COCO_TO_H36M[h36m.H36M_FLIP_INDICES[i]])


def test_coco_matches_mmpose_metainfo():
    pytest.importorskip('mmpose')
    import os.path as osp

    import mmpose
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs',
                    '_base_', 'datasets', 'coco.py')
    if not osp.isfile(path):
        pytest.skip('mmpose installed without its .mim configs')
    meta = parse_pose_metainfo(dict(from_file=path))
    names = [meta['keypoint_id2name'][i] for i in range(17)]
    assert tuple(names) == coco.COCO17_NAMES
    links = {tuple(sorted(link)) for link in meta['skeleton_links']}
    assert links == {tuple(sorted(b)) for b in coco.COCO17_BONES}


def test_coco_to_h36m_uses_the_table():
    """The conversion (in apis.video.keypoints) is the table's average."""
    from mmext.apis.video.keypoints import coco_to_h36m
    kpts = np.random.default_rng(0).random((3, 17, 3))
    out = coco_to_h36m(kpts)
    ref = np.stack([kpts[:, list(src)].mean(1) for src in coco.COCO_TO_H36M],
                   1)
    # float32 output: within float32 rounding of the float64 mean
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-6)


def _literal_tables(path):
    """Top-level names bound to int/str tuples or dicts in one file."""
    tree = ast.parse(path.read_text())
    found = {}
    for node in tree.body:
        target = (node.targets[0] if isinstance(node, ast.Assign) else
                  node.target if isinstance(node, ast.AnnAssign) else None)
        if not isinstance(target, ast.Name) or node.value is None:
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue
        if isinstance(value, (tuple, dict)) and len(value) >= 4:
            found[target.id] = value
    return found


def test_no_copy_of_a_structures_table_in_the_package():
    """No module outside mmext/structures/ holds a literal equal to one of
    its tables (the six copies of the H36M facts this replaced)."""
    tables = {}
    for mod in (h36m, coco):
        spec = importlib.util.find_spec(mod.__name__)
        for name, value in _literal_tables(
                Path(spec.origin)).items():
            tables[repr(value)] = f'{mod.__name__}.{name}'
    copies = []
    for path in sorted((ROOT / 'mmext').rglob('*.py')):
        if 'structures' in path.parts:
            continue
        for name, value in _literal_tables(path).items():
            if repr(value) in tables:
                copies.append(f'{path.relative_to(ROOT)}: {name} copies '
                              f'{tables[repr(value)]}')
    assert copies == []
