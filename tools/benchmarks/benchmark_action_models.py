# Copyright (c) mmext contributors. All rights reserved.
"""Parameters, FLOPs and training throughput of the two-stream action models.

    python tools/benchmarks/benchmark_action_models.py \\
        [--configs CFG ...] [--device cpu|cuda] [--precisions fp32 amp] \\
        [--batch-size 2] [--warmup 3] [--iters 10] [--rounds 2] \\
        [--threads N] [--no-throughput] [--flops-batch 1] \\
        [--rgb-shape 3 8 224 224] [--pose-shape 32 56 56] [--out R.json]

* Parameters: every parameter of the recognizer (backbone + head).
* FLOPs: mmengine's ``get_model_complexity_info`` on backbone + head for one
  clip (fvcore convention: one multiply-add counts as one FLOP).
* Throughput: clips/s of a full training step (forward in ``loss`` mode,
  backward, SGD step) on random inputs, median over the timed iterations
  after ``--warmup`` iterations. The models are timed round-robin
  (``--rounds``) in the same process so that they see the same machine
  state. ``amp`` (float16 autocast + GradScaler) needs CUDA.

The default input sizes are those of the configs' training pipelines:
RGB 3 x 8 x 224 x 224, pose heatmaps V x 32 x 56 x 56 with V (17 for NTU60,
28 for MA-52) read from the config (RGBPoseConv3D wants pose spatial =
RGB / 4 and pose frames = 4 x RGB frames).
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List

import torch.nn as nn

import mmext  # noqa: F401  (applies the upstream patches first)
from mmext.utils.profiling import markdown_table, sync

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIGS = [
    'configs/action/rgbpose-conv3d_pcan_2xb12-80e_ntu60-xsub.py',
    'configs/action/x3d-tsm-m_pcan_2xb16-80e_ntu60-xsub.py',
]
PRECISIONS = ('fp32', 'amp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--device', default='cpu', help='cpu | cuda[:i]')
    parser.add_argument(
        '--precisions', nargs='+', default=['fp32'], choices=PRECISIONS)
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--flops-batch', type=int, default=1)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--no-throughput', action='store_true')
    parser.add_argument('--no-flops', action='store_true')
    parser.add_argument(
        '--rgb-shape', type=int, nargs=4, default=[3, 8, 224, 224])
    parser.add_argument(
        '--pose-shape',
        type=int,
        nargs=3,
        default=[32, 56, 56],
        help='T H W of the pose heatmaps; the channel count (keypoints) '
        'is read from each config')
    parser.add_argument('--out', help='write the results as JSON here')
    args = parser.parse_args(argv)
    if 'amp' in args.precisions and not args.device.startswith('cuda'):
        parser.error('--precisions amp needs --device cuda (float16 autocast '
                     'with GradScaler); valid on CPU: fp32')
    for name in ('batch_size', 'flops_batch', 'iters', 'rounds'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    return args


def build(config: str):
    """Config and recognizer (mmaction scope, mmext imports)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings
    path = Path(config)
    if not path.is_absolute():
        path = ROOT / path
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    from mmaction.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


class BackboneHead(nn.Module):
    """``forward(imgs, heatmap_imgs)`` = backbone + head of a recognizer,
    for the FLOP counter (which calls the module with positional inputs)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, imgs, heatmap_imgs):
        feats = self.model.backbone(imgs=imgs, heatmap_imgs=heatmap_imgs)
        return self.model.cls_head(feats)


def pose_channels(cfg) -> int:
    """Number of heatmap channels (keypoints) the config's model takes."""
    backbone = cfg.model.backbone
    if backbone.get('stream') == 'rgb':
        return 0  # RGB-only model: heatmaps unused (0 channels fed)
    for key in ('pose_pathway', 'backbone'):
        sub = backbone.get(key)
        if sub is not None and 'in_channels' in sub:
            return int(sub['in_channels'])
    return 17  # mmaction2's RGBPoseConv3D default


def count_params(model) -> Dict[str, int]:
    """Parameters of the whole model, the backbone and the head."""

    def n(m):
        return sum(p.numel() for p in m.parameters())

    return dict(total=n(model), backbone=n(model.backbone),
                head=n(model.cls_head))


def count_flops(model, rgb_shape, pose_shape, batch: int) -> int:
    """FLOPs of backbone + head for ``batch`` clips (mmengine counter)."""
    import torch
    from mmengine.analysis import get_model_complexity_info
    wrapped = BackboneHead(model).eval()
    inputs = (torch.zeros(batch, *rgb_shape), torch.zeros(batch, *pose_shape))
    with torch.no_grad():
        info = get_model_complexity_info(
            wrapped, inputs=inputs, show_table=False, show_arch=False)
    return int(info['flops'])


