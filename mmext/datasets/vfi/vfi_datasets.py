# Copyright (c) mmext contributors. All rights reserved.
"""Frame-interpolation datasets in their published layouts.

Every dataset yields records ``img0_path``, ``img1_path``, ``gt_path``,
``t`` and ``key`` for the pipeline (``LoadVFIFrames`` ...). Paths named by
a list that do not exist are reported (the first few, with the list file)
when the dataset is built. See docs/vfi/data.md.
"""
import glob
import hashlib
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.dist import get_world_size

from mmext.registry import DATASETS

__all__ = [
    'Vimeo90KTripletDataset', 'UCF101TripletDataset', 'SNUFILMDataset',
    'MiddleburyOtherDataset', 'XiphDataset', 'X4KTrainDataset',
    'XTestDataset', 'MixedVFIDataset', 'holdout_names'
]


def _check_exist(records: List[Dict], source: str) -> None:
    missing = list(dict.fromkeys(
        r[k] for r in records for k in ('img0_path', 'img1_path', 'gt_path')
        if not osp.isfile(r[k])))
    if missing:
        more = f' (and {len(missing) - 3} more)' if len(missing) > 3 else ''
        raise FileNotFoundError(
            f'{source} names frames that do not exist: {missing[:3]}{more}')


def _read_list(path: str) -> List[str]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'list file {path} does not exist')
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


class _VFIBase(BaseDataset):
    """Shared: ``check_files`` and no metainfo file."""

    def __init__(self, *args, check_files: bool = True, **kwargs) -> None:
        self.check_files = check_files
        super().__init__(*args, **kwargs)

    def _finish(self, records: List[Dict], source: str) -> List[Dict]:
        if not records:
            raise ValueError(f'{source}: no samples found')
        if self.check_files:
            _check_exist(records, source)
        return records


VAL_SPLIT_UNITS = ('folder', 'sequence')


def holdout_names(names: Sequence[str], fraction: float,
                  by: str = 'folder') -> List[str]:
    """The names of a Vimeo-90K list held out for validation.

    Names are ``xxxxx/xxxx``. The unit held out whole is the top-level
    folder ``xxxxx`` (``by='folder'``) or the sequence ``xxxxx/xxxx``
    (``by='sequence'``). The ``max(1, round(fraction * units))`` units with
    the smallest MD5 of their name are held out: deterministic, independent
    of the list's order and of the machine, and a unit never straddles the
    split.

    Args:
        names (Sequence[str]): The list's entries.
        fraction (float): Share of the units to hold out, in (0, 1).
        by (str): ``'folder'`` or ``'sequence'``. Defaults to 'folder'.

    Returns:
        list[str]: The held-out names, in list order.
    """
    if by not in VAL_SPLIT_UNITS:
        raise ValueError(f'val_by must be one of {VAL_SPLIT_UNITS}, got '
                         f'{by!r}')
    if not 0 < fraction < 1:
        raise ValueError(f'val_fraction must be in (0, 1), got {fraction}')

    def unit(name):
        return name.split('/')[0] if by == 'folder' else name

    units = sorted(set(unit(n) for n in names),
                   key=lambda u: hashlib.md5(u.encode()).hexdigest())
    if len(units) < 2:
        raise ValueError(
            f'cannot hold out a validation split by {by}: the list has '
            f'{len(units)} {by}(s); use val_by=\'sequence\'')
    k = min(len(units) - 1, max(1, round(fraction * len(units))))
    held = set(units[:k])
    return [n for n in names if unit(n) in held]


