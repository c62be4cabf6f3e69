# Copyright (c) mmext contributors. All rights reserved.
"""Frame-interpolation transforms on ``results['img0']``, ``['img1']`` and
``['gt']`` (``H x W x 3`` RGB arrays) and the time ``results['t']``."""
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.structures import BaseDataElement

from mmext.registry import TRANSFORMS

__all__ = [
    'read_rgb', 'LoadVFIFrames', 'VFIRandomCrop', 'VFIRandomFlip',
    'VFIChannelReverse', 'VFITemporalSwap', 'VFIRandomRotate90',
    'VFIResize', 'VFICenterCrop', 'PackVFIInputs'
]

KEYS = ('img0', 'img1', 'gt')


class BaseTransform:
    """A callable ``results -> results`` (mmengine's ``Compose`` calls
    it); the VFI line needs no mmcv."""

    def __call__(self, results: Dict) -> Dict:
        return self.transform(results)

    def transform(self, results: Dict) -> Dict:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}({vars(self)})'


def read_rgb(path: str, allow_conversion: bool = False) -> np.ndarray:
    """Read an 8-bit RGB image, refusing what the benchmarks never contain.

    Args:
        path (str): Image file.
        allow_conversion (bool): Convert instead of refusing: grayscale ->
            3 equal channels, 16-bit -> 8-bit (``round(v / 257)``), RGBA ->
            RGB (alpha dropped). Defaults to False.

    Returns:
        np.ndarray: ``H x W x 3`` uint8, RGB.
    """
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(f'cannot read image {path} (missing, empty '
                                f'or not an image file)')
    problems = []
    if img.dtype != np.uint8:
        problems.append(f'{img.dtype} samples (16-bit?)')
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        problems.append('one channel (grayscale)')
    elif img.shape[2] == 4:
        problems.append('an alpha channel')
    if problems and not allow_conversion:
        raise ValueError(
            f'image {path} has {" and ".join(problems)}; the VFI benchmarks '
            f'are 8-bit RGB. Convert it, or set allow_conversion=True in '
            f'LoadVFIFrames (gray -> RGB, 16-bit -> 8-bit, alpha dropped)')
    if img.dtype == np.uint16:
        img = np.round(img.astype(np.float64) / 257.0).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise ValueError(f'image {path}: unsupported sample type {img.dtype}')
    if img.ndim == 2:
        img = img[..., None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img[..., 2::-1])  # BGR(A) -> RGB


@TRANSFORMS.register_module()
class LoadVFIFrames(BaseTransform):
    """Load ``img0_path``, ``img1_path`` and ``gt_path`` (RGB uint8) and
    check that the three frames have one size.

    Args:
        allow_conversion (bool): See :func:`read_rgb`. Defaults to False.
    """

    def __init__(self, allow_conversion: bool = False) -> None:
        self.allow_conversion = allow_conversion

    def transform(self, results: Dict) -> Dict:
        for key in KEYS:
            results[key] = read_rgb(results[f'{key}_path'],
                                    self.allow_conversion)
        shapes = {results[f'{k}_path']: results[k].shape[:2] for k in KEYS}
        if len(set(shapes.values())) != 1:
            raise ValueError(f'frames of one sample differ in size: '
                             f'{shapes}')
        results['ori_shape'] = results['gt'].shape[:2]
        return results


def _apply(results: Dict, fn) -> None:
    for key in KEYS:
        results[key] = np.ascontiguousarray(fn(results[key]))


@TRANSFORMS.register_module()
class VFIRandomCrop(BaseTransform):
    """The same random crop from the three frames.

    ``results['crop_size']`` (set by a curriculum) overrides ``crop_size``.

    Args:
        crop_size (int | tuple[int, int]): ``(h, w)``. Defaults to 256.
    """

    def __init__(self, crop_size=256) -> None:
        self.crop_size = crop_size

    def transform(self, results: Dict) -> Dict:
        size = results.get('crop_size', self.crop_size)
        ch, cw = (size, size) if isinstance(size, int) else size
        h, w = results['gt'].shape[:2]
        if ch > h or cw > w:
            raise ValueError(
                f'VFIRandomCrop: crop {ch}x{cw} is larger than the {h}x{w} '
                f'frames of {results.get("gt_path", "?")}')
        y = np.random.randint(0, h - ch + 1)
        x = np.random.randint(0, w - cw + 1)
        _apply(results, lambda a: a[y:y + ch, x:x + cw])
        return results