def _samples(batch: int, num_classes: int, hierarchy):
    import torch
    from mmaction.structures import ActionDataSample
    out = []
    for i in range(batch):
        y = i % num_classes
        ds = ActionDataSample().set_gt_label(y)
        if hierarchy is not None:
            ds.set_field(torch.tensor([hierarchy[y]]), 'gt_coarse_label')
        out.append(ds)
    return out


class _Trainer:
    """One model's training step at one precision, timed per iteration."""

    def __init__(self, model, precision, device, batch, rgb_shape,
                 pose_shape):
        import torch
        self.torch = torch
        self.model = model.to(device).train()
        self.device = torch.device(device)
        self.precision = precision
        self.opt = torch.optim.SGD(
            self.model.parameters(), lr=1e-3, momentum=0.9)
        self.scaler = torch.amp.GradScaler('cuda') \
            if precision == 'amp' else None
        g = torch.Generator().manual_seed(0)
        # recognizer inputs are (N, num_clips, C, T, H, W)
        self.inputs = dict(
            imgs=torch.randn(batch, 1, *rgb_shape, generator=g).to(device),
            heatmap_imgs=torch.rand(batch, 1, *pose_shape,
                                    generator=g).to(device))
        head = model.cls_head
        self.samples = _samples(batch, head.num_classes, head.hierarchy)
        self.times: List[float] = []

    def step(self, record: bool) -> None:
        torch = self.torch
        sync(self.device)
        start = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        inputs = {k: v.clone() for k, v in self.inputs.items()}
        with torch.autocast(
                'cuda', dtype=torch.float16,
                enabled=self.precision == 'amp'):
            losses = self.model(inputs, self.samples, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            loss.backward()
            self.opt.step()
        sync(self.device)
        if record:
            self.times.append(time.perf_counter() - start)


def results_table(results: Dict) -> str:
    """The results as a Markdown table (one row per model)."""
    precisions = sorted({
        p
        for m in results['models'].values()
        for p in m.get('throughput', {})
    })
    head = ['model', 'params (M)', 'backbone (M)', 'head (M)',
            'GFLOPs / clip', 'pose input']
    head += [f'train clips/s {p} ({results["device_name"]}, batch '
             f'{results["batch_size"]})' for p in precisions]
    rows = []
    for name, m in results['models'].items():
        flops = m.get('flops_per_clip')
        row = [
            name, f"{m['params']['total'] / 1e6:.2f}",
            f"{m['params']['backbone'] / 1e6:.2f}",
            f"{m['params']['head'] / 1e6:.3f}",
            f'{flops / 1e9:.1f}' if flops is not None else '-',
            'x'.join(map(str, m['pose_shape']))
            if m['pose_shape'][0] else 'unused'
        ]
        for p in precisions:
            t = m.get('throughput', {}).get(p)
            row.append(f"{t['clips_per_s']:.3f}" if t else '-')
        rows.append(row)
    return markdown_table(head, rows)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        sys.exit('error: --device cuda requested but no CUDA device is '
                 'available')
    results = dict(
        device=args.device,
        device_name=(torch.cuda.get_device_name(args.device)
                     if args.device.startswith('cuda') else 'cpu'),
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        rgb_shape=args.rgb_shape,
        pose_shape=args.pose_shape,
        batch_size=args.batch_size,
        models={})
    models = {}
    for config in args.configs:
        cfg, model = build(config)
        name = Path(config).stem
        pose_shape = [pose_channels(cfg)] + list(args.pose_shape)
        entry = dict(
            config=config, params=count_params(model), pose_shape=pose_shape)
        if not args.no_flops:
            entry['flops_per_clip'] = count_flops(
                model, args.rgb_shape, pose_shape,
                args.flops_batch) / args.flops_batch
        results['models'][name] = entry
        models[name] = (model, pose_shape)
        print(f'{name}: params {entry["params"]["total"] / 1e6:.2f} M'
              + (f', FLOPs/clip {entry["flops_per_clip"] / 1e9:.2f} G'
                 if 'flops_per_clip' in entry else ''), flush=True)

    if not args.no_throughput:
        trainers = {(name, p): _Trainer(m, p, args.device, args.batch_size,
                                        args.rgb_shape, pose_shape)
                    for name, (m, pose_shape) in models.items()
                    for p in args.precisions}
        for t in trainers.values():
            for _ in range(args.warmup):
                t.step(record=False)
        for _ in range(args.rounds):
            for t in trainers.values():
                for _ in range(args.iters):
                    t.step(record=True)
        for (name, p), t in trainers.items():
            med = statistics.median(t.times)
            results['models'][name].setdefault('throughput', {})[p] = dict(
                median_step_s=med,
                clips_per_s=args.batch_size / med,
                steps=len(t.times))
            print(f'{name} [{p}]: median step {med:.3f} s, '
                  f'{args.batch_size / med:.2f} clips/s '
                  f'({len(t.times)} steps)', flush=True)
    print(results_table(results))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
