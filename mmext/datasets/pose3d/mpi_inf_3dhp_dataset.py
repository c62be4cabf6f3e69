# Copyright (c) mmext contributors. All rights reserved.
"""MPI-INF-3DHP in P-STMO/MotionAGFormer's npz format."""
import os.path as osp
from copy import deepcopy
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmpose.registry import DATASETS

from mmext.fileio import load_npz
from mmext.structures.h36m import (H36M_TO_3DHP, MPI3DHP_TEST_RESOLUTION,
                                   MPI3DHP_TRAIN_RESOLUTION)
from .base_lifting_dataset import H36M_METAINFO_FILE, BaseLiftingClipDataset
from .utils import check_array, partition_sequence

JOINT_ORDERS = ('h36m', '3dhp')
TEST_PROTOCOLS = ('clips', 'center_frame')
#: Step between training clip starts in MotionAGFormer's configs/mpi/*.yaml
#: (``stride: 9`` for every model size).
MPI3DHP_TRAIN_STRIDE = 9


def mpi3dhp_order_metainfo() -> dict:
    """mmpose's H36M keypoint meta with the joints in 3DHP's order.

    Joint ``i`` of H36M becomes joint ``H36M_TO_3DHP[i]``; names, left/right
    swaps, skeleton links (by name), weights and sigmas move with it, so
    ``flip_indices`` swap 3DHP's left/right joints (2-4 <-> 5-7,
    8-10 <-> 11-13).
    """
    info = deepcopy(Config.fromfile(H36M_METAINFO_FILE).dataset_info)
    info['dataset_name'] = 'mpi_inf_3dhp'
    info['keypoint_info'] = dict(
        sorted((H36M_TO_3DHP[i], dict(kp, id=H36M_TO_3DHP[i]))
               for i, kp in info['keypoint_info'].items()))
    for key in ('joint_weights', 'sigmas'):
        vals = list(info[key])
        new = [0.] * len(vals)
        for i, v in enumerate(vals):
            new[H36M_TO_3DHP[i]] = v
        info[key] = new
    return info