@TRANSFORMS.register_module()
class VFIRandomFlip(BaseTransform):
    """Vertical and horizontal flips, each with probability ``prob``."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() < self.prob:
            _apply(results, lambda a: a[::-1])
        if np.random.rand() < self.prob:
            _apply(results, lambda a: a[:, ::-1])
        return results


@TRANSFORMS.register_module()
class VFIChannelReverse(BaseTransform):
    """Reverse the colour channels (RGB <-> BGR) with probability
    ``prob``."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() < self.prob:
            _apply(results, lambda a: a[..., ::-1])
        return results


@TRANSFORMS.register_module()
class VFITemporalSwap(BaseTransform):
    """Swap the input frames (and ``t -> 1 - t``) with probability
    ``prob``."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() < self.prob:
            results['img0'], results['img1'] = results['img1'], results[
                'img0']
            results['t'] = 1.0 - float(results.get('t', 0.5))
        return results


@TRANSFORMS.register_module()
class VFIRandomRotate90(BaseTransform):
    """Rotate by 90, 180 or 270 degrees, each with probability ``prob / 3``
    (EMA-VFI: 0.25 each, i.e. ``prob=0.75``)."""

    def __init__(self, prob: float = 0.75) -> None:
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        p = np.random.rand()
        if p < self.prob:
            k = 1 + int(3 * p / self.prob)
            _apply(results, lambda a: np.rot90(a, k))
        return results


_INTERP = {'area': cv2.INTER_AREA, 'bilinear': cv2.INTER_LINEAR,
           'bicubic': cv2.INTER_CUBIC}


@TRANSFORMS.register_module()
class VFIResize(BaseTransform):
    """Resize the three frames to ``(width, height)`` (Xiph's and X-TEST's
    2K versions: ``(2048, 1080)`` with area interpolation).

    Args:
        size (tuple[int, int]): ``(width, height)``.
        interpolation (str): ``'area'``, ``'bilinear'`` or ``'bicubic'``.
            Defaults to 'area'.
        to_float (bool): Resize float32 images in ``[0, 1]`` instead of
            uint8 (X-TEST does; Xiph resizes the 8-bit images).
            Defaults to False.
    """

    def __init__(self, size: Sequence[int], interpolation: str = 'area',
                 to_float: bool = False) -> None:
        if interpolation not in _INTERP:
            raise ValueError(f'interpolation must be one of '
                             f'{tuple(_INTERP)}, got {interpolation!r}')
        self.size = tuple(int(s) for s in size)
        self.interpolation = _INTERP[interpolation]
        self.to_float = to_float

    def transform(self, results: Dict) -> Dict:
        for key in KEYS:
            img = results[key]
            if self.to_float:
                img = img.astype(np.float32) * (1.0 / 255.0)
            results[key] = cv2.resize(img, self.size,
                                      interpolation=self.interpolation)
        return results


@TRANSFORMS.register_module()
class VFICenterCrop(BaseTransform):
    """Centre crop to ``(height, width)`` (Xiph 4K: 2160x4096 -> 1080x2048,
    the scripts' ``[540:-540, 1024:-1024]``)."""

    def __init__(self, size: Tuple[int, int]) -> None:
        self.size = tuple(int(s) for s in size)

    def transform(self, results: Dict) -> Dict:
        ch, cw = self.size
        h, w = results['gt'].shape[:2]
        if ch > h or cw > w:
            raise ValueError(f'VFICenterCrop: {ch}x{cw} is larger than the '
                             f'{h}x{w} frames of '
                             f'{results.get("gt_path", "?")}')
        y, x = (h - ch) // 2, (w - cw) // 2
        _apply(results, lambda a: a[y:y + ch, x:x + cw])
        return results


@TRANSFORMS.register_module()
class PackVFIInputs(BaseTransform):
    """``inputs``: ``(2, 3, H, W)`` tensor of the input frames; a
    ``BaseDataElement`` with ``gt_img`` ``(3, H, W)`` and meta ``t``,
    ``key`` and the paths."""

    meta_keys = ('t', 'key', 'img0_path', 'img1_path', 'gt_path',
                 'ori_shape')

    def transform(self, results: Dict) -> Dict:

        def chw(a):
            return torch.from_numpy(np.ascontiguousarray(
                a.transpose(2, 0, 1)))

        inputs = torch.stack((chw(results['img0']), chw(results['img1'])))
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta['t'] = float(results.get('t', 0.5))
        sample = BaseDataElement(metainfo=meta)
        sample.gt_img = chw(results['gt'])
        return dict(inputs=inputs, data_samples=sample)
