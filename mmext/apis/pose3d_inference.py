# Copyright (c) mmext contributors. All rights reserved.
"""Lift a 2D keypoint sequence of any length to 3D with a trained lifter.

The model is an mmpose ``PoseLifter`` (e.g. mmext's ``MotionAGFormer``
backbone + mmpose's ``MotionRegressionHead``) that takes clips of a fixed
length ``T = model.backbone.num_frames`` in the MotionBERT input convention
(mmpose's ``MotionBERTLabel`` codec)::

    x_n = x / w * 2 - 1,   y_n = y / w * 2 - h / w,   c = confidence

and predicts root-relative 3D in the same normalised units (a pixel is
``2 / w``; depth is scaled like x). :func:`lift_sequence` cuts the sequence
into windows of ``T`` frames, runs them (optionally with flip-test
averaging), averages overlapping windows and decodes the result with the
head's codec (``MotionBERTLabel.decode`` with the image size and no 2.5d
factor), i.e.::

    out = pred_n * w / 2 / 1000     (root joint set to 0)

The output is therefore root-relative 3D in *image-plane kilo-pixels*: x and
y in thousands of pixels, z in the same scale as x. Multiplying by a frame's
2.5d factor (the camera's mm-per-pixel at the subject's depth, ``2.5d_factor``
in the MotionBERT Human3.6M pickle) gives metres, exactly as mmpose's
evaluation does; without that factor (or the camera) the absolute scale is
unknown.
"""
import json
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from mmext.structures.h36m import H36M_FLIP_INDICES
from mmext.structures.h36m import H36M_NUM_JOINTS as NUM_JOINTS

__all__ = [
    'init_lifter', 'lift_sequence', 'load_keypoints_2d',
    'normalize_keypoints_2d', 'resample_indices', 'save_keypoints_3d',
    'window_starts'
]

_EXPECTED = (f'expected a 2D keypoint sequence of shape (N, {NUM_JOINTS}, 2) '
             f'or (N, {NUM_JOINTS}, 3) (x, y[, score] in pixels, Human3.6M '
             'joint order)')


# ------------------------------------------------------------------ model
def _h36m_dataset_meta() -> dict:
    """The keypoint metainfo the H36M lifting datasets use."""
    try:
        from mmpose.datasets.datasets.utils import parse_pose_metainfo

        from mmext.datasets.pose3d.base_lifting_dataset import \
            H36M_METAINFO_FILE
        return parse_pose_metainfo(dict(from_file=H36M_METAINFO_FILE))
    except Exception:  # metainfo file unavailable: fall back to constants
        return dict(
            dataset_name='h36m',
            num_keypoints=NUM_JOINTS,
            flip_indices=list(H36M_FLIP_INDICES))


def _load_state_dict(checkpoint: str,
                     meta_out: Optional[dict] = None) -> dict:
    """Weights of ``checkpoint`` (mmengine checkpoint or plain state_dict);
    its ``meta`` dict, if any, is copied into ``meta_out``."""
    from mmext.engine import safe_load
    ckpt = safe_load(checkpoint, map_location='cpu')
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        state_dict = ckpt['state_dict']
        meta = ckpt.get('meta')
        if meta_out is not None and isinstance(meta, dict):
            meta_out.update(meta)
        order = meta.get('joint_order') if isinstance(meta, dict) else None
        if order not in (None, 'h36m'):
            # inputs here are COCO keypoints converted to H36M order
            raise ValueError(
                f"checkpoint {checkpoint}: meta['joint_order']={order!r}, "
                'but inference feeds H36M-order joints; predictions would '
                'be silently wrong (use a Human3.6M-order checkpoint)')
    elif isinstance(ckpt, dict):
        state_dict = ckpt
    else:
        raise RuntimeError(
            f'checkpoint {checkpoint}: expected a dict (an mmengine '
            "checkpoint with a 'state_dict' key, or a plain state_dict), "
            f'got {type(ckpt).__name__}')
    bad = [k for k, v in state_dict.items() if not torch.is_tensor(v)]
    if bad:
        raise RuntimeError(
            f'checkpoint {checkpoint}: expected tensors in the state_dict, '
            f'but {len(bad)} entries are not (first: {bad[:3]})')
    # weights saved from a (Distributed)DataParallel wrapper
    return {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}