@DATASETS.register_module()
class Vimeo90KTripletDataset(_VFIBase):
    """Vimeo-90K triplets: ``tri_trainlist.txt`` / ``tri_testlist.txt`` of
    ``xxxxx/xxxx`` names and ``sequences/xxxxx/xxxx/im{1,2,3}.png``
    (im1, im3 in, im2 the middle frame).

    ``split`` selects part of the list for model selection without the test
    list: ``'val'`` is the part :func:`holdout_names` holds out
    (``val_fraction`` of the top-level folders by default), ``'train'``
    the rest, ``'all'`` the whole list. The phase configs train on
    ``tri_trainlist.txt`` with ``split='train'``, validate (and pick the
    best checkpoint) on ``split='val'`` of the same list, and leave
    ``tri_testlist.txt`` to ``tools/test.py``.

    Args:
        data_root (str): Folder holding the list and ``sequences/``.
        ann_file (str): ``'tri_trainlist.txt'`` or ``'tri_testlist.txt'``.
        pipeline (list): Transforms.
        split (str): ``'all'``, ``'train'`` or ``'val'``. Defaults to
            'all'.
        val_fraction (float): Share held out for ``'val'``. Defaults to
            0.02.
        val_by (str): Unit held out whole, ``'folder'`` (``xxxxx``) or
            ``'sequence'`` (``xxxxx/xxxx``). Defaults to 'folder'.
        check_files (bool): Check every listed frame exists. Defaults to
            True.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments.
    """

    SPLITS = ('all', 'train', 'val')

    def __init__(self, *args, split: str = 'all', val_fraction: float = 0.02,
                 val_by: str = 'folder', **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'Vimeo90KTripletDataset: split must be one of '
                             f'{self.SPLITS}, got {split!r}')
        if val_by not in VAL_SPLIT_UNITS:
            raise ValueError(f'Vimeo90KTripletDataset: val_by must be one '
                             f'of {VAL_SPLIT_UNITS}, got {val_by!r}')
        self.split = split
        self.val_fraction = val_fraction
        self.val_by = val_by
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[Dict]:
        ann = self.ann_file
        seq = osp.join(self.data_root, 'sequences')
        names = _read_list(ann)
        source = ann
        if self.split != 'all':
            try:
                held = set(holdout_names(names, self.val_fraction,
                                         self.val_by))
            except ValueError as err:
                raise ValueError(f'{ann}: {err}') from None
            names = [n for n in names if (n in held) == (self.split == 'val')]
            source = (f'{ann} (split={self.split!r}, val_fraction='
                      f'{self.val_fraction}, val_by={self.val_by!r})')
        records = []
        for name in names:
            folder = osp.join(seq, name)
            records.append(
                dict(img0_path=osp.join(folder, 'im1.png'),
                     gt_path=osp.join(folder, 'im2.png'),
                     img1_path=osp.join(folder, 'im3.png'), t=0.5,
                     key=name))
        return self._finish(records, source)


@DATASETS.register_module()
class UCF101TripletDataset(_VFIBase):
    """UCF101 (DVF's test set): one folder per triplet with
    ``frame_00.png``, ``frame_01_gt.png`` and ``frame_02.png``."""

    def load_data_list(self) -> List[Dict]:
        root = self.data_root
        if not osp.isdir(root):
            raise FileNotFoundError(f'UCF101 data_root {root} does not exist')
        records = [
            dict(img0_path=osp.join(root, d, 'frame_00.png'),
                 gt_path=osp.join(root, d, 'frame_01_gt.png'),
                 img1_path=osp.join(root, d, 'frame_02.png'), t=0.5, key=d)
            for d in sorted(os.listdir(root))
            if osp.isdir(osp.join(root, d))
        ]
        return self._finish(records, f'UCF101 folder {root}')


@DATASETS.register_module()
class SNUFILMDataset(_VFIBase):
    """SNU-FILM: ``test-{easy,medium,hard,extreme}.txt``, each line three
    frame paths (input, middle, input). The published lists start with
    ``data/SNU-FILM/``; paths are tried relative to ``data_root`` and, when
    that fails, with that prefix removed."""

    PREFIX = 'data/SNU-FILM/'

    def load_data_list(self) -> List[Dict]:
        ann = self.ann_file
        records = []
        for i, line in enumerate(_read_list(ann)):
            parts = line.split()
            if len(parts) != 3:
                raise ValueError(f'{ann} line {i + 1}: expected 3 paths, got '
                                 f'{len(parts)}: {line!r}')
            paths = []
            for p in parts:
                full = osp.join(self.data_root, p)
                if not osp.exists(full) and p.startswith(self.PREFIX):
                    full = osp.join(self.data_root, p[len(self.PREFIX):])
                paths.append(full)
            records.append(dict(img0_path=paths[0], gt_path=paths[1],
                                img1_path=paths[2], t=0.5, key=parts[1]))
        return self._finish(records, ann)


@DATASETS.register_module()
class MiddleburyOtherDataset(_VFIBase):
    """Middlebury "other" set: ``other-data/<name>/frame10.png``,
    ``frame11.png`` and ``other-gt-interp/<name>/frame10i11.png``."""

    def load_data_list(self) -> List[Dict]:
        gt_root = osp.join(self.data_root, 'other-gt-interp')
        if not osp.isdir(gt_root):
            raise FileNotFoundError(f'Middlebury: {gt_root} does not exist')
        records = [
            dict(img0_path=osp.join(self.data_root, 'other-data', n,
                                    'frame10.png'),
                 img1_path=osp.join(self.data_root, 'other-data', n,
                                    'frame11.png'),
                 gt_path=osp.join(gt_root, n, 'frame10i11.png'), t=0.5,
                 key=n) for n in sorted(os.listdir(gt_root))
        ]
        return self._finish(records, f'Middlebury {self.data_root}')


