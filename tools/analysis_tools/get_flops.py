# Copyright (c) mmext contributors. All rights reserved.
"""Parameters and MACs of a 3D pose lifter with mmengine's complexity tool.

Two ways to pick the model::

    # a MotionAGFormer preset (backbone + MotionRegressionHead)
    python tools/analysis_tools/get_flops.py --arch xs \
        --branches attention,graph --frames 27
    python tools/analysis_tools/get_flops.py --arch b --branches mamba_gcn

    # any config whose ``model`` is an mmpose pose lifter
    python tools/analysis_tools/get_flops.py CONFIG [--frames T]

Counts come from :func:`mmengine.analysis.get_model_complexity_info`
(fvcore-style: one fused multiply-add = one "flop", i.e. these are MACs),
for one sequence ``(1, T, 17, 3)``. mmengine has no handle for
``aten::scaled_dot_product_attention``; this script registers one
(``QK^T`` and ``AV``: ``B*H*L*S*(E+Ev)`` MACs) so attention is counted.
Element-wise operations (softmax, activations, the SSM's scan recurrences,
top-k) are not counted by mmengine, as in fvcore.
"""
import argparse
import math
import time

import torch


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Count parameters and MACs of a pose lifter.')
    parser.add_argument('config', nargs='?', help='mmpose-style config')
    parser.add_argument(
        '--arch', choices=['xs', 's', 'b', 'l'], help='MotionAGFormer preset')
    parser.add_argument(
        '--branches',
        default='attention,graph',
        help='comma-separated streams from attention,graph,mamba, or a '
        'variant name (baseline, mamba_gcn, full)')
    parser.add_argument(
        '--ssm-type', default='mamba', help="'mamba' or 'mamba2'")
    parser.add_argument(
        '--frames',
        type=int,
        help='sequence length T (defaults to the preset\'s / backbone\'s)')
    parser.add_argument(
        '--num-layers',
        type=int,
        help='override the preset\'s depth (MACs and parameters are '
        'affine in depth, so two shallow runs give the full-depth numbers '
        'when tracing the full model is too slow)')
    parser.add_argument(
        '--no-table', action='store_true', help='print totals only')
    parser.add_argument(
        '--out',
        help='also write {"params", "flops"} to this JSON file (e.g. '
        'WORK_DIR/complexity.json, read by summarize.py and report.py)')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.arch is None):
        parser.error('give either CONFIG or --arch (not both)')
    return args


def _sdpa_flop_jit(inputs, outputs):
    """MACs of ``aten::scaled_dot_product_attention``: QK^T and AV."""
    from mmengine.analysis.jit_handles import get_shape
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = math.prod(q[:-2])
    return batch * q[-2] * k[-2] * (q[-1] + v[-1])


def _register_sdpa_handle() -> None:
    from mmengine.analysis import complexity_analysis
    complexity_analysis._DEFAULT_SUPPORTED_FLOP_OPS.setdefault(
        'aten::scaled_dot_product_attention', _sdpa_flop_jit)


class _Lifter(torch.nn.Module):
    """backbone + head with a single-tensor forward, for tracing."""

    def __init__(self, backbone, head):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x):
        return self.head(self.backbone(x))


def build_model(args):
    """Return ``(model, frames, description)``."""
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules

    import mmext.models.pose3d  # noqa: F401  registers MotionAGFormer
    register_all_modules(init_default_scope=False)
    if args.config is not None:
        from mmengine.config import Config
        from mmengine.utils import import_modules_from_strings
        cfg = Config.fromfile(args.config)
        if cfg.get('custom_imports'):
            import_modules_from_strings(**cfg.custom_imports)
        lifter = MODELS.build(cfg.model)
        frames = args.frames or getattr(lifter.backbone, 'num_frames', 243)
        model = _Lifter(lifter.backbone, lifter.head)
        return model, frames, args.config

    from mmext.models.pose3d.backbones import BRANCH_VARIANTS, MotionAGFormer
    branches = args.branches
    if branches not in BRANCH_VARIANTS:
        branches = tuple(b.strip() for b in branches.split(',') if b.strip())
    arch = dict(MotionAGFormer.arch_settings[args.arch])
    if args.frames:
        arch['num_frames'] = args.frames
    if args.num_layers:
        arch['num_layers'] = args.num_layers
    ssm_cfg = dict(type=args.ssm_type)
    backbone = MotionAGFormer(
        arch=arch,
        branches=branches,
        ssm_cfg=ssm_cfg if 'mamba' in str(branches) else None)
    head = MODELS.build(
        dict(
            type='MotionRegressionHead',
            in_channels=backbone.embed_dims,
            out_channels=3,
            embedding_size=512))
    desc = (f'MotionAGFormer-{args.arch} ({arch["num_layers"]} layers) '
            f'branches={backbone.branches}')
    return _Lifter(backbone, head), arch['num_frames'], desc


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.analysis import get_model_complexity_info
    _register_sdpa_handle()
    model, frames, desc = build_model(args)
    model.eval()
    inputs = (torch.randn(1, frames, 17, 3), )
    start = time.time()
    with torch.no_grad():
        info = get_model_complexity_info(
            model,
            inputs=inputs,
            show_table=not args.no_table,
            show_arch=False)
    if not args.no_table:
        print(info['out_table'])
    print(f'{desc}, input (1, {frames}, 17, 3)')
    print(f'params: {info["params"]:,} ({info["params"] / 1e6:.3f} M)')
    print(f'MACs:   {int(info["flops"]):,} ({info["flops"] / 1e9:.2f} G)')
    print(f'(analysis took {time.time() - start:.1f} s)')
    if args.out:
        import json
        with open(args.out, 'w') as f:
            json.dump(dict(params=int(info['params']),
                           flops=int(info['flops']),
                           input=[1, frames, 17, 3], model=desc,
                           counter='mmengine get_model_complexity_info '
                           '(MACs)'), f, indent=1)
        print(f'written: {args.out}')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
