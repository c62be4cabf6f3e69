# Copyright (c) mmext contributors. All rights reserved.
"""A SYNTHETIC test video: stick figures walking over a textured background.

Only for tests and benchmarks of the video tools (random-weight models do
not need real people; the figures give the frames some structure and
motion). Written with OpenCV's ``mp4v`` encoder.
"""
import numpy as np

__all__ = [
    'write_synthetic_video', 'make_detector_checkpoint',
    'make_pose_checkpoint', 'make_lifter_checkpoint'
]

# a rough COCO-17 stick figure (x, y) in units of its height, origin at the
# pelvis
_BODY = np.array([[0, -0.85], [-0.03, -0.88], [0.03, -0.88], [-0.07, -0.86],
                  [0.07, -0.86], [-0.15, -0.7], [0.15, -0.7], [-0.22, -0.45],
                  [0.22, -0.45], [-0.25, -0.2], [0.25, -0.2], [-0.1, 0.],
                  [0.1, 0.], [-0.12, 0.27], [0.12, 0.27], [-0.12, 0.55],
                  [0.12, 0.55]])
_BONES = ((15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12),
          (5, 6), (5, 7), (6, 8), (7, 9), (8, 10), (0, 5), (0, 6))


def write_synthetic_video(path: str,
                          num_frames: int = 32,
                          size=(160, 120),
                          fps: float = 25.,
                          num_people: int = 1,
                          seed: int = 0) -> str:
    """Write ``num_frames`` frames of ``size = (w, h)`` to an mp4 file."""
    import cv2
    w, h = size
    rng = np.random.default_rng(seed)
    background = rng.integers(40, 90, size=(h, w, 3), dtype=np.uint8)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), float(fps), (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'{path}: cv2.VideoWriter cannot open it')
    height = 0.6 * h
    try:
        for t in range(num_frames):
            frame = background.copy()
            for p in range(num_people):
                phase = 2 * np.pi * t / 25. + p
                cx = w * (0.3 + 0.4 * p / max(num_people, 1)) + \
                    0.1 * w * np.sin(phase / 3)
                cy = 0.55 * h
                body = _BODY.copy()
                swing = 0.08 * np.sin(phase)
                body[[9, 15], 0] += swing
                body[[10, 16], 0] -= swing
                pts = (body * height + [cx, cy]).round().astype(int)
                color = (200, 180 - 60 * p, 60 + 80 * p)
                for a, b in _BONES:
                    cv2.line(frame, tuple(pts[a]), tuple(pts[b]), color, 3)
                cv2.circle(frame, tuple(pts[0]), max(3, int(h / 30)), color,
                           -1)
            writer.write(frame)
    finally:
        writer.release()
    return str(path)


def make_detector_checkpoint(config: str, path: str, seed: int = 0) -> str:
    """Random weights for an RTMDet-style config that still yield boxes.

    The box-regression convs (``bbox_head.rtm_reg``) are zeroed with bias
    log(1.5): with ``exp_on_reg`` every point predicts distances of 1.5
    strides on each side, so NMS always has valid boxes; classification is
    zeroed with bias +2 (every point scores sigmoid(2)), so the same boxes
    come out in every frame and tracking is trivial.
    Saved as an mmengine-style checkpoint with ``dataset_meta``.
    """
    import math

    import torch
    from mmdet.apis import init_detector
    from mmengine.registry import DefaultScope
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = init_detector(str(config), None, device='cpu')
    head = model.bbox_head
    if not hasattr(head, 'rtm_reg'):
        raise ValueError(f'{config}: expected an RTMDet head (rtm_reg)')
    with torch.no_grad():
        for conv in head.rtm_reg:
            conv.weight.zero_()
            conv.bias.fill_(math.log(1.5))
        for conv in head.rtm_cls:
            conv.weight.zero_()
            conv.bias.fill_(2.)
    classes = model.cfg.get('test_dataloader', {}).get('dataset', {}).get(
        'metainfo', {}).get('classes') or model.dataset_meta['classes']
    meta = dict(dataset_meta=dict(classes=tuple(classes)))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), str(path))
    return str(path)


def make_pose_checkpoint(config: str, path: str, seed: int = 0) -> str:
    """Random weights of an mmpose model config, saved as a checkpoint."""
    import torch
    from mmengine.registry import DefaultScope
    from mmpose.apis import init_model
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = init_model(str(config), None, device='cpu')
    torch.save(dict(state_dict=model.state_dict()), str(path))
    return str(path)


def make_lifter_checkpoint(config: str, path: str, seed: int = 0) -> str:
    """Random weights of an mmext lifter config (a plain state_dict)."""
    import torch

    from mmext.apis import init_lifter
    torch.manual_seed(seed)
    torch.save(init_lifter(str(config)).state_dict(), str(path))
    return str(path)
