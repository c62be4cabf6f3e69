# Copyright (c) mmext contributors. All rights reserved.
"""Human3.6M's 17-joint skeleton, cameras and actions; MPI-INF-3DHP's order.

Human3.6M (Ionescu et al., TPAMI 2014) in the 17-joint order that
MotionBERT, MotionAGFormer and mmpose's ``configs/_base_/datasets/h36m.py``
use (the lifters' input and output order)::

    0 pelvis (root), 1 r_hip, 2 r_knee, 3 r_ankle, 4 l_hip, 5 l_knee,
    6 l_ankle, 7 spine, 8 thorax, 9 neck_nose, 10 head, 11 l_shoulder,
    12 l_elbow, 13 l_wrist, 14 r_shoulder, 15 r_elbow, 16 r_wrist

MPI-INF-3DHP (Mehta et al., 3DV 2017) in the 17-joint order of P-STMO's and
MotionAGFormer's ``data_to_npz_3dhp.py`` (``joint_set``), root = 14::

    0 head_top, 1 neck, 2 r_shoulder, 3 r_elbow, 4 r_wrist, 5 l_shoulder,
    6 l_elbow, 7 l_wrist, 8 r_hip, 9 r_knee, 10 r_ankle, 11 l_hip,
    12 l_knee, 13 l_ankle, 14 pelvis, 15 spine, 16 head

``tests/test_structures.py`` checks the flip pairs and the bones against
mmpose's own H36M metainfo, the third place these facts are written down.
"""
from typing import Dict, Tuple

__all__ = [
    'H36M_JOINTS', 'H36M_NUM_JOINTS', 'H36M_ROOT', 'H36M_FLIP_INDICES',
    'H36M_BONES', 'H36M_LEFT_JOINTS', 'H36M_RIGHT_JOINTS', 'H36M_CAMERAS',
    'H36M_CAMERA_RESOLUTION', 'H36M_ACTION_NAMES', 'H36M_ACTION_IDS',
    'H36M_FPS', 'MPI3DHP_JOINTS', 'MPI3DHP_ROOT', 'H36M_TO_3DHP',
    'MPI3DHP_TEST_RESOLUTION', 'MPI3DHP_TRAIN_RESOLUTION'
]

#: Joint names in the H36M 17-joint order.
H36M_JOINTS: Tuple[str, ...] = (
    'pelvis', 'r_hip', 'r_knee', 'r_ankle', 'l_hip', 'l_knee', 'l_ankle',
    'spine', 'thorax', 'neck_nose', 'head', 'l_shoulder', 'l_elbow',
    'l_wrist', 'r_shoulder', 'r_elbow', 'r_wrist')
H36M_NUM_JOINTS = len(H36M_JOINTS)
#: The root joint (pelvis).
H36M_ROOT = 0

#: Left <-> right swap used for flipping (mmpose's ``flip_indices``).
H36M_FLIP_INDICES: Tuple[int, ...] = (0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14,
                                      15, 16, 11, 12, 13)

#: (parent, child) pairs: the 16 bones of the kinematic tree.
H36M_BONES: Tuple[Tuple[int, int], ...] = ((0, 1), (1, 2), (2, 3), (0, 4),
                                           (4, 5), (5, 6), (0, 7), (7, 8),
                                           (8, 9), (9, 10), (8, 11), (11, 12),
                                           (12, 13), (8, 14), (14, 15),
                                           (15, 16))
H36M_LEFT_JOINTS: Tuple[int, ...] = (4, 5, 6, 11, 12, 13)
H36M_RIGHT_JOINTS: Tuple[int, ...] = (1, 2, 3, 14, 15, 16)

#: Camera ids in the order ca_01..ca_04.
H36M_CAMERAS: Tuple[str, ...] = ('54138969', '55011271', '58860488',
                                 '60457274')
#: Camera id -> image (width, height), as hard-coded in MotionBERT's
#: ``lib/data/datareader_h36m.py`` and mmpose's ``preprocess_h36m.py``.
H36M_CAMERA_RESOLUTION: Dict[str, Tuple[int, int]] = {
    '54138969': (1000, 1002),
    '55011271': (1000, 1000),
    '58860488': (1000, 1000),
    '60457274': (1000, 1002),
}
#: Frame rate of the videos and of the fps50 annotations.
H36M_FPS = 50

#: Action id (``act_XX`` in MotionBERT's ``source`` strings) -> name.
H36M_ACTION_NAMES: Dict[int, str] = {
    2: 'Directions', 3: 'Discussion', 4: 'Eating', 5: 'Greeting',
    6: 'Phoning', 7: 'Posing', 8: 'Purchases', 9: 'Sitting',
    10: 'SittingDown', 11: 'Smoking', 12: 'Photo', 13: 'Waiting',
    14: 'Walking', 15: 'WalkDog', 16: 'WalkTogether'
}
#: Action name -> id (the inverse of :data:`H36M_ACTION_NAMES`).
H36M_ACTION_IDS: Dict[str, int] = {
    name: i
    for i, name in H36M_ACTION_NAMES.items()
}

#: Joint names in the MPI-INF-3DHP 17-joint order.
MPI3DHP_JOINTS: Tuple[str, ...] = (
    'head_top', 'neck', 'r_shoulder', 'r_elbow', 'r_wrist', 'l_shoulder',
    'l_elbow', 'l_wrist', 'r_hip', 'r_knee', 'r_ankle', 'l_hip', 'l_knee',
    'l_ankle', 'pelvis', 'spine', 'head')
MPI3DHP_ROOT = 14
#: ``H36M_TO_3DHP[i]``: index, in the MPI-INF-3DHP order, of H36M joint
#: ``i`` (H36M's thorax is 3DHP's neck, neck_nose its head, head its
#: head_top).
H36M_TO_3DHP: Tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5,
                                 6, 7, 2, 3, 4)
#: Image size (w, h) of the MPI-INF-3DHP test sequences.
MPI3DHP_TEST_RESOLUTION: Dict[str, Tuple[int, int]] = {
    'TS1': (2048, 2048), 'TS2': (2048, 2048), 'TS3': (2048, 2048),
    'TS4': (2048, 2048), 'TS5': (1920, 1080), 'TS6': (1920, 1080)
}
#: Image size (w, h) of every MPI-INF-3DHP training sequence.
MPI3DHP_TRAIN_RESOLUTION: Tuple[int, int] = (2048, 2048)
