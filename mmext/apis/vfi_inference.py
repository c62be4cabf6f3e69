# Copyright (c) mmext contributors. All rights reserved.
"""Frame-interpolation inference: build a VFI model from a config and a
checkpoint, and turn a video into a x2 / x4 / x8 video."""
import os.path as osp
from typing import Optional, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config

__all__ = [
    'init_interpolator', 'interpolate_video', 'read_video_info',
    'load_vfi_weights', 'check_video_output', 'VIDEO_CONTAINERS'
]

#: Output containers OpenCV writes, with the default codec of each.
VIDEO_CONTAINERS = {'.mp4': 'mp4v', '.avi': 'MJPG', '.mkv': 'mp4v',
                    '.mov': 'mp4v'}


def _phase_hint(missing, unexpected) -> str:
    from fnmatch import fnmatch

    from mmext.models.vfi.vfi_model import PHASE2_NEW_LAYERS

    def new(k):
        return any(fnmatch(k, p) for p in PHASE2_NEW_LAYERS)

    if missing and all(new(k) for k in missing) and not unexpected:
        return (' This is a phase-1 checkpoint (no phase-2 layers) on a '
                'phase-2 config: use the phase-1 config or '
                '--cfg-options model.feature_warp=False.')
    if unexpected and all(new(k) for k in unexpected) and not missing:
        return (' This is a phase-2 checkpoint on a phase-1 config: use the '
                'phase-2 config or --cfg-options model.feature_warp=True.')
    return ''


def load_vfi_weights(model, state: dict, source: str = 'checkpoint') -> None:
    """Load a VFI state dict exactly (the losses' VGG19 excepted: it is
    not needed for inference).

    Raises:
        ValueError: keys missing, unexpected or of another shape, naming
            ``source``, the first keys, and the phase-1 / phase-2 remedy
            when that is the cause.
    """
    own = model.state_dict()
    # the phase-2 refinement of the former layout (one mid.0 over the
    # concatenation) is split when it loads: not a mismatch
    legacy = {k for k in state if k.endswith('refine.mid.0.weight')}
    shape = [f'{k} {tuple(v.shape)} (model {tuple(own[k].shape)})'
             for k, v in state.items()
             if k in own and k not in legacy and v.shape != own[k].shape
             and not k.startswith('losses.')]
    missing = [k for k in own if k not in state
               and not k.startswith('losses.')]
    unexpected = [k for k in state if k not in own
                  and not k.startswith('losses.')]
    if legacy and any(k.endswith('refine.mid_extra.weight') for k in own):
        missing = [k for k in missing
                   if not k.endswith('refine.mid_extra.weight')]
    if missing or unexpected or shape:
        parts = [f'{name} {keys[:4]}' + (f' (+{len(keys) - 4})'
                                         if len(keys) > 4 else '')
                 for name, keys in (('missing', missing),
                                    ('unexpected', unexpected),
                                    ('shape-different', shape)) if keys]
        raise ValueError(f'{source} does not match the model of the '
                         f'config: {"; ".join(parts)}.'
                         f'{_phase_hint(missing, unexpected)}')
    model.load_state_dict(
        {k: v for k, v in state.items() if not k.startswith('losses.')},
        strict=False)


def check_video_output(path: str, fourcc: Optional[str] = None) -> str:
    """The codec to write ``path`` with; its extension must name a video
    container OpenCV writes (an output named ``.png`` would otherwise get
    an MPEG-4 stream without a word).

    Raises:
        ValueError: not a video container extension, or a fourcc that is
            not four characters.
    """
    ext = osp.splitext(path)[1].lower()
    if ext not in VIDEO_CONTAINERS:
        raise ValueError(
            f'output {path}: {ext or "no extension"!s} is not a video '
            f'container this tool writes; use one of '
            f'{", ".join(VIDEO_CONTAINERS)}')
    fourcc = fourcc or VIDEO_CONTAINERS[ext]
    if len(fourcc) != 4:
        raise ValueError(f'--fourcc must be four characters, got '
                         f'{fourcc!r}')
    return fourcc


