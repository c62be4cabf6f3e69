# Copyright (c) mmext contributors. All rights reserved.
"""Two-stream (RGB + skeleton) datasets with fine and coarse labels."""
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Union

import numpy as np
from mmaction.datasets import PoseDataset
from mmaction.registry import DATASETS

from mmext.fileio import check_finite, load_pickle
from mmext.structures.action_hierarchy import load_hierarchy

__all__ = ['RGBPoseDataset', 'MA52Dataset']

_RGB_SOURCES = ('video', 'frames', None)


@DATASETS.register_module()
class RGBPoseDataset(PoseDataset):
    """mmaction2 skeleton pkl paired with RGB by ``frame_dir``.

    The annotation file is mmaction2's skeleton pkl::

        {'split': {'xsub_train': [frame_dir, ...], ...},
         'annotations': [{frame_dir, total_frames, img_shape, original_shape,
                          label, keypoint (M, T, V, C),
                          keypoint_score (M, T, V)}, ...]}

    RGB comes from ``<data_prefix['video']>/<video_tmpl.format(frame_dir)>``
    (``rgb_source='video'``) or from extracted frames
    ``<data_prefix['frames']>/<frame_dir>/img_%05d.jpg``
    (``rgb_source='frames'``); ``rgb_source=None`` is pose only. Each sample
    gains ``sample_id`` (= ``frame_dir``), ``coarse_label`` (from
    ``hierarchy``) and ``filename`` or ``rgb_frame_dir`` for
    :class:`~mmext.datasets.action.transforms.MMDecodeCV2`.

    Every annotation is checked when the dataset is built: keypoint layout
    ``(M, T, V, C)`` with ``V == num_keypoints`` and ``C in (2, 3)``,
    ``keypoint_score`` of shape ``(M, T, V)``, ``total_frames == T``, label
    in ``[0, num_classes)``, RGB file present (``check_files``). Errors start
    with ``"<dataset_name> sample <frame_dir>: ..."``.

    Args:
        ann_file (str): Skeleton pkl.
        pipeline (list): Transforms.
        split (str, optional): Key of ``split`` in the pkl.
        hierarchy (str | list[int], optional): Fine -> coarse map (name,
            mapping file or list); sets ``coarse_label``. Its length is the
            number of classes unless ``num_classes`` is given.
        num_classes (int, optional): Labels must lie in ``[0, num_classes)``.
        num_keypoints (int, optional): Expected ``V`` (MA-52: 28; NTU60
            RGBPose, 2D COCO: 17). ``None`` skips the check.
        rgb_source (str, optional): ``'video'``, ``'frames'`` or ``None``.
        video_tmpl (str): Video file name from ``frame_dir``. Defaults to
            ``'{}.mp4'`` (mmaction2's ``MMDecode`` convention).
        frame_tmpl (str): Frame file template. Defaults to
            ``'img_{:05d}.jpg'``; frame 0 is file number ``frame_start``.
        frame_start (int): Defaults to 1.
        check_files (bool): Check every RGB video / frame folder exists.
        dataset_name (str): Used in error messages.
        data_prefix (dict): ``video`` and/or ``frames`` folders.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[Dict, Callable]],
                 split: Optional[str] = None,
                 hierarchy: Optional[Union[str, List[int]]] = None,
                 num_classes: Optional[int] = None,
                 num_keypoints: Optional[int] = None,
                 rgb_source: Optional[str] = 'video',
                 video_tmpl: str = '{}.mp4',
                 frame_tmpl: str = 'img_{:05d}.jpg',
                 frame_start: int = 1,
                 check_files: bool = True,
                 dataset_name: str = 'RGBPose',
                 data_prefix: Dict = dict(video=''),
                 **kwargs) -> None:
        if rgb_source not in _RGB_SOURCES:
            raise ValueError(f'{dataset_name}: rgb_source={rgb_source!r}, '
                             f'expected one of {_RGB_SOURCES}')
        self.dataset_name = dataset_name
        if isinstance(hierarchy, str):
            hierarchy = load_hierarchy(hierarchy)
        self.hierarchy = None if hierarchy is None else [
            int(x) for x in hierarchy
        ]
        if num_classes is None and self.hierarchy is not None:
            num_classes = len(self.hierarchy)
        if (num_classes is not None and self.hierarchy is not None
                and num_classes != len(self.hierarchy)):
            raise ValueError(
                f'{dataset_name}: num_classes={num_classes} but the '
                f'hierarchy maps {len(self.hierarchy)} fine classes')
        self.num_keypoints = num_keypoints
        self.rgb_source = rgb_source
        self.video_tmpl = video_tmpl
        self.frame_tmpl = frame_tmpl
        self.frame_start = frame_start
        self.check_files = check_files
        super().__init__(
            ann_file,
            pipeline=pipeline,
            split=split,
            num_classes=num_classes,
            data_prefix=data_prefix,
            **kwargs)

    # ------------------------------------------------------------------
    def _err(self, sid: str, msg: str) -> str:
        return f'{self.dataset_name} sample {sid}: {msg}'

    def _load_pkl(self) -> Dict:
        if not self.ann_file.endswith('.pkl'):
            raise ValueError(f'{self.dataset_name}: ann_file {self.ann_file} '
                             'must be a skeleton .pkl')
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{self.dataset_name}: ann_file {self.ann_file} not found')
        data = load_pickle(self.ann_file, f'{self.dataset_name} ann_file')
        if not isinstance(data, dict) or 'annotations' not in data:
            raise ValueError(
                f'{self.dataset_name}: {self.ann_file} must hold a dict with '
                "'annotations' (and 'split'), got "
                f'{type(data).__name__} with keys '
                f'{sorted(data) if isinstance(data, dict) else "-"}')
        for ann in data['annotations']:  # finite skeletons, checked once
            for key in ('keypoint', 'keypoint_score'):
                if isinstance(ann, dict) and key in ann:
                    check_finite(ann[key], f'{self.dataset_name} '
                                 f"{self.ann_file} sample "
                                 f"{ann.get('frame_dir')}", key)
        return data

    def _select_split(self, data: Dict) -> List[Dict]:
        annos = data['annotations']
        if self.split is None:
            return list(annos)
        splits = data.get('split', {})
        if self.split not in splits:
            raise KeyError(f'{self.dataset_name}: split {self.split!r} not in '
                           f'{self.ann_file}; available: {sorted(splits)}')
        wanted = list(splits[self.split])
        by_id = {a['frame_dir']: a for a in annos}
        missing = [s for s in wanted if s not in by_id]
        if missing:
            raise KeyError(
                self._err(missing[0],
                          f'listed in split {self.split!r} but has no '
                          f'annotation in {self.ann_file} '
                          f'({len(missing)} such samples)'))
        return [by_id[s] for s in wanted]

    def _finish(self,
                item: Dict,
                video_name: Optional[str] = None,
                hidden_label: bool = False) -> Dict:
        """Validate one annotation and add the derived keys.

        ``video_name`` overrides ``video_tmpl.format(frame_dir)``. With
        ``hidden_label`` the sample has no label (a challenge test split):
        any ``label`` is dropped and no ``coarse_label`` is set.
        """
        sid = item.get('frame_dir')
        if sid is None:
            raise KeyError(f'{self.dataset_name}: an annotation in '
                           f'{self.ann_file} has no frame_dir')
        item = dict(item)
        item['sample_id'] = sid
        if 'keypoint' not in item:
            raise KeyError(self._err(sid, 'no keypoint array'))
        kp = np.asarray(item['keypoint'])
        if kp.ndim != 4:
            raise ValueError(
                self._err(sid, f'keypoint has shape {kp.shape}, expected '
                          '(M, T, V, C)'))
        m, t, v, c = kp.shape
        if self.num_keypoints is not None and v != self.num_keypoints:
            raise ValueError(
                self._err(sid, f'keypoint has {v} joints, expected '
                          f'{self.num_keypoints}'))
        if c not in (2, 3):
            raise ValueError(
                self._err(sid, f'keypoint has {c} coordinates per joint, '
                          'expected 2 (x, y) or 3'))
        if 'keypoint_score' in item:
            ks = np.asarray(item['keypoint_score'])
            if ks.shape != (m, t, v):
                raise ValueError(
                    self._err(sid, f'keypoint_score has shape {ks.shape}, '
                              f'expected {(m, t, v)} to match keypoint'))
        total = item.setdefault('total_frames', t)
        if total != t:
            raise ValueError(
                self._err(sid, f'total_frames is {total} but keypoint has '
                          f'{t} frames'))
        if 'img_shape' not in item:
            raise KeyError(self._err(sid, 'no img_shape (H, W)'))
        if hidden_label:
            item.pop('label', None)
        elif 'label' not in item:
            raise KeyError(self._err(sid, 'no label'))
        else:
            label = int(item['label'])
            item['label'] = label
            if self.num_classes is not None and \
                    not 0 <= label < self.num_classes:
                raise ValueError(
                    self._err(sid, f'label {label} is out of range '
                              f'[0, {self.num_classes})'))
            if self.hierarchy is not None:
                item['coarse_label'] = self.hierarchy[label]
        if self.rgb_source == 'video':
            item['filename'] = osp.join(
                self.data_prefix.get('video', '') or '',
                video_name or self.video_tmpl.format(sid))
            if self.check_files and not osp.isfile(item['filename']):
                raise FileNotFoundError(
                    self._err(sid, f'video {item["filename"]} not found'))
        elif self.rgb_source == 'frames':
            item['rgb_frame_dir'] = osp.join(
                self.data_prefix.get('frames', '') or '', sid)
            item['filename_tmpl'] = self.frame_tmpl
            item['frame_start_index'] = self.frame_start
            if self.check_files and not osp.isdir(item['rgb_frame_dir']):
                raise FileNotFoundError(
                    self._err(sid, f'frame folder {item["rgb_frame_dir"]} '
                              'not found'))
        return item

    def load_data_list(self) -> List[Dict]:
        """Load, select the split and validate every annotation."""
        data = self._load_pkl()
        return [self._finish(a) for a in self._select_split(data)]


_MA52_NAME = re.compile(r'^(\d{4})_(\d{2})_(\d{4})$')


@DATASETS.register_module()
class MA52Dataset(RGBPoseDataset):
    """MA-52 list file joined with a skeleton pkl.

    MA-52 ships ``{train,val,test}_list_videos.txt`` with one
    ``SSSS_BB_NNNN.mp4 label`` per line (subject, body-part group = coarse
    id, clip number) and videos in ``videos_{train,val,test}/``. The list
    defines the samples and labels; skeletons are taken from ``ann_file`` by
    ``frame_dir == SSSS_BB_NNNN`` (28 joints per person by default).

    Extra checks (errors name the list file line and the sample): the name
    matches ``SSSS_BB_NNNN`` (``strict_names``), ``BB`` equals the coarse
    group of the label, the pkl has the sample, and a label in the pkl
    agrees with the list.

    **Official test split** (``hidden_labels=True``): the released
    ``test_list_videos.txt`` has lines ``test0000.mp4 0``: the labels are
    hidden (every one is a placeholder 0) and the names do not follow
    ``SSSS_BB_NNNN``. The placeholders are read and discarded (the second
    column must still be an integer), names are not checked, and the
    samples carry no ``label`` / ``coarse_label``: no metric can be computed
    on them. Use ``MA52SubmissionMetric`` to write the challenge submission
    file instead (``configs/_base_/datasets/ma52_rgbpose.py`` does this for
    the test split); ``HierarchicalActionMetric`` refuses such samples.

    Args:
        list_file (str): MA-52 list file (relative paths join ``data_root``).
        ann_file (str): Skeleton pkl holding (at least) the listed clips.
        strict_names (bool): Require ``SSSS_BB_NNNN`` names and check ``BB``
            (ignored with ``hidden_labels``).
        hidden_labels (bool): The list is a challenge test split whose labels
            are hidden placeholders (see above). Defaults to False.
        **kwargs: See :class:`RGBPoseDataset`; defaults ``hierarchy='ma52'``,
            ``num_keypoints=28``, ``dataset_name='MA-52'``.
    """

    def __init__(self,
                 list_file: str,
                 ann_file: str,
                 pipeline: List[Union[Dict, Callable]],
                 strict_names: bool = True,
                 hidden_labels: bool = False,
                 hierarchy: Optional[Union[str, List[int]]] = 'ma52',
                 num_keypoints: Optional[int] = 28,
                 dataset_name: str = 'MA-52',
                 **kwargs) -> None:
        data_root = kwargs.get('data_root') or ''
        if data_root and not osp.isabs(list_file):
            list_file = osp.join(data_root, list_file)
        self.list_file = list_file
        self.strict_names = strict_names
        self.hidden_labels = hidden_labels
        super().__init__(
            ann_file,
            pipeline=pipeline,
            hierarchy=hierarchy,
            num_keypoints=num_keypoints,
            dataset_name=dataset_name,
            **kwargs)

    def _read_list(self) -> List[Dict]:
        if not osp.isfile(self.list_file):
            raise FileNotFoundError(
                f'{self.dataset_name}: list file {self.list_file} not found')
        entries = []
        with open(self.list_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                where = f'{self.dataset_name} list {self.list_file} line ' \
                        f'{lineno}'
                parts = line.split()
                if len(parts) != 2:
                    raise ValueError(f'{where}: expected "<name>.mp4 <label>"'
                                     f', got {line!r}')
                name, label = parts
                sid = osp.splitext(name)[0]
                try:
                    label = int(label)
                except ValueError:
                    raise ValueError(f'{where}: sample {sid}: label '
                                     f'{label!r} is not an integer')
                if self.strict_names and not self.hidden_labels:
                    m = _MA52_NAME.match(sid)
                    if m is None:
                        raise ValueError(
                            f'{where}: sample {sid}: name does not match '
                            'SSSS_BB_NNNN (set strict_names=False to allow)')
                    group = int(m.group(2))
                    if (self.hierarchy is not None
                            and 0 <= label < len(self.hierarchy)
                            and self.hierarchy[label] != group):
                        raise ValueError(
                            f'{where}: sample {sid}: body-part group '
                            f'{group:02d} in the name but label {label} '
                            f'belongs to group {self.hierarchy[label]}')
                entries.append(dict(sid=sid, name=name, label=label,
                                    where=where))
        return entries

    def load_data_list(self) -> List[Dict]:
        """Join the list with the pkl, then validate like the base class."""
        data = self._load_pkl()
        annos = self._select_split(data)
        by_id = {a['frame_dir']: a for a in annos}
        out = []
        for e in self._read_list():
            if e['sid'] not in by_id:
                raise KeyError(f"{e['where']}: sample {e['sid']} has no "
                               f'skeleton in {self.ann_file}'
                               + (f' split {self.split!r}' if self.split
                                  else ''))
            item = dict(by_id[e['sid']])
            item['list_name'] = e['name']
            if self.hidden_labels:
                out.append(self._finish(item, video_name=e['name'],
                                        hidden_label=True))
                continue
            if 'label' in item and int(item['label']) != e['label']:
                raise ValueError(
                    f"{e['where']}: sample {e['sid']} has label {e['label']}"
                    f" in the list but {item['label']} in {self.ann_file}")
            item['label'] = e['label']
            out.append(self._finish(item, video_name=e['name']))
        return out