@DATASETS.register_module()
class XiphDataset(_VFIBase):
    """Xiph 4K clips as the benchmark scripts read them: one folder of
    ``<Clip>-<NNN>.png`` frames; for every even ``NNN`` in 2..98 the frame
    is predicted from ``NNN - 1`` and ``NNN + 1``. The 2K / 4K-crop
    variants are pipeline steps (``VFIResize`` / ``VFICenterCrop``).

    Args:
        clips (Sequence[str], optional): Clip names. Defaults to the eight
            of the benchmark.
        frames (Sequence[int]): Middle-frame numbers. Defaults to
            ``range(2, 99, 2)``.
    """

    CLIPS = ('BoxingPractice', 'Crosswalk', 'DrivingPOV', 'FoodMarket',
             'FoodMarket2', 'RitualDance', 'SquareAndTimelapse', 'Tango')

    def __init__(self, *args, clips: Optional[Sequence[str]] = None,
                 frames: Sequence[int] = tuple(range(2, 99, 2)),
                 **kwargs) -> None:
        self.clips = tuple(clips or self.CLIPS)
        self.frames = tuple(frames)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[Dict]:

        def path(clip, n):
            return osp.join(self.data_root, f'{clip}-{n:03d}.png')

        records = [
            dict(img0_path=path(c, n - 1), gt_path=path(c, n),
                 img1_path=path(c, n + 1), t=0.5, key=f'{c}-{n:03d}')
            for c in self.clips for n in self.frames
        ]
        return self._finish(records, f'Xiph folder {self.data_root}')


def _scene_frames(root: str, name: str) -> List[List[str]]:
    if not osp.isdir(root):
        raise FileNotFoundError(f'{name}: {root} does not exist')
    scenes = sorted(glob.glob(osp.join(root, '*', '*', '')))
    out = []
    for s in scenes:
        frames = sorted(glob.glob(osp.join(s, '*.png')))
        if frames:
            out.append(frames)
    if not out:
        raise ValueError(f'{name}: no <type>/<scene>/*.png frames under '
                         f'{root}')
    return out


