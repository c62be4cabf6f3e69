# Copyright (c) mmext contributors. All rights reserved.
"""Human3.6M in MotionBERT/MotionAGFormer's preprocessed formats."""
import glob
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmpose.registry import DATASETS

from mmext.structures.h36m import H36M_CAMERA_RESOLUTION
from .base_lifting_dataset import BaseLiftingClipDataset
from .utils import (check_array, denormalize_screen, load_pickle,
                    parse_h36m_source, split_clips)

#: keys every split of the pickle must have / the test split must add.
REQUIRED_KEYS = ('joint_2d', 'joint3d_image', 'camera_name', 'source')
TEST_KEYS = ('2.5d_factor', 'action')


@DATASETS.register_module()
class H36MMotionBERTDataset(BaseLiftingClipDataset):
    """Human3.6M as preprocessed by MotionBERT (used by MotionAGFormer).

    Two layouts are read:

    * ``'pickle'``: ``h36m_sh_conf_cam_source_final.pkl``, a dict
      ``{'train': {...}, 'test': {...}}`` of per-frame arrays: ``joint_2d``
      (N, 17, 2) detected pixels, ``confidence`` (N, 17, 1),
      ``joint3d_image`` (N, 17, 3) ground truth in image space (x, y pixels,
      depth relative to the root scaled to pixels), ``camera_name`` (N,),
      ``source`` (N,) video id like ``'s_09_act_05_subact_02_ca_01'``; the
      test split adds ``joints_2.5d_image``, ``2.5d_factor`` (N,) (mm per
      pixel) and ``action`` (N,). Clips are cut per ``source`` with
      MotionBERT's ``split_clips`` (train stride ``seq_len // 3``, test stride
      ``seq_len``).
    * ``'clips'``: MotionAGFormer's pre-cut ``H36M-<T>/{train,test}/%08d.pkl``
      files, each ``{'data_input': (T, 17, 3) normalised x, y, conf,
      'data_label': (T, 17, 3) normalised joint3d_image}``. They carry no
      metadata, so the test split needs ``meta_file`` (the pickle above) for
      the 2.5d factors, actions and camera sizes used in evaluation.

    Each sample holds, for the ``MotionBERTLabel`` codec: ``keypoints``
    (T, 17, 2) pixels, ``keypoints_visible`` (T, 17) detector confidence,
    ``lifting_target`` (T, 17, 3) = ``joint3d_image / 1000`` (the codec
    expects image coordinates in units of 1000 px), ``lifting_target_visible``
    (T, 17), ``camera_param`` ``dict(w, h, name)``, ``factor`` (T,) 2.5d
    factor (0 where unknown), and the evaluation metadata ``action``,
    ``source``, ``video`` (source without camera), ``subject``, ``frame_ids``
    (T,) global frame index, ``target_img_path`` (T,) pseudo image names
    ``'S9_Directions.54138969_000001'`` that mmpose's own ``MPJPE`` metric can
    parse.

    Args:
        ann_file (str): the pickle, or a clip folder (``H36M-243`` holding
            ``train/`` and ``test/``, or a split folder itself).
        seq_len (int): clip length T. In clips mode, ``None`` takes it from
            the first file. Default: 243.
        split (str, optional): ``'train'`` or ``'test'``; default ``'test'``
            when ``test_mode`` else ``'train'``.
        data_stride (int, optional): step between clip starts; default
            ``seq_len // 3`` for train, ``seq_len`` for test (MotionBERT).
        sample_stride (int): temporal subsampling of the pickle frames.
        data_mode (str): ``'auto'`` (folder -> clips, file -> pickle),
            ``'pickle'`` or ``'clips'``.
        meta_file (str, optional): the pickle, for clips-mode metadata.
        read_confidence (bool): use the pickle's ``confidence`` as
            ``keypoints_visible`` (else ones). Default: True.
        camera_resolution (dict, optional): camera name -> (w, h); default
            the four H36M cameras.
        **kwargs: :class:`BaseLiftingClipDataset` arguments (``data_root``,
            ``pipeline``, ``test_mode``, ``metainfo``, ``indices`` ...).
    """

    def __init__(self,
                 ann_file: str = '',
                 seq_len: Optional[int] = 243,
                 split: Optional[str] = None,
                 data_stride: Optional[int] = None,
                 sample_stride: int = 1,
                 data_mode: str = 'auto',
                 meta_file: Optional[str] = None,
                 read_confidence: bool = True,
                 camera_resolution: Optional[Dict[str, Sequence[int]]] = None,
                 data_root: Optional[str] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        name = type(self).__name__
        if data_mode not in ('auto', 'pickle', 'clips'):
            raise ValueError(f'{name}: data_mode={data_mode!r}, expected '
                             "'auto', 'pickle' or 'clips'")
        split = split or ('test' if test_mode else 'train')
        if split not in ('train', 'test'):
            raise ValueError(f"{name}: split={split!r}, expected 'train' or "
                             "'test'")
        if seq_len is not None and int(seq_len) < 1:
            raise ValueError(f'{name}: seq_len must be >= 1, got {seq_len}')
        if data_stride is not None and int(data_stride) < 1:
            raise ValueError(f'{name}: data_stride must be >= 1, got '
                             f'{data_stride}')
        if int(sample_stride) < 1:
            raise ValueError(f'{name}: sample_stride must be >= 1, got '
                             f'{sample_stride}')
        if not ann_file:
            raise ValueError(f'{name}: ann_file is empty; expected the '
                             'MotionBERT pickle or an H36M-<T> clip folder')
        self.seq_len = None if seq_len is None else int(seq_len)
        self.split = split
        self.data_stride = data_stride
        self.sample_stride = int(sample_stride)
        self.data_mode = data_mode
        self.meta_file = meta_file
        if meta_file and data_root and not osp.isabs(meta_file):
            self.meta_file = osp.join(data_root, meta_file)
        self.read_confidence = read_confidence
        self.camera_resolution = {
            str(k): tuple(v)
            for k, v in (camera_resolution or H36M_CAMERA_RESOLUTION).items()
        }
        self._frames: Dict[str, np.ndarray] = {}
        super().__init__(
            ann_file=ann_file, data_root=data_root, test_mode=test_mode,
            **kwargs)

    # ------------------------------------------------------------------ load
    def load_data_list(self) -> List[dict]:
        """Build one record per clip (arrays stay in ``self._frames``)."""
        mode = self.data_mode
        if mode == 'auto':
            mode = 'clips' if osp.isdir(self.ann_file) else 'pickle'
        self.resolved_mode = mode
        if mode == 'pickle':
            return self._load_pickle_mode(self.ann_file)
        return self._load_clips_mode(self.ann_file)

    def _read_split(self, path: str) -> Dict[str, np.ndarray]:
        """Read and validate one split of the MotionBERT pickle."""
        where = f'h36m pickle {path}'
        data = load_pickle(path, 'h36m pickle')
        if not isinstance(data, dict) or self.split not in data:
            keys = list(data) if isinstance(data, dict) else type(data)
            raise KeyError(f"{where}: missing split {self.split!r} (found "
                           f"{keys}; expected {{'train': ..., 'test': ...}})")
        d = data[self.split]
        need = REQUIRED_KEYS + (TEST_KEYS if self.split == 'test' else ())
        for key in need:
            if key not in d:
                raise KeyError(
                    f'{where}: missing key {key!r} under {self.split!r} '
                    f'(expected keys: {list(need)}; found: {list(d)})')
        where = f'{where} [{self.split!r}]'
        s = self.sample_stride
        out = dict(
            joint_2d=check_array(d['joint_2d'], 'joint_2d', where, 3,
                                 last_dims=(2, 3))[::s, :, :2],
            joint3d_image=check_array(d['joint3d_image'], 'joint3d_image',
                                      where, 3, last_dims=(3, ))[::s],
            camera_name=np.asarray(d['camera_name']).astype(str)[::s],
            source=np.asarray(d['source']).astype(str)[::s])
        if self.read_confidence and 'confidence' in d:
            conf = np.asarray(d['confidence'])
            if conf.ndim == 3:
                conf = check_array(conf, 'confidence', where, 3,
                                   last_dims=(1, ))[..., 0]
            out['confidence'] = check_array(conf, 'confidence', where, 2)[::s]
        if '2.5d_factor' in d:
            out['factor'] = np.asarray(d['2.5d_factor'],
                                       np.float32).reshape(-1)[::s]
        if 'action' in d:
            out['action'] = np.asarray(d['action']).astype(str)[::s]
        n = len(out['joint_2d'])
        for key, arr in out.items():
            if len(arr) != n:
                raise ValueError(
                    f'{where}: {key!r} has {len(arr)} frames but joint_2d '
                    f'has {n} (all per-frame arrays must have equal length)')
        bad = sorted(set(out['camera_name']) - set(self.camera_resolution))
        if bad:
            raise ValueError(
                f'{where}: camera_name values {bad[:5]} have no resolution '
                f'(expected one of {sorted(self.camera_resolution)}; pass '
                'camera_resolution=dict(name=(w, h)))')
        return out

    def _clip_records(self, frames: Dict[str, np.ndarray]) -> List[dict]:
        T = self.seq_len
        stride = self.data_stride or (max(T // 3, 1)
                                      if self.split == 'train' else T)
        clips = split_clips(list(frames['source']), T, stride)
        records = []
        for i, ids in enumerate(clips):
            first = int(ids[0])
            src = str(frames['source'][first])
            parsed = parse_h36m_source(src)
            action = (str(frames['action'][first]) if 'action' in frames
                      else parsed['action'] or 'unknown')
            records.append(dict(
                id=i, frame_ids=ids.astype(np.int64), source=src,
                video=parsed['video'], subject=parsed['subject'] or src,
                action=action,
                camera=str(frames['camera_name'][first])))
        return records

    def _load_pickle_mode(self, path: str) -> List[dict]:
        if self.seq_len is None:
            raise ValueError(f'{type(self).__name__}: seq_len=None is only '
                             'allowed in clips mode')
        self._frames = self._read_split(path)
        return self._clip_records(self._frames)

    def _load_clips_mode(self, folder: str) -> List[dict]:
        name = type(self).__name__
        if not osp.isdir(folder):
            raise FileNotFoundError(f'h36m clip folder {folder}: not found '
                                    f'({name}, data_mode=clips)')
        split_dir = osp.join(folder, self.split)
        if not osp.isdir(split_dir):
            split_dir = folder
        files = sorted(glob.glob(osp.join(split_dir, '*.pkl')))
        if not files:
            raise FileNotFoundError(
                f'h36m clip folder {split_dir}: no *.pkl clip files (expected '
                f'{folder}/{self.split}/%08d.pkl from MotionAGFormer\'s '
                'data/preprocess/h36m.py)')
        first = self._read_clip(files[0])
        if self.seq_len is None:
            self.seq_len = len(first['data_input'])
        elif len(first['data_input']) != self.seq_len:
            raise ValueError(
                f'h36m clip {files[0]}: {len(first["data_input"])} frames, '
                f'expected seq_len={self.seq_len}')
        records = [dict(id=i, file=f) for i, f in enumerate(files)]
        if self.meta_file:
            self._frames = self._read_split(self.meta_file)
            meta = self._clip_records(self._frames)
            if len(meta) != len(records):
                raise ValueError(
                    f'h36m clip folder {split_dir}: {len(records)} clips, but '
                    f'meta_file {self.meta_file} cut with seq_len='
                    f'{self.seq_len} gives {len(meta)} (stride or T differ)')
            for rec, m in zip(records, meta):
                rec.update({k: v for k, v in m.items() if k != 'id'})
        elif self.split == 'test':
            raise ValueError(
                f'{name}: clips mode on the test split needs meta_file (the '
                'MotionBERT pickle) for the 2.5d factors and actions used in '
                'evaluation')
        return records

    @staticmethod
    def _read_clip(path: str) -> dict:
        clip = load_pickle(path, 'h36m clip')
        if not isinstance(clip, dict):
            raise ValueError(f'h36m clip {path}: expected a dict with '
                             f"'data_input' and 'data_label', got "
                             f'{type(clip)}')
        for key in ('data_input', 'data_label'):
            if key not in clip or clip[key] is None:
                raise KeyError(f'h36m clip {path}: missing key {key!r} '
                               "(expected keys: ['data_input', 'data_label'])")
            check_array(clip[key], key, f'h36m clip {path}', 3,
                        last_dims=(3, ))
        if len(clip['data_input']) != len(clip['data_label']):
            raise ValueError(
                f'h36m clip {path}: data_input has {len(clip["data_input"])} '
                f'frames, data_label {len(clip["data_label"])}')
        return clip

    # ------------------------------------------------------------ materialize
    def _resolution(self, camera: Optional[str]) -> Tuple[float, float]:
        if camera is None:
            return 1000., 1000.
        w, h = self.camera_resolution[camera]
        return float(w), float(h)

    def materialize(self, rec: dict) -> dict:
        """Arrays of one clip in the units of mmpose's ``MotionBERTLabel``."""
        T = self.seq_len
        ids = rec.get('frame_ids')
        camera = rec.get('camera')
        w, h = self._resolution(camera)
        if 'file' in rec:
            clip = self._read_clip(rec['file'])
            if len(clip['data_input']) != T:
                raise ValueError(f'h36m clip {rec["file"]}: '
                                 f'{len(clip["data_input"])} frames, expected '
                                 f'seq_len={T}')
            # Undo the [-1, 1] normalisation with the clip's (or a nominal
            # 1000 x 1000) size: the codec's re-normalisation gives back the
            # stored values exactly.
            inp = np.asarray(clip['data_input'], np.float32)
            keypoints = denormalize_screen(inp[..., :2], w, h)
            visible = inp[..., 2]
            target = denormalize_screen(
                np.asarray(clip['data_label'], np.float32), w, h) / 1000.
        else:
            f = self._frames
            keypoints = f['joint_2d'][ids].astype(np.float32)
            visible = (f['confidence'][ids].astype(np.float32)
                       if 'confidence' in f else np.ones(
                           keypoints.shape[:2], np.float32))
            target = f['joint3d_image'][ids].astype(np.float32) / 1000.
        if ids is not None and 'factor' in self._frames:
            factor = self._frames['factor'][ids].astype(np.float32)
        else:
            factor = np.zeros(T, np.float32)
        if ids is None:
            ids = np.arange(rec['id'] * T, (rec['id'] + 1) * T)
        action = rec.get('action', 'unknown')
        subject = rec.get('subject') or 'unknown'
        cam = camera or 'unknown'
        return dict(
            id=rec['id'], category_id=1, num_keypoints=17,
            keypoints=keypoints, keypoints_visible=visible,
            lifting_target=target,
            lifting_target_visible=np.ones(target.shape[:2], np.float32),
            camera_param=dict(w=w, h=h, name=cam), factor=factor,
            action=action, source=rec.get('source', f'clip_{rec["id"]}'),
            video=rec.get('video', f'clip_{rec["id"]}'), subject=subject,
            frame_ids=np.asarray(ids, np.int64),
            target_img_path=[
                f'{subject}_{action}.{cam}_{int(i) + 1:06d}' for i in ids
            ])