def init_interpolator(config: Union[str, Config],
                      checkpoint: Optional[str] = None,
                      device: str = 'cpu'):
    """Build the ``VFIModel`` of ``config`` and load ``checkpoint``
    (weights-only loading; a ``module.`` prefix is removed; the keys must
    match exactly, see :func:`load_vfi_weights`).

    Raises:
        ValueError: the checkpoint does not match the model.
    """
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings

    from mmext.engine import safe_load
    from mmext.registry import MODELS
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    init_default_scope(cfg.get('default_scope', 'mmext'))
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} not found')
        ckpt = safe_load(checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        state = {(k[7:] if k.startswith('module.') else k): v
                 for k, v in state.items()}
        load_vfi_weights(model, state, checkpoint)
    return model.to(device).eval()


def read_video_info(path: str):
    """``(cv2.VideoCapture, fps, frame count, (width, height))``.

    Raises:
        ValueError: OpenCV cannot open or decode ``path``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'video {path} not found')
    cap = cv2.VideoCapture(path)
    ok, first = cap.read() if cap.isOpened() else (False, None)
    if not ok:
        cap.release()
        raise ValueError(f'cannot decode video {path} with OpenCV (not a '
                         f'video, or a codec this OpenCV build lacks)')
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    return cap, fps, n, (first.shape[1], first.shape[0])


def _to_tensor(frame: np.ndarray, device) -> torch.Tensor:
    rgb = np.ascontiguousarray(frame[..., ::-1])
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float().to(
        device) / 255.0


def _to_frame(t: torch.Tensor) -> np.ndarray:
    img = (t[0].clamp(0, 1) * 255.0).round().byte().permute(1, 2, 0)
    return np.ascontiguousarray(img.cpu().numpy()[..., ::-1])


@torch.no_grad()
def interpolate_video(model, src: str, dst: str, factor: int = 2,
                      mode: str = 'recursive', flow_scale: float = 1.0,
                      progress: bool = True,
                      fourcc: Optional[str] = None) -> dict:
    """Write ``dst``: every frame of ``src`` and ``factor - 1`` frames
    between each pair, at ``factor`` times the frame rate.

    Args:
        model: A ``VFIModel`` (eval mode).
        src (str): Input video.
        dst (str): Output video (OpenCV ``VideoWriter``): ``.mp4``,
            ``.avi``, ``.mkv`` or ``.mov``.
        factor (int): 2, 4 or 8.
        mode (str): ``'recursive'`` or ``'direct'``.
        flow_scale (float): Flow resolution (< 1 for high resolutions).
        progress (bool): Show a tqdm progress bar.
        fourcc (str, optional): Output codec. Defaults to the
            container's (:data:`VIDEO_CONTAINERS`).

    Returns:
        dict: ``frames_in``, ``frames_out``, ``fps_out``.
    """
    from tqdm import tqdm

    from mmext.models.vfi import pad_to_multiple
    if factor not in (2, 4, 8):
        raise ValueError(f'factor must be 2, 4 or 8, got {factor}')
    fourcc = check_video_output(dst, fourcc)
    cap, fps, n, (w, h) = read_video_info(src)
    device = next(model.parameters()).device
    multiple = model.multiple if flow_scale == 1.0 else int(
        np.ceil(model.multiple / flow_scale / 4) * 4)
    writer = cv2.VideoWriter(dst, cv2.VideoWriter_fourcc(*fourcc),
                             fps * factor, (w, h))
    if not writer.isOpened():
        cap.release()
        raise ValueError(f'cannot write video {dst} with fourcc {fourcc!r}')
    bar = tqdm(total=max(n - 1, 0), disable=not progress, unit='pair',
               desc=f'x{factor} {osp.basename(src)}')
    prev, count_in, count_out = None, 0, 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            count_in += 1
            cur, pad = pad_to_multiple(_to_tensor(frame, device), multiple)
            if prev is not None:
                mids = model.interpolate_sequence(prev, cur, factor, mode,
                                                  flow_scale)
                for m in mids:
                    left, right, top, bottom = pad
                    m = m[..., top:m.shape[-2] - bottom,
                          left:m.shape[-1] - right]
                    writer.write(_to_frame(m))
                    count_out += 1
                bar.update(1)
            writer.write(frame)
            count_out += 1
            prev = cur
    finally:
        bar.close()
        cap.release()
        writer.release()
    if count_in == 0:
        raise ValueError(f'no frame could be decoded from {src}')
    return dict(frames_in=count_in, frames_out=count_out,
                fps_out=fps * factor)