def init_lifter(config: Union[str, Config],
                checkpoint: Optional[str] = None,
                device: Union[str, torch.device] = 'cpu',
                cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a pose lifter from a config and load its weights.

    The model is built in the config's ``default_scope`` (``'mmpose'`` for
    the pose3d configs) after importing its ``custom_imports``. Weights are
    read with :func:`mmext.engine.safe_load` (weights-only; a checkpoint
    that would run code is refused with
    :class:`mmext.engine.UnsafeCheckpointError`) and loaded strictly.

    Args:
        config (str | Config): config file path or loaded config.
        checkpoint (str, optional): an mmengine checkpoint (weights under
            ``'state_dict'``) or a plain ``state_dict`` saved with
            ``torch.save``. ``None`` keeps the random initialisation.
        device (str | torch.device): device to put the model on.
        cfg_options (dict, optional): overrides merged into the config.

    Returns:
        nn.Module: the model in eval mode, with ``cfg``, ``dataset_meta``
        (keypoint metainfo incl. ``flip_indices``) and ``checkpoint_meta``
        (the checkpoint's ``meta`` dict, ``{}`` if none) attached.

    Raises:
        FileNotFoundError: ``checkpoint`` does not exist.
        mmext.utils.ConfigError: the config is missing or invalid.
        mmext.engine.UnsafeCheckpointError: the checkpoint is not weights-only.
        RuntimeError: the weights do not match the model (missing/unexpected
            keys or shape mismatches, listed in the message).
    """
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings

    if isinstance(config, (str, bytes)) or hasattr(config, '__fspath__'):
        from mmext.utils import load_config
        cfg = load_config(str(config), cfg_options, check_data=False)
    elif isinstance(config, Config):
        cfg = config.copy()
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    else:
        raise TypeError('init_lifter: config must be a file path or an '
                        f'mmengine Config, got {type(config).__name__}')
    if cfg.get('model') is None:
        raise ValueError(f'init_lifter: config {getattr(cfg, "filename", "")}'
                         ' has no `model` section')

    init_default_scope(cfg.get('default_scope', 'mmpose'))
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    from mmengine.registry import MODELS
    model = MODELS.build(cfg.model)

    checkpoint_meta: dict = {}
    if checkpoint is not None:
        state_dict = _load_state_dict(str(checkpoint), checkpoint_meta)
        try:
            result = model.load_state_dict(state_dict, strict=False)
        except RuntimeError as err:  # shape mismatches
            raise RuntimeError(
                f'checkpoint {checkpoint} does not fit the model of the '
                f'config: {err}') from None
        if result.missing_keys or result.unexpected_keys:
            raise RuntimeError(
                f'checkpoint {checkpoint} does not match the model of the '
                f'config: {len(result.missing_keys)} missing key(s) '
                f'{result.missing_keys[:10]}, '
                f'{len(result.unexpected_keys)} unexpected key(s) '
                f'{result.unexpected_keys[:10]}')
    model.cfg = cfg
    # e.g. meta['keypoint_convention'] written by the official-weights
    # converter (tools/model_converters/); {} without a checkpoint
    model.checkpoint_meta = checkpoint_meta
    meta = _h36m_dataset_meta()
    ds_meta = cfg.get('test_dataloader', {}).get('dataset', {}).get(
        'metainfo')
    if ds_meta:
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
        meta = parse_pose_metainfo(dict(ds_meta))
    model.dataset_meta = meta
    return model.to(device).eval()


def _num_frames(model: nn.Module) -> int:
    backbone = getattr(model, 'backbone', None)
    num_frames = getattr(backbone, 'num_frames', None)
    if not isinstance(num_frames, int) or num_frames < 1:
        raise ValueError(
            'lift_sequence: model.backbone.num_frames must give the clip '
            f'length T of the lifter, got {num_frames!r} '
            f'(backbone {type(backbone).__name__})')
    return num_frames


# ---------------------------------------------------------------- windows
def window_starts(num_frames: int, window: int, stride: int) -> List[int]:
    """First frames of the sliding windows over a sequence.

    Windows start at ``0, stride, 2 * stride, ...``; the last one is the
    first that reaches the end of the sequence (it is padded by repeating
    the last frame where it runs past the end).

    Args:
        num_frames (int): sequence length N (>= 1).
        window (int): window length T.
        stride (int): step between windows, 1 <= stride <= T.

    Returns:
        list[int]: window start indices.
    """
    starts = [0]
    while starts[-1] + window < num_frames:
        starts.append(starts[-1] + stride)
    return starts


def resample_indices(num_frames: int, window: int) -> Tuple[np.ndarray,
                                                            np.ndarray]:
    """Stretch a clip shorter than the window to the window, and back.

    MotionAGFormer's in-the-wild demo (``demo/vis.py``, ``resample`` and
    ``turn_into_clips``) feeds a short clip of ``n < T`` frames as the
    frames ``floor(k n / T)``, ``k = 0 .. T-1``, and reads frame ``j``'s
    prediction at the first ``k`` that shows frame ``j``.

    Args:
        num_frames (int): ``n``, 1 <= n <= T.
        window (int): ``T``.

    Returns:
        tuple: ``indices`` (T,) the frame shown at each window position,
        and ``positions`` (n,) the window position read for frame ``j``.
    """
    if not 1 <= num_frames <= window:
        raise ValueError(f'resample_indices: expected 1 <= num_frames <= '
                         f'window={window}, got {num_frames}')
    even = np.linspace(0, num_frames, num=window, endpoint=False)
    indices = np.clip(np.floor(even), 0, num_frames - 1).astype(np.int64)
    positions = np.unique(indices, return_index=True)[1]
    return indices, positions


def normalize_keypoints_2d(keypoints_2d: np.ndarray,
                           image_size: Sequence[float]) -> np.ndarray:
    """Pixels -> MotionBERT input units, with a confidence channel.

    Args:
        keypoints_2d (np.ndarray): (N, 17, 2) or (N, 17, 3) in pixels; a
            missing confidence is set to 1.
        image_size (tuple): image (width, height) in pixels.

    Returns:
        np.ndarray: (N, 17, 3) float32 ``(x / w * 2 - 1, y / w * 2 - h / w,
        score)``.
    """
    w, h = _check_image_size(image_size)
    kpts = _check_keypoints(keypoints_2d, 'keypoints_2d')
    out = np.ones((*kpts.shape[:2], 3), np.float32)
    out[..., 0] = kpts[..., 0] / w * 2 - 1
    out[..., 1] = kpts[..., 1] / w * 2 - h / w
    if kpts.shape[-1] == 3:
        out[..., 2] = kpts[..., 2]
    return out


def _check_image_size(image_size: Sequence[float]) -> Tuple[float, float]:
    try:
        w, h = (float(v) for v in image_size)
    except (TypeError, ValueError):
        raise ValueError('image_size: expected (width, height) in pixels, '
                         f'got {image_size!r}') from None
    if not (w > 0 and h > 0 and np.isfinite(w) and np.isfinite(h)):
        raise ValueError('image_size: expected positive (width, height) in '
                         f'pixels, got {image_size!r}')
    return w, h


def _check_keypoints(keypoints: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(keypoints)
    if arr.ndim != 3 or arr.shape[1] != NUM_JOINTS or arr.shape[2] not in (
            2, 3) or arr.shape[0] < 1:
        raise ValueError(f'{name}: {_EXPECTED}, got shape {arr.shape}')
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f'{name}: {_EXPECTED}, got dtype {arr.dtype}')
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f'{name}: {_EXPECTED}, got NaN/inf values')
    return arr


def _flip(x: torch.Tensor, flip_indices: Sequence[int]) -> torch.Tensor:
    """Mirror (B, T, K, C) poses: negate x, swap left/right joints."""
    x = x[:, :, list(flip_indices)].clone()
    x[..., 0] = -x[..., 0]
    return x


@torch.no_grad()
def lift_sequence(model: nn.Module,
                  keypoints_2d: np.ndarray,
                  image_size: Sequence[float],
                  stride: Optional[int] = None,
                  flip: bool = True,
                  flip_indices: Optional[Sequence[int]] = None,
                  batch_size: int = 32,
                  tail: str = 'pad') -> np.ndarray:
    """Lift a 2D keypoint sequence of any length to root-relative 3D.

    Args:
        model (nn.Module): a pose lifter (see :func:`init_lifter`) whose
            ``backbone.num_frames`` is its clip length T and whose
            ``head.decoder`` is a ``MotionBERTLabel`` codec.
        keypoints_2d (np.ndarray): (N, 17, 2) or (N, 17, 3) pixels (+ score)
            in Human3.6M joint order. A missing score is set to 1.
        image_size (tuple): (width, height) of the images in pixels.
        stride (int, optional): step between windows, 1..T. Defaults to T
            (no overlap). Predictions of overlapping windows are averaged.
        flip (bool): average with the prediction of the mirrored input
            (x negated, left/right joints swapped, mirrored back).
        flip_indices (Sequence[int], optional): left/right swaps. Defaults
            to ``model.dataset_meta['flip_indices']`` or Human3.6M's.
        batch_size (int): windows per forward pass.
        tail (str): the frames no full window covers (a sequence shorter
            than T, or the end of a longer one). ``'pad'``: one more
            window from the last stride step, padded by repeating the last
            frame. ``'resample'``: the full windows at ``0, stride, ...``,
            then the uncovered rest stretched to T frames and read back
            (:func:`resample_indices`), as MotionAGFormer's in-the-wild
            demo does (``demo/vis.py``, with stride T).

    Returns:
        np.ndarray: (N, 17, 3) float32 root-relative 3D in image-plane
        kilo-pixels (``MotionBERTLabel.decode`` with the image size and no
        2.5d factor); multiply by the 2.5d factor for metres.
    """
    w, h = _check_image_size(image_size)
    inputs = normalize_keypoints_2d(keypoints_2d, (w, h))
    window = _num_frames(model)
    stride = window if stride is None else stride
    if not isinstance(stride, (int, np.integer)) or not 1 <= stride <= window:
        raise ValueError(f'stride: expected an integer in [1, {window}] '
                         f'(the model clip length T), got {stride!r}')
    if batch_size < 1:
        raise ValueError(f'batch_size: expected >= 1, got {batch_size}')
    if flip_indices is None:
        flip_indices = getattr(model, 'dataset_meta', None) or {}
        flip_indices = flip_indices.get('flip_indices', H36M_FLIP_INDICES)
    if sorted(flip_indices) != list(range(NUM_JOINTS)):
        raise ValueError(f'flip_indices: expected a permutation of '
                         f'0..{NUM_JOINTS - 1}, got {list(flip_indices)}')

    if tail not in ('pad', 'resample'):
        raise ValueError(f"tail: expected 'pad' or 'resample', got {tail!r}")

    num = inputs.shape[0]
    # each window, and which of its positions give which frames
    windows, targets = [], []
    if tail == 'pad':
        starts = window_starts(num, window, int(stride))
        # pad the tail by repeating the last frame
        pad = starts[-1] + window - num
        if pad > 0:
            inputs = np.concatenate(
                [inputs, np.repeat(inputs[-1:], pad, 0)])
        for s in starts:
            windows.append(inputs[s:s + window])
            n_in = min(window, num - s)
            targets.append((np.arange(n_in), np.arange(s, s + n_in)))
    else:
        end = 0
        for s in range(0, num - window + 1, int(stride)):
            windows.append(inputs[s:s + window])
            targets.append((np.arange(window), np.arange(s, s + window)))
            end = s + window
        if end < num:
            indices, positions = resample_indices(num - end, window)
            windows.append(inputs[end + indices])
            targets.append((positions, end + indices[positions]))
    clips = np.stack(windows)

    device = next(model.parameters()).device
    preds = []
    for i in range(0, len(clips), batch_size):
        x = torch.from_numpy(clips[i:i + batch_size]).to(device)
        if flip:
            both = model(torch.cat([x, _flip(x, flip_indices)]), None,
                         'tensor')
            out, out_flip = both.split(len(x))
            out = (out + _flip(out_flip, flip_indices)) * 0.5
        else:
            out = model(x, None, 'tensor')
        preds.append(out.float().cpu().numpy())
    preds = np.concatenate(preds)  # (num_windows, T, 17, 3)

    acc = np.zeros((num, NUM_JOINTS, 3), np.float64)
    count = np.zeros(num, np.float64)
    for (positions, frames), pred in zip(targets, preds):
        acc[frames] += pred[positions]
        count[frames] += 1
    avg = (acc / count[:, None, None]).astype(np.float32)

    decoder = getattr(getattr(model, 'head', None), 'decoder', None)
    if decoder is None:
        raise ValueError('lift_sequence: model.head.decoder (the '
                         'MotionBERTLabel codec) is needed to decode the '
                         'output')
    wh = np.full((num, ), w, np.float32), np.full((num, ), h, np.float32)
    decoded, _ = decoder.decode(avg, w=wh[0], h=wh[1])
    return decoded.astype(np.float32)


# ------------------------------------------------------------------ files
def load_keypoints_2d(path: str) -> np.ndarray:
    """Read a 2D keypoint sequence from ``.npy`` or ``.json``.

    Accepted layouts (Human3.6M joint order, pixels):

    * ``.npy``: an array of shape (N, 17, 2) or (N, 17, 3) (x, y, score);
      read with ``allow_pickle=False``.
    * ``.json``: a list of N frames, each a list of 17 ``[x, y]`` or
      ``[x, y, score]``; or an object ``{"keypoints": <that list>}``.

    Args:
        path (str): the file.

    Returns:
        np.ndarray: (N, 17, 2) or (N, 17, 3) float32.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: unreadable file, unknown extension or wrong shape (the
            message names the file and the expected shape).
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'keypoint file not found: {path} '
                                f'({_EXPECTED}, as .npy or .json)')
    ext = osp.splitext(path)[1].lower()
    if ext == '.npy':
        try:
            data = np.load(path, allow_pickle=False)
        except Exception as err:
            raise ValueError(f'{path}: not a readable .npy array ({_EXPECTED})'
                             f': {type(err).__name__}: {err}') from None
    elif ext == '.json':
        try:
            with open(path) as f:
                data = json.load(f)
        except Exception as err:
            raise ValueError(f'{path}: not readable JSON ({_EXPECTED}): '
                             f'{type(err).__name__}: {err}') from None
        if isinstance(data, dict):
            if 'keypoints' not in data:
                raise ValueError(
                    f'{path}: a JSON object must have a "keypoints" key '
                    f'({_EXPECTED}); found keys {sorted(data)[:10]}')
            data = data['keypoints']
        try:
            data = np.asarray(data, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                f'{path}: {_EXPECTED}: a list of frames, each a list of '
                f'{NUM_JOINTS} [x, y] or [x, y, score] (ragged or '
                'non-numeric lists found)') from None
    else:
        raise ValueError(f'{path}: unknown extension {ext!r} ({_EXPECTED}, '
                         'as .npy or .json)')
    try:
        return _check_keypoints(data, path)
    except ValueError as err:
        raise ValueError(str(err)) from None


