# Copyright (c) mmext contributors. All rights reserved.
"""Convert official checkpoints to mmext ones (library behind
``tools/model_converters/``).

:func:`convert_motionagformer_checkpoint` reads TaatiTeam/MotionAGFormer's
``torch.save`` output (a dict whose ``'model'`` entry is the DataParallel,
``module.``-prefixed state_dict) with ``torch.load(..., weights_only=True)``,
so no code in the file runs, and writes ``{'state_dict': ..., 'meta': ...}``
with keys ``backbone.*`` (:class:`mmext.models.pose3d.MotionAGFormer`),
``head.pre_logits.fc.*`` and ``head.fc.*`` (mmpose ``MotionRegressionHead``).
"""
import os.path as osp
from typing import Dict, Optional

import torch

__all__ = ['convert_motionagformer_checkpoint', 'JOINT_ORDERS',
           'KEYPOINT_CONVENTIONS']

#: joint orders an upstream checkpoint can be trained on
JOINT_ORDERS = ('h36m', '3dhp')
#: COCO-17 -> Human3.6M conversions the weights can be meant for in the wild
KEYPOINT_CONVENTIONS = ('motionagformer-demo', 'motionbert')


def convert_motionagformer_checkpoint(
        src: str,
        dst: str,
        joint_order: str,
        keypoint_convention: str = 'motionagformer-demo',
        num_frames: Optional[int] = None) -> Dict:
    """Convert an official MotionAGFormer checkpoint and write it to ``dst``.

    Args:
        src (str): The official checkpoint (``ckpt['model']``, or a bare
            state_dict).
        dst (str): Output path; nothing is written when the conversion fails.
        joint_order (str): ``'h36m'`` or ``'3dhp'``: the order of the data the
            checkpoint was trained on (a checkpoint does not record it),
            stored as ``meta['joint_order']``.
        keypoint_convention (str): The COCO -> H36M conversion the weights are
            meant for in the wild (``meta['keypoint_convention']``).
        num_frames (int, optional): Upstream ``n_frames``; required for
            checkpoints with MS-TCN in the graph stream.

    Returns:
        dict: ``num_tensors``, ``config`` (the inferred backbone / head
        arguments) and ``meta`` (as written).

    Raises:
        ValueError: a bad argument, a file that is not a MotionAGFormer
            checkpoint, or keys that do not convert (the message names them).
    """
    from mmext.models.pose3d.backbones import (convert_official_state_dict,
                                               infer_official_config)
    if joint_order not in JOINT_ORDERS:
        raise ValueError(f'joint_order must be one of {JOINT_ORDERS}, got '
                         f'{joint_order!r}')
    if keypoint_convention not in KEYPOINT_CONVENTIONS:
        raise ValueError(
            f'keypoint_convention must be one of {KEYPOINT_CONVENTIONS}, '
            f'got {keypoint_convention!r}')
    ckpt = torch.load(src, map_location='cpu', weights_only=True)
    if isinstance(ckpt, dict) and 'model' in ckpt:
        state_dict = ckpt['model']
    elif isinstance(ckpt, dict) and ckpt and all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        state_dict = ckpt  # a bare state_dict
    else:
        keys = list(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(f'{src} has no "model" entry (found {keys}); '
                         'expected an official MotionAGFormer checkpoint')
    try:
        converted = convert_official_state_dict(
            state_dict, num_frames=num_frames)
        cfg = infer_official_config(state_dict, num_frames=num_frames)
    except (KeyError, ValueError) as err:
        raise ValueError(f'{src}: {err.args[0]}') from None
    meta = dict(
        converted_from=osp.basename(src),
        config=cfg,
        joint_order=joint_order,
        keypoint_convention=keypoint_convention)
    torch.save(dict(state_dict=converted, meta=meta), dst)
    return dict(num_tensors=len(converted), config=cfg, meta=meta)
