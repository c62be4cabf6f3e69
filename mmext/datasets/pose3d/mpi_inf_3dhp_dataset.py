# Copyright (c) mmext contributors. All rights reserved.
"""MPI-INF-3DHP in P-STMO/MotionAGFormer's npz format, as H36M-order joints."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmpose.registry import DATASETS

from .base_lifting_dataset import BaseLiftingClipDataset
from .utils import (H36M_TO_3DHP, MPI3DHP_TEST_RESOLUTION,
                    MPI3DHP_TRAIN_RESOLUTION, check_array, partition_sequence)


@DATASETS.register_module()
class MPIINF3DHPDataset(BaseLiftingClipDataset):
    """MPI-INF-3DHP from ``data_train_3dhp.npz`` / ``data_test_3dhp.npz``.

    File layouts (P-STMO / MotionAGFormer ``data/preprocess/data_to_npz_3dhp*
    .py``), both ``np.savez_compressed(path, data=dict)``:

    * train: ``{'S1 Seq1': [{'0': {'data_2d': (F, 17, 2) px,
      'data_3d': (F, 17, 3) mm}, '1': {...}, ...}, fps], ...}`` (one entry
      per camera);
    * test: ``{'TS1': {'data_2d', 'data_3d', 'valid': (F,)}, ..., 'TS6'}``.

    Joints are in 3DHP's 17-joint order (root = 14) and are re-ordered to
    H36M's order here, so H36M flip indices, codecs and models apply.
    Clips follow MotionAGFormer's ``MPI3DHP.partition``: a clip starts every
    ``data_stride`` frames, a clip running past the end is resampled from the
    remaining frames. 2D is normalised by 2048 x 2048 (train, TS1-4) or
    1920 x 1080 (TS5, TS6) in the codec; the 3D target is camera mm / 1000
    with ``factor`` 1, which makes the ``MotionBERTLabel`` codec reproduce
    MotionAGFormer's 3DHP normalisation (mm / w * 2, root-relative) and
    decode predictions to metres.

    Each sample also holds ``valid`` (T,) (test: the npz's valid flags; train:
    ones), ``action`` = ``video`` = sequence name (``'TS1'``, ``'S1 Seq1
    cam0'``), ``frame_ids`` (T,) and ``target_img_path``.

    Args:
        ann_file (str): the npz file.
        seq_len (int): clip length T. Default: 243.
        data_stride (int, optional): step between clip starts; default
            ``seq_len // 3`` for a train file and ``seq_len`` for a test file.
        **kwargs: :class:`BaseLiftingClipDataset` arguments.
    """

    def __init__(self,
                 ann_file: str = '',
                 seq_len: int = 243,
                 data_stride: Optional[int] = None,
                 **kwargs) -> None:
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
        with np.load(path, allow_pickle=True) as npz:
            if 'data' not in npz.files:
                raise KeyError(f"{where}: missing key 'data' (expected "
                               f"keys: ['data']; found: {npz.files})")
            data = npz['data'].item()
        if not isinstance(data, dict) or not data:
            raise ValueError(f"{where}: 'data' must be a non-empty dict of "
                             'sequences')
        seqs = {}
        to_h36m = list(H36M_TO_3DHP)
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
                    data_2d=d2[:, to_h36m, :2].astype(np.float32),
                    data_3d=d3[:, to_h36m].astype(np.float32),
                    valid=valid.astype(np.float32), w=float(w), h=float(h))
        return seqs

    def load_data_list(self) -> List[dict]:
        self._seqs = self._read(self.ann_file)
        T = self.seq_len
        stride = self.data_stride or (T if self.is_test_file else
                                      max(T // 3, 1))
        records = []
        for name, s in self._seqs.items():
            for ids in partition_sequence(len(s['data_3d']), T, stride):
                records.append(dict(id=len(records), seq=name, frame_ids=ids))
        return records

    def materialize(self, rec: dict) -> dict:
        s = self._seqs[rec['seq']]
        ids = rec['frame_ids']
        target = s['data_3d'][ids] / 1000.
        tag = rec['seq'].replace(' ', '-')
        return dict(
            id=rec['id'], category_id=1, num_keypoints=17,
            keypoints=s['data_2d'][ids],
            keypoints_visible=np.ones((len(ids), 17), np.float32),
            lifting_target=target,
            lifting_target_visible=np.ones(target.shape[:2], np.float32),
            camera_param=dict(w=s['w'], h=s['h'], name=rec['seq']),
            factor=np.ones(len(ids), np.float32),
            valid=s['valid'][ids], action=rec['seq'], video=rec['seq'],
            source=rec['seq'], subject=rec['seq'].split(' ')[0],
            frame_ids=np.asarray(ids, np.int64),
            target_img_path=[
                f'{tag}_{tag}.3dhp_{int(i) + 1:06d}' for i in ids
            ])
