# Copyright (c) mmext contributors. All rights reserved.
"""Convert an official MotionAGFormer checkpoint to an mmpose PoseLifter one.

Usage::

    python tools/model_converters/motionagformer_official_to_mmext.py \
        motionagformer-b-h36m.pth.tr motionagformer-b_mmext.pth \
        --joint-order h36m

``--joint-order`` is required: the checkpoint does not record what it was
trained on. Upstream's Human3.6M weights use H36M's joint order (``h36m``);
its MPI-INF-3DHP weights (``train_3dhp.py``) use 3DHP's 17-joint order
(``3dhp``: head_top, neck, ..., pelvis = 14). The order is stored in the
output's ``meta['joint_order']``; mmext's MPI-INF-3DHP configs refuse a
checkpoint whose order differs from their data's (``JointOrderCheckHook``),
and ``*_mpi-inf-3dhp-order.py`` evaluates 3DHP weights in their own order.
``--keypoint-convention`` (default ``motionagformer-demo``) is stored in
``meta['keypoint_convention']``: the COCO-17 -> Human3.6M conversion the
weights are used with in the wild. Upstream's demo (``demo/vis.py``) feeds
its weights MHFormer's ``coco_h36m`` heuristic (``demo/lib/preprocess.py``),
so ``tools/inference/pose3d_video.py`` uses that for converted upstream
weights unless told otherwise (see docs/tools/pose3d_video.md).
``--num-frames`` (upstream config ``n_frames``) is required for checkpoints
with MS-TCN in the graph stream, which hold no frame-sized parameter.

The source is TaatiTeam/MotionAGFormer's ``torch.save`` output: a dict whose
``'model'`` entry is the (DataParallel, ``module.``-prefixed) state_dict. It
is read with ``torch.load(..., weights_only=True)``, so no code in the file
runs. The destination holds ``{'state_dict': ..., 'meta': ...}`` with keys
``backbone.*`` (:class:`mmext.models.pose3d.MotionAGFormer`),
``head.pre_logits.fc.*`` and ``head.fc.*`` (mmpose ``MotionRegressionHead``);
load it with ``load_from`` or ``init_cfg=dict(type='Pretrained', ...)``.
The conversion is :func:`mmext.apis.model_conversion.
convert_motionagformer_checkpoint`; this tool parses the arguments.
"""
import argparse
from typing import List, Optional

from mmext.apis.model_conversion import (JOINT_ORDERS, KEYPOINT_CONVENTIONS,
                                         convert_motionagformer_checkpoint)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert an official MotionAGFormer checkpoint to an '
        'mmpose PoseLifter state_dict (backbone.*, head.*).')
    parser.add_argument('src', help='official checkpoint (ckpt["model"])')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--joint-order', required=True, choices=JOINT_ORDERS,
        help='joint order of the data the checkpoint was trained on: h36m '
        '(upstream Human3.6M weights) or 3dhp (upstream MPI-INF-3DHP '
        'weights, trained by train_3dhp.py on 3DHP order)')
    parser.add_argument(
        '--keypoint-convention', default='motionagformer-demo',
        choices=KEYPOINT_CONVENTIONS,
        help='COCO-17 -> H36M conversion the weights are meant for in the '
        "wild, stored in meta['keypoint_convention'] (default: "
        "motionagformer-demo, the one upstream's demo/vis.py uses)")
    parser.add_argument(
        '--num-frames', type=int, default=None,
        help='clip length (upstream config n_frames); required for MS-TCN '
        'checkpoints, checked against the checkpoint otherwise')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the conversion; errors reach the user as one line (cli_main)."""
    args = parse_args(argv)
    out = convert_motionagformer_checkpoint(
        args.src, args.dst, args.joint_order, args.keypoint_convention,
        args.num_frames)
    cfg = out['config']
    print(f'wrote {out["num_tensors"]} tensors to {args.dst}')
    print(f'backbone=dict(type="MotionAGFormer", **{cfg["backbone"]})')
    print(f'head=dict(type="MotionRegressionHead", **{cfg["head"]})')
    print(f'keypoint convention (in-the-wild COCO -> H36M): '
          f'{args.keypoint_convention}')
    print(f'joint order: {args.joint_order} (num_heads and neighbour_num '
          'are not stored in a checkpoint: take them from its upstream '
          'config)')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
