# Copyright (c) mmext contributors. All rights reserved.
"""Convert an official MotionAGFormer checkpoint to an mmpose PoseLifter one.

Usage::

    python tools/model_converters/motionagformer_official_to_mmext.py \
        motionagformer-b-h36m.pth.tr motionagformer-b_mmext.pth

The source is TaatiTeam/MotionAGFormer's ``torch.save`` output: a dict whose
``'model'`` entry is the (DataParallel, ``module.``-prefixed) state_dict. It
is read with ``torch.load(..., weights_only=True)``, so no code in the file
runs. The destination holds ``{'state_dict': ..., 'meta': ...}`` with keys
``backbone.*`` (:class:`mmext.models.pose3d.MotionAGFormer`),
``head.pre_logits.fc.*`` and ``head.fc.*`` (mmpose ``MotionRegressionHead``);
load it with ``load_from`` or ``init_cfg=dict(type='Pretrained', ...)``.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

import torch


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert an official MotionAGFormer checkpoint to an '
        'mmpose PoseLifter state_dict (backbone.*, head.*).')
    parser.add_argument('src', help='official checkpoint (ckpt["model"])')
    parser.add_argument('dst', help='output path')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the conversion; returns the process exit code."""
    args = parse_args(argv)
    # Imported late so that ``--help`` works without the model stack.
    from mmext.models.pose3d.backbones import (convert_official_state_dict,
                                               infer_official_config)

    ckpt = torch.load(args.src, map_location='cpu', weights_only=True)
    if isinstance(ckpt, dict) and 'model' in ckpt:
        state_dict = ckpt['model']
    elif isinstance(ckpt, dict) and ckpt and all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        state_dict = ckpt  # a bare state_dict
    else:
        keys = list(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        print(f'error: {args.src} has no "model" entry (found {keys}); '
              'expected an official MotionAGFormer checkpoint',
              file=sys.stderr)
        return 1
    try:
        converted = convert_official_state_dict(state_dict)
    except KeyError as err:
        print(f'error: {args.src}: {err.args[0]}', file=sys.stderr)
        return 1
    cfg = infer_official_config(state_dict)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(converted_from=osp.basename(args.src), config=cfg)),
        args.dst)
    print(f'wrote {len(converted)} tensors to {args.dst}')
    print(f'backbone=dict(type="MotionAGFormer", **{cfg["backbone"]})')
    print(f'head=dict(type="MotionRegressionHead", **{cfg["head"]})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
