# Copyright (c) mmext contributors. All rights reserved.
"""Common base of mmext's clip-based 3D pose-lifting datasets."""
import os.path as osp
from copy import deepcopy
from typing import Callable, List, Optional, Sequence, Union

import mmpose
from mmengine.dataset import BaseDataset
from mmpose.datasets.datasets.utils import parse_pose_metainfo

# mmpose's H36M keypoint meta (names, left/right swaps -> ``flip_indices``).
# An absolute path, so a ``configs/_base_/datasets/h36m.py`` in the working
# directory can never shadow it.
_MIM_H36M = osp.join(
    osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_', 'datasets',
    'h36m.py')
H36M_METAINFO_FILE = (_MIM_H36M if osp.isfile(_MIM_H36M) else
                      'configs/_base_/datasets/h36m.py')

# metainfo entries copied into every sample (as mmpose's BaseMocapDataset).
_METAINFO_KEYS = ('upper_body_ids', 'lower_body_ids', 'flip_pairs',
                  'dataset_keypoint_weights', 'flip_indices',
                  'skeleton_links')


class BaseLiftingClipDataset(BaseDataset):
    """A dataset whose samples are fixed-length clips of 2D/3D poses.

    Subclasses fill ``data_list`` with light per-clip records in
    :meth:`load_data_list` and turn a record into a sample in
    :meth:`materialize`. Each sample carries the keys that mmpose's
    ``GenerateTarget(MotionBERTLabel)`` -> ``RandomFlipAroundRoot`` ->
    ``PackPoseInputs`` pipeline reads (see ``docs/pose3d/data.md``), plus
    the keypoint metainfo (``flip_indices`` ...) like mmpose's
    ``BaseMocapDataset``.

    Args:
        ann_file (str): annotation file or folder.
        metainfo (dict, optional): keypoint meta; defaults to mmpose's H36M.
        data_root (str, optional): root joined to relative paths.
        pipeline (list): transforms.
        test_mode (bool): evaluation split.
        indices (int | Sequence[int], optional): keep only these samples.
        serialize_data (bool): see :class:`mmengine.dataset.BaseDataset`.
        lazy_init (bool): see :class:`mmengine.dataset.BaseDataset`.
        max_refetch (int): see :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO: dict = dict(from_file=H36M_METAINFO_FILE)

    def __init__(self,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 lazy_init: bool = False,
                 max_refetch: int = 1000) -> None:
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root or '',
            data_prefix=dict(),
            pipeline=list(pipeline),
            test_mode=test_mode,
            indices=indices,
            serialize_data=serialize_data,
            lazy_init=lazy_init,
            max_refetch=max_refetch)

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        if metainfo is None:
            metainfo = deepcopy(cls.METAINFO)
        if not isinstance(metainfo, dict):
            raise TypeError(f'{cls.__name__}: metainfo must be a dict, got '
                            f'{type(metainfo)}')
        return parse_pose_metainfo(metainfo) if metainfo else metainfo

    def materialize(self, record: dict) -> dict:
        """Turn a stored clip record into a sample (arrays loaded here)."""
        raise NotImplementedError

    def get_data_info(self, idx: int) -> dict:
        """Sample ``idx`` with arrays and keypoint metainfo filled in."""
        info = self.materialize(super().get_data_info(idx))
        for key in _METAINFO_KEYS:
            if key in self._metainfo:
                info[key] = deepcopy(self._metainfo[key])
        return info

    def load_data_list(self) -> List[dict]:
        raise NotImplementedError