@DATASETS.register_module()
class MPIINF3DHPDataset(BaseLiftingClipDataset):
    """MPI-INF-3DHP from ``data_train_3dhp.npz`` / ``data_test_3dhp.npz``.

    File layouts (P-STMO / MotionAGFormer ``data/preprocess/data_to_npz_3dhp*
    .py``), both ``np.savez_compressed(path, data=dict)``:

    * train: ``{'S1 Seq1': [{'0': {'data_2d': (F, 17, 2) px,
      'data_3d': (F, 17, 3) mm}, '1': {...}, ...}, fps], ...}`` (one entry
      per camera);
    * test: ``{'TS1': {'data_2d', 'data_3d', 'valid': (F,)}, ..., 'TS6'}``.

    Joints are in 3DHP's 17-joint order (root = 14). With ``joint_order=
    'h36m'`` (default) they are re-ordered to H36M's order, so H36M flip
    indices, codecs and models apply; ``joint_order='3dhp'`` keeps the
    file's order (root 14; the keypoint meta is permuted to match), which is
    what upstream's MPI-INF-3DHP weights were trained on (set the codecs'
    ``root_index=14`` and ``PCK3DMetric(joint_order='3dhp')``).

    Training clips follow MotionAGFormer's ``MPI3DHP.partition``: a clip
    starts every ``data_stride`` frames (default 9, upstream's
    ``configs/mpi/*.yaml``), a clip running past the end is resampled from
    the remaining frames. Test files offer two protocols:

    * ``test_protocol='clips'``: consecutive clips (stride ``seq_len``), as
      upstream's ``MPI3DHP(train=False)``; every frame is scored once.
    * ``test_protocol='center_frame'``: the official evaluation of P-STMO /
      MotionAGFormer's ``train_3dhp.py`` (``Fusion`` + ``ChunkedGenerator``
      with ``chunk_length=1, pad=(T - 1) // 2``): one window of ``seq_len``
      (odd) frames centred on each VALID frame, padded at the sequence ends
      by repeating the first / last frame; only the centre frame is scored
      (its ``valid`` is 1, the rest 0).

    2D is normalised by 2048 x 2048 (train, TS1-4) or 1920 x 1080 (TS5,
    TS6) in the codec; the 3D target is camera mm / 1000 with ``factor`` 1,
    which makes the ``MotionBERTLabel`` codec reproduce MotionAGFormer's 3DHP
    normalisation (mm / w * 2, root-relative) and decode predictions to
    metres.

    Each sample also holds ``valid`` (T,) (test: the npz's valid flags, or
    the centre only; train: ones), ``action`` = ``video`` = sequence name
    (``'TS1'``, ``'S1 Seq1 cam0'``), ``frame_ids`` (T,) and
    ``target_img_path``.

    Args:
        ann_file (str): the npz file.
        seq_len (int): clip length T. Default: 243.
        data_stride (int, optional): step between clip starts; default 9
            for a train file and ``seq_len`` for a test file (``'clips'``).
        joint_order (str): ``'h36m'`` (default) or ``'3dhp'``.
        test_protocol (str): ``'clips'`` (default) or ``'center_frame'``;
            for test files only.
        **kwargs: :class:`BaseLiftingClipDataset` arguments.
    """

    def __init__(self,
                 ann_file: str = '',
                 seq_len: int = 243,
                 data_stride: Optional[int] = None,
                 joint_order: str = 'h36m',
                 test_protocol: str = 'clips',
                 **kwargs) -> None:
        name = type(self).__name__
        if joint_order not in JOINT_ORDERS:
            raise ValueError(f'{name}: joint_order={joint_order!r} is not '
                             f'one of {JOINT_ORDERS}')
        if test_protocol not in TEST_PROTOCOLS:
            raise ValueError(f'{name}: test_protocol={test_protocol!r} is '
                             f'not one of {TEST_PROTOCOLS}')
        if test_protocol == 'center_frame' and int(seq_len) % 2 == 0:
            raise ValueError(
                f"{name}: test_protocol='center_frame' needs an odd seq_len "
                f'(a window of (seq_len - 1) // 2 frames on each side of the '
                f'scored frame, as upstream), got {seq_len}')
        if joint_order == '3dhp' and kwargs.get('metainfo') is None:
            kwargs['metainfo'] = mpi3dhp_order_metainfo()
        self.joint_order = joint_order
        self.test_protocol = test_protocol
        if int(seq_len) < 1:
            raise ValueError(f'{type(self).__name__}: seq_len must be >= 1, '
                             f'got {seq_len}')
        if data_stride is not None and int(data_stride) < 1:
            raise ValueError(f'{type(self).__name__}: data_stride must be '
                             f'>= 1, got {data_stride}')
        if not ann_file:
            raise ValueError(f'{type(self).__name__}: ann_file is empty; '
                             'expected data_train_3dhp.npz or '
                             'data_test_3dhp.npz')
        self.seq_len = int(seq_len)
        self.data_stride = data_stride
        self._seqs: Dict[str, dict] = {}
        super().__init__(ann_file=ann_file, **kwargs)

    def _read(self, path: str) -> Dict[str, dict]:
        where = f'3dhp npz {path}'
        if not osp.isfile(path):
            raise FileNotFoundError(f'{where}: file not found')
        # 'data' is a pickled dict of sequences: restricted unpickler
        with load_npz(path, '3dhp npz', allow_object=True) as npz:
            if 'data' not in npz.files:
                raise KeyError(f"{where}: missing key 'data' (expected "
                               f"keys: ['data']; found: {npz.files})")
            data = npz['data'].item()
        if not isinstance(data, dict) or not data:
            raise ValueError(f"{where}: 'data' must be a non-empty dict of "
                             'sequences')
        seqs = {}
        order = (list(H36M_TO_3DHP) if self.joint_order == 'h36m' else
                 list(range(17)))
        for name, entry in data.items():
            if isinstance(entry, dict):  # test layout
                self.is_test_file = True
                items = [(str(name), entry, MPI3DHP_TEST_RESOLUTION.get(
                    str(name), MPI3DHP_TRAIN_RESOLUTION))]
                need = ('data_2d', 'data_3d', 'valid')
            elif isinstance(entry, (list, tuple)) and entry and isinstance(
                    entry[0], dict):  # train layout: [cams, fps]
                self.is_test_file = False
                items = [(f'{name} cam{cam}', d, MPI3DHP_TRAIN_RESOLUTION)
                         for cam, d in sorted(entry[0].items())]
                need = ('data_2d', 'data_3d')
            else:
                raise ValueError(
                    f'{where}: sequence {name!r} is a {type(entry)}; expected '
                    "a dict {'data_2d','data_3d','valid'} (test file) or "
                    "[{camera: {'data_2d','data_3d'}}, fps] (train file)")
            for key, d, (w, h) in items:
                for k in need:
                    if k not in d:
                        raise KeyError(f'{where}: missing key {k!r} under '
                                       f'{key!r} (expected keys: '
                                       f'{list(need)}; found: {list(d)})')
                sw = f'{where} [{key!r}]'
                d2 = check_array(d['data_2d'], 'data_2d', sw, 3,
                                 last_dims=(2, 3))
                d3 = check_array(d['data_3d'], 'data_3d', sw, 3,
                                 last_dims=(3, ))
                valid = (np.asarray(d['valid']).reshape(-1)
                         if 'valid' in d else np.ones(len(d3)))
                if not len(d2) == len(d3) == len(valid):
                    raise ValueError(
                        f'{sw}: data_2d has {len(d2)} frames, data_3d '
                        f'{len(d3)}, valid {len(valid)} (must be equal)')
                seqs[key] = dict(
                    data_2d=d2[:, order, :2].astype(np.float32),
                    data_3d=d3[:, order].astype(np.float32),
                    valid=valid.astype(np.float32), w=float(w), h=float(h))
        return seqs

    def load_data_list(self) -> List[dict]:
        self._seqs = self._read(self.ann_file)
        T = self.seq_len
        if self.test_protocol == 'center_frame':
            if not self.is_test_file:
                raise ValueError(
                    f"{type(self).__name__}: test_protocol='center_frame' "
                    f'is for a test file ({{TS1: ...}}); {self.ann_file} is '
                    'a train file')
            return self._center_frame_records()
        stride = self.data_stride or (T if self.is_test_file else
                                      MPI3DHP_TRAIN_STRIDE)
        records = []
        for name, s in self._seqs.items():
            for ids in partition_sequence(len(s['data_3d']), T, stride):
                records.append(dict(id=len(records), seq=name, frame_ids=ids))
        return records

    def _center_frame_records(self) -> List[dict]:
        """One window per valid frame, edge-padded, centre scored."""
        pad = (self.seq_len - 1) // 2
        offsets = np.arange(-pad, pad + 1)
        records = []
        for name, s in self._seqs.items():
            n = len(s['data_3d'])
            for f in np.flatnonzero(s['valid'] > 0):
                records.append(dict(
                    id=len(records), seq=name,
                    frame_ids=np.clip(f + offsets, 0, n - 1),
                    center=pad))
        return records

    def materialize(self, rec: dict) -> dict:
        s = self._seqs[rec['seq']]
        ids = rec['frame_ids']
        target = s['data_3d'][ids] / 1000.
        valid = s['valid'][ids]
        if 'center' in rec:  # center_frame protocol: score the centre only
            valid = np.zeros_like(valid)
            valid[rec['center']] = 1.
        tag = rec['seq'].replace(' ', '-')
        return dict(
            id=rec['id'], category_id=1, num_keypoints=17,
            keypoints=s['data_2d'][ids],
            keypoints_visible=np.ones((len(ids), 17), np.float32),
            lifting_target=target,
            lifting_target_visible=np.ones(target.shape[:2], np.float32),
            camera_param=dict(w=s['w'], h=s['h'], name=rec['seq']),
            factor=np.ones(len(ids), np.float32),
            valid=valid, action=rec['seq'], video=rec['seq'],
            source=rec['seq'], subject=rec['seq'].split(' ')[0],
            frame_ids=np.asarray(ids, np.int64),
            target_img_path=[
                f'{tag}_{tag}.3dhp_{int(i) + 1:06d}' for i in ids
            ])
