# Copyright (c) mmext contributors. All rights reserved.
"""Per-stream and fused top-k predictions of an RGB+pose action model.

    python tools/inference/action_inference.py CONFIG CHECKPOINT \\
        --video V.mp4 --skeleton S.pkl [--sample-index I | --frame-dir NAME] \\
        [--topk 5] [--device cpu] [--out result.json] [--cfg-options k=v]

Prints the top-k fine and coarse classes (with names where mmext knows them)
of the RGB stream, the pose stream and the fused prediction. ``--skeleton``
is an mmaction2 skeleton pickle; the clip goes through the config's test
pipeline. The work is done by :mod:`mmext.apis.action_inference`, whose
docstring describes the inputs and the safety of the loaders.
"""
import argparse
import json
import sys
from typing import Dict

from mmengine.config import DictAction

from mmext.apis.action_inference import (format_action_result,
                                         inference_action, init_action_model,
                                         load_skeleton, select_annotation)
from mmext.utils import load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Top-k fine/coarse classes per stream (RGB, pose) and '
        'fused, for one video + skeleton')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint (.pth) file')
    parser.add_argument('--video', required=True, help='RGB video file')
    parser.add_argument(
        '--skeleton', required=True, help='mmaction2 skeleton .pkl file')
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        '--sample-index',
        type=int,
        default=None,
        help='index of the annotation in the pkl (default: 0)')
    which.add_argument(
        '--frame-dir', help='pick the annotation with this frame_dir')
    parser.add_argument('--topk', type=int, default=5, help='k of top-k')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--out', help='write the result as JSON here')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.cls_head.streams=[pose]')
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    if args.topk < 1:
        sys.exit(f'error: --topk must be >= 1, got {args.topk}')
    # errors are one line (tools' shared path, mmext.utils.cli_main)
    cfg = load_config(args.config, args.cfg_options, check_data=False)
    annos = load_skeleton(args.skeleton)
    annotation = select_annotation(annos, args.sample_index, args.frame_dir)
    model = init_action_model(cfg, args.checkpoint, args.device)
    result = inference_action(cfg, model, annotation, args.video, args.topk)
    print(format_action_result(result))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'result written to {args.out}')
    return result


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