@DATASETS.register_module()
class XTestDataset(_VFIBase):
    """X4K1000FPS test set (X-TEST): ``test/<type>/<scene>/NNNN.png``, 33
    frames a scene; x8 interpolation between frames ``0`` and ``32``
    predicts frames ``4, 8, ..., 28`` (``t = k / 8``), as XVFI / EMA-VFI
    evaluate it.

    Args:
        multiple (int): Interpolation factor. Defaults to 8.
        step (int): Frame distance of the input pair. Defaults to 32.
    """

    def __init__(self, *args, multiple: int = 8, step: int = 32,
                 **kwargs) -> None:
        self.multiple = multiple
        self.step = step
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[Dict]:
        records = []
        for frames in _scene_frames(self.data_root, 'X-TEST'):
            if len(frames) < self.step + 1:
                raise ValueError(
                    f'X-TEST scene {osp.dirname(frames[0])} has '
                    f'{len(frames)} frames, needs {self.step + 1}')
            for idx in range(0, len(frames) - 1, self.step):
                if idx + self.step >= len(frames):
                    break
                for k in range(1, self.multiple):
                    mid = idx + (self.step // self.multiple) * k
                    records.append(
                        dict(img0_path=frames[idx],
                             img1_path=frames[idx + self.step],
                             gt_path=frames[mid], t=k / self.multiple,
                             key=f'{frames[mid]}'))
        return self._finish(records, f'X-TEST {self.data_root}')


@DATASETS.register_module()
class X4KTrainDataset(_VFIBase):
    """X4K1000FPS training clips: ``train/<type>/<scene>/NNNN.png``, 65
    frames each. A sample picks a span ``s`` (even, 2..``max_span``), a
    start frame and a target frame strictly inside, so ``t = k / s``.

    ``max_span`` and ``crop_size`` follow a curriculum when
    :class:`~mmext.engine.hooks.DataCurriculumHook` calls
    :meth:`set_curriculum`.

    Args:
        max_span (int): Largest frame distance of the input pair.
            Defaults to 32.
        crop_size (int, optional): Passed to ``VFIRandomCrop`` through
            ``results['crop_size']``.
        seed (int): Sampling seed (with the epoch and the index).
    """

    def __init__(self, *args, max_span: int = 32,
                 crop_size: Optional[int] = None, seed: int = 0,
                 **kwargs) -> None:
        self.max_span = max_span
        self.crop_size = crop_size
        self.seed = seed
        self.epoch = 0
        super().__init__(*args, **kwargs)

    def set_curriculum(self, epoch: int, crop_size=None,
                       max_span: Optional[int] = None) -> None:
        self.epoch = epoch
        if crop_size is not None:
            self.crop_size = crop_size
        if max_span is not None:
            self.max_span = max_span

    def load_data_list(self) -> List[Dict]:
        scenes = _scene_frames(self.data_root, 'X4K1000FPS train')
        return [dict(frames=f, key=osp.dirname(f[0])) for f in scenes]

    def get_data_info(self, idx: int) -> Dict:
        info = super().get_data_info(idx)
        frames = info.pop('frames')
        n = len(frames)
        rng = np.random.default_rng([self.seed, self.epoch, idx])
        top = min(self.max_span, n - 1)
        span = int(rng.integers(1, top // 2 + 1)) * 2 if top >= 2 else 1
        if span < 2:
            raise ValueError(f'X4K scene {info["key"]} has {n} frames; '
                             f'need at least 3')
        start = int(rng.integers(0, n - span))
        k = int(rng.integers(1, span))
        info.update(img0_path=frames[start], img1_path=frames[start + span],
                    gt_path=frames[start + k], t=k / span)
        if self.crop_size is not None:
            info['crop_size'] = self.crop_size
        return info


@DATASETS.register_module()
class MixedVFIDataset:
    """Mix datasets by a batch ratio with one source per batch (frames of a
    batch must share a size; X4K crops grow past Vimeo's 256 rows).

    Batch ``j`` of each rank comes from source ``pattern[j % sum(ratio)]``
    (e.g. ratio ``(2, 1)``: X4K, X4K, Vimeo, ...) and item ``i`` draws a
    random index of that source from ``(seed, epoch, i)``. Use it with
    ``DefaultSampler(shuffle=False)`` and the same ``batch_size`` as the
    dataloader.

    Args:
        datasets (Sequence[dict]): Dataset configs.
        ratio (Sequence[int]): Batches per source in one cycle.
        batch_size (int): The dataloader's batch size.
        num_samples (int): Length of one epoch.
        seed (int): Sampling seed. Defaults to 0.
        max_crop (Sequence[int], optional): Per source, the largest crop
            its frames allow (the curriculum's crop is capped by it).
    """

    def __init__(self, datasets: Sequence, ratio: Sequence[int],
                 batch_size: int, num_samples: int, seed: int = 0,
                 max_crop: Optional[Sequence[Optional[int]]] = None) -> None:
        self.datasets = [
            DATASETS.build(d) if isinstance(d, dict) else d for d in datasets
        ]
        if len(ratio) != len(self.datasets) or min(ratio) < 1:
            raise ValueError(f'MixedVFIDataset: ratio {tuple(ratio)} needs '
                             f'one positive int per dataset '
                             f'({len(self.datasets)})')
        self.pattern = [i for i, r in enumerate(ratio) for _ in range(r)]
        self.batch_size = batch_size
        self.num_samples = num_samples
        self.seed = seed
        self.epoch = 0
        self.crop_size = None
        self.max_crop = list(max_crop or [None] * len(self.datasets))
        self.world_size = get_world_size()
        self.metainfo = dict(sources=[type(d).__name__
                                      for d in self.datasets])

    def set_curriculum(self, epoch: int, crop_size=None,
                       max_span: Optional[int] = None) -> None:
        self.epoch = epoch
        self.crop_size = crop_size
        for d in self.datasets:
            if hasattr(d, 'set_curriculum'):
                d.set_curriculum(epoch, None, max_span)

    def __len__(self) -> int:
        return self.num_samples

    def source_of(self, idx: int) -> int:
        """Index of the dataset that item ``idx`` comes from."""
        batch = idx // (self.batch_size * self.world_size)
        return self.pattern[batch % len(self.pattern)]

    def __getitem__(self, idx: int):
        src = self.source_of(idx)
        ds = self.datasets[src]
        rng = np.random.default_rng([self.seed, self.epoch, idx])
        inner = int(rng.integers(0, len(ds)))
        if self.crop_size is not None:
            crop = self.crop_size
            if self.max_crop[src]:
                crop = min(crop, self.max_crop[src])
            info = ds.get_data_info(inner)
            info['crop_size'] = crop
            return ds.pipeline(info)
        return ds[inner]