def save_keypoints_3d(keypoints_3d: np.ndarray,
                      path: str,
                      image_size: Optional[Sequence[float]] = None) -> None:
    """Save (N, 17, 3) 3D keypoints to ``.npy`` or ``.json``.

    ``.json`` holds ``{"keypoints_3d": N x 17 x [x, y, z], "units": ...,
    "image_size": [w, h], "joint_order": "h36m"}``.
    """
    path = str(path)
    arr = np.asarray(keypoints_3d, np.float32)
    if arr.ndim != 3 or arr.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f'keypoints_3d: expected shape (N, {NUM_JOINTS}, 3)'
                         f', got {arr.shape}')
    ext = osp.splitext(path)[1].lower()
    if ext not in ('.npy', '.json'):
        raise ValueError(f'{path}: output must end in .npy or .json, got '
                         f'{ext!r}')
    dirname = osp.dirname(osp.abspath(path))
    if not osp.isdir(dirname):
        raise FileNotFoundError(f'{path}: output directory {dirname} does '
                                'not exist')
    if ext == '.npy':
        np.save(path, arr)
        return
    with open(path, 'w') as f:
        json.dump(
            dict(
                keypoints_3d=arr.tolist(),
                units='root-relative, image-plane kilo-pixels (x 2.5d '
                'factor = metres); MotionBERTLabel.decode without factor',
                image_size=None if image_size is None else
                [float(v) for v in image_size],
                joint_order='h36m'), f)
