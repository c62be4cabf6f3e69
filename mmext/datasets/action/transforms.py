# Copyright (c) mmext contributors. All rights reserved.
"""Two-stream (RGB + pose) transforms that need no decord.

mmaction2's ``MMDecode`` inherits ``DecordInit`` and decodes RGB with decord
only (``mmaction/datasets/transforms/pose_transforms.py``), which mmext does
not install. :class:`MMDecodeCV2` is a drop-in replacement that decodes with
OpenCV (``cv2.VideoCapture``) or reads extracted frames, and slices the
skeleton exactly like ``MMDecode``/``PoseDecode``.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmaction.datasets.transforms import PackActionInputs
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

__all__ = ['MMDecodeCV2', 'PackHierActionInputs', 'read_video_frames_cv2']


def _sid(results: Dict) -> str:
    return str(results.get('sample_id', results.get('frame_dir', '?')))


def read_video_frames_cv2(path: str,
                          frame_inds: Sequence[int],
                          sample_id: str = '?') -> Tuple[List[np.ndarray],
                                                         int]:
    """Decode the frames ``frame_inds`` (0-based) of a video with OpenCV.

    The video is read sequentially up to ``max(frame_inds)``; frames that are
    not requested are skipped with ``grab()`` (no colour conversion). If the
    stream ends early (fewer frames than the annotation's ``total_frames``),
    indices past the end repeat the video's last frame.

    Args:
        path (str): Video file.
        frame_inds (Sequence[int]): Frame indices, any order, repeats allowed.
        sample_id (str): Named in errors.

    Returns:
        tuple: (list of RGB uint8 (H, W, 3) frames in the order of
        ``frame_inds``, number of frames actually decoded).
    """
    inds = np.asarray(frame_inds, dtype=np.int64).reshape(-1)
    if inds.size == 0:
        raise ValueError(f'sample {sample_id}: no frame indices to decode')
    if inds.min() < 0:
        raise ValueError(f'sample {sample_id}: negative frame index '
                         f'{int(inds.min())}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'sample {sample_id}: video {path} not found')
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise IOError(f'sample {sample_id}: OpenCV cannot open video {path}')
    wanted = set(inds.tolist())
    last = int(inds.max())
    decoded: Dict[int, np.ndarray] = {}
    n = 0
    try:
        while n <= last:
            if n in wanted:
                ok, frame = cap.read()
                if not ok:
                    break
                decoded[n] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            else:
                if not cap.grab():
                    break
            n += 1
    finally:
        cap.release()
    if n == 0:
        raise IOError(f'sample {sample_id}: no frame could be decoded from '
                      f'{path}')
    if n <= last and (n - 1) not in decoded:
        # The stream ended early and its last frame was only grabbed:
        # decode it in a second pass (rare path).
        last_frame = _decode_one(path, n - 1, sample_id)
    elif n <= last:
        last_frame = decoded[n - 1]
    return [decoded[i] if i < n else last_frame for i in inds.tolist()], n


def _decode_one(path: str, index: int, sample_id: str) -> np.ndarray:
    cap = cv2.VideoCapture(path)
    try:
        for _ in range(index):
            cap.grab()
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok:
        raise IOError(f'sample {sample_id}: cannot decode frame {index} of '
                      f'{path} on a second pass')
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


@TRANSFORMS.register_module()
class MMDecodeCV2(BaseTransform):
    """Decode RGB (OpenCV) and skeletons for two-stream recognition.

    Drop-in replacement for mmaction2's ``MMDecode`` (decord). For each
    modality in ``results['modality']`` it reads ``results['{mod}_inds']``
    (from ``MMUniformSampleFrames``):

    * ``'RGB'``: from ``results['filename']`` (a video) when present, else
      from extracted frames ``results['rgb_frame_dir']/filename_tmpl`` (frame
      ``i`` is file number ``i + start_index``), else from
      ``results['frame_dir'] + '.mp4'`` like ``MMDecode``. Frames are RGB.
    * ``'Pose'``: ``keypoint[:, inds]``, ``keypoint_score[:, inds]``
      (scores default to 1).

    When the decoded frame size differs from ``img_shape``, keypoints are
    rescaled to it and ``img_shape``/``original_shape`` updated (as
    ``MMDecode`` does).

    Required keys: ``modality``, ``{mod}_inds``, ``img_shape``, and
    ``filename``/``rgb_frame_dir``/``frame_dir`` or ``keypoint``.
    Added/modified keys: ``imgs``, ``keypoint``, ``keypoint_score``,
    ``img_shape``, ``original_shape``.

    Args:
        filename_tmpl (str): Frame file template. Defaults to
            ``'img_{:05d}.jpg'``.
        start_index (int, optional): File number of frame 0 for extracted
            frames; ``None`` uses ``results['frame_start_index']`` or 1.
    """

    def __init__(self,
                 filename_tmpl: str = 'img_{:05d}.jpg',
                 start_index: Optional[int] = None) -> None:
        self.filename_tmpl = filename_tmpl
        self.start_index = start_index

    def _load_rgb(self, results: Dict, inds: np.ndarray) -> List[np.ndarray]:
        sid = _sid(results)
        if 'filename' not in results and 'rgb_frame_dir' in results:
            start = self.start_index if self.start_index is not None else \
                results.get('frame_start_index', 1)
            tmpl = results.get('filename_tmpl', self.filename_tmpl)
            frames = []
            for i in inds.tolist():
                path = osp.join(results['rgb_frame_dir'],
                                tmpl.format(i + start))
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if img is None:
                    raise FileNotFoundError(
                        f'sample {sid}: frame {path} not found or unreadable')
                frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
            return frames
        path = results.get('filename', None)
        if path is None:
            if 'frame_dir' not in results:
                raise KeyError(f'sample {sid}: no filename, rgb_frame_dir or '
                               'frame_dir to read RGB from')
            path = results['frame_dir'] + '.mp4'
        frames, _ = read_video_frames_cv2(path, inds, sid)
        return frames

    def transform(self, results: Dict) -> Dict:
        """Decode the sampled frames of every modality."""
        modalities = results['modality']
        if isinstance(modalities, str):
            modalities = [modalities]
        for mod in modalities:
            key = f'{mod}_inds'
            if key not in results:
                raise KeyError(f'sample {_sid(results)}: {key} missing; put '
                               'MMUniformSampleFrames before MMDecodeCV2')
            inds = np.asarray(results[key])
            if inds.ndim != 1:
                inds = inds.reshape(-1)
            results[key] = inds
            if mod == 'RGB':
                results['imgs'] = self._load_rgb(results, inds)
            elif mod == 'Pose':
                if 'keypoint' not in results:
                    raise KeyError(f'sample {_sid(results)}: no keypoint')
                kp = results['keypoint']
                score = results.get('keypoint_score', None)
                if score is None:
                    score = np.ones(kp.shape[:-1], dtype=np.float32)
                results['keypoint'] = kp[:, inds].astype(np.float32)
                results['keypoint_score'] = score[:, inds].astype(np.float32)
            else:
                raise NotImplementedError(
                    f'MMDecodeCV2: modality {mod!r} not supported (RGB, Pose)')
        if 'imgs' in results and 'keypoint' in results:
            real = tuple(results['imgs'][0].shape[:2])
            if 'img_shape' not in results:
                raise KeyError(f'sample {_sid(results)}: img_shape missing')
            if real != tuple(results['img_shape']):
                oh, ow = results['img_shape']
                nh, nw = real
                results['keypoint'][..., 0] *= nw / ow
                results['keypoint'][..., 1] *= nh / oh
                results['img_shape'] = real
                results['original_shape'] = real
        elif 'imgs' in results:
            results['img_shape'] = tuple(results['imgs'][0].shape[:2])
            results['original_shape'] = results['img_shape']
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(filename_tmpl='
                f"'{self.filename_tmpl}', start_index={self.start_index})")


@TRANSFORMS.register_module()
class PackHierActionInputs(PackActionInputs):
    """``PackActionInputs`` that also packs the coarse label.

    Sets ``gt_coarse_label`` (LongTensor of shape (1,)) on the
    ``ActionDataSample`` from ``results['coarse_label']`` when present, with
    ``data_sample.set_field(tensor, 'gt_coarse_label')``. Everything else is
    mmaction2's ``PackActionInputs`` (``collect_keys=('imgs',
    'heatmap_imgs')`` gives ``inputs = dict(imgs=..., heatmap_imgs=...)``).
    """

    def __init__(self,
                 collect_keys: Optional[Tuple[str]] = None,
                 meta_keys: Sequence[str] = ('img_shape', 'img_key',
                                             'video_id', 'timestamp',
                                             'sample_id', 'list_name'),
                 algorithm_keys: Sequence[str] = ()) -> None:
        super().__init__(
            collect_keys=collect_keys,
            meta_keys=meta_keys,
            algorithm_keys=algorithm_keys)

    def transform(self, results: Dict) -> Dict:
        """Pack inputs, ``gt_label`` and ``gt_coarse_label``."""
        if self.collect_keys is not None:
            missing = [k for k in self.collect_keys if k not in results]
            if missing:
                have = sorted(k for k in results if k.endswith('imgs'))
                raise KeyError(f'sample {_sid(results)}: keys {missing} to '
                               f'collect are missing (pipeline produced '
                               f'{have})')
        packed = super().transform(results)
        if 'coarse_label' in results:
            packed['data_samples'].set_field(
                torch.tensor([int(results['coarse_label'])],
                             dtype=torch.long), 'gt_coarse_label')
        return packed
