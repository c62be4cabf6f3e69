# Copyright (c) mmext contributors. All rights reserved.
"""Training-step benchmark for pose3d (pose lifting) configs.

    python tools/benchmarks/benchmark_train.py CONFIG [CONFIG ...]
        [--batch-size 16] [--steps 20] [--warmup 5]
        [--precision fp32 tf32 bf16] [--compile] [--fused-adamw]
        [--device cuda|cpu] [--threads N] [--out results.md]

For every config and precision (measured side by side in one process) it
times full training steps - forward, the config's loss, backward, AdamW step
- on random inputs of the config's shape, and reports:

* samples/s: batch size / median step time after warm-up;
* model GFLOPs per sample: 2 x forward MACs (mmengine's complexity
  analysis), and training FLOPs ~= 3 x that;
* MFU: achieved training FLOP/s divided by a *measured* dense matmul peak of
  the same precision on this device (CUDA only);
* peak GPU memory (``torch.cuda.max_memory_allocated``).

Absolute times are only meaningful on the GPU; on a shared CPU compare
ratios from one run.
"""
import argparse
import statistics
import sys
import time
from typing import List

import torch

from mmext.apis.pose3d_benchmark import build_pose3d_model, pose3d_input_shape
from mmext.utils import ConfigError, load_config
from mmext.utils.profiling import markdown_table, sync

PRECISIONS = ('fp32', 'tf32', 'bf16')


def matmul_peak(device, precision: str, n: int = 8192) -> float:
    """Measured dense matmul FLOP/s (CUDA) for ``precision``."""
    dtype = torch.bfloat16 if precision == 'bf16' else torch.float32
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    sync(device)
    times = []
    for _ in range(10):
        t = time.perf_counter()
        a @ b
        sync(device)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times)


class _Lifter(torch.nn.Module):
    """backbone + head as one module, for the FLOP counter."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.head.forward(self.model.extract_feat(x))


def forward_flops(model, shape) -> float:
    """FLOPs (2 x MACs) of one sample's forward pass."""
    from mmengine.analysis import FlopAnalyzer
    model.eval()
    x = torch.randn(1, *shape, device=next(model.parameters()).device)
    with torch.no_grad():
        analyzer = FlopAnalyzer(_Lifter(model), (x, ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        macs = analyzer.total()
    model.train()
    return 2.0 * macs


def bench_one(model, shape, args, precision, device) -> dict:
    torch.backends.cuda.matmul.allow_tf32 = precision == 'tf32'
    torch.backends.cudnn.allow_tf32 = precision == 'tf32'
    model.train()
    optim_kwargs = dict(lr=5e-4, weight_decay=0.01)
    if args.fused_adamw and device.type == 'cuda':
        optim_kwargs['fused'] = True
    optimizer = torch.optim.AdamW(model.parameters(), **optim_kwargs)
    step_model = torch.compile(model) if args.compile else model
    b = args.batch_size
    x = torch.randn(b, *shape, device=device)
    target = torch.randn(b, shape[0], shape[1], 3, device=device)
    weight = torch.ones(b, shape[0], shape[1], 1, device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16,
                            enabled=precision == 'bf16'):
            feats = step_model.extract_feat(x)
            pred = step_model.head.forward(feats)
            loss = model.head.loss_module(pred.float(), target, weight)
        loss.backward()
        optimizer.step()

    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(args.warmup):
        step()
    sync(device)
    times = []
    for _ in range(args.steps):
        t = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    out = dict(step_ms=1e3 * med, samples_s=b / med)
    if device.type == 'cuda':
        out['peak_mem_gib'] = torch.cuda.max_memory_allocated(device) / 2**30
    return out


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument(
        '--precision', nargs='+', default=['fp32'], choices=PRECISIONS)
    parser.add_argument('--compile', action='store_true')
    parser.add_argument('--fused-adamw', action='store_true')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--out', help='write the Markdown table here')
    args = parser.parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        print('error: --device cuda requested but CUDA is not available',
              file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    rows = []
    for path in args.configs:
        try:
            cfg = load_config(path, check_data=False)
        except ConfigError as err:
            print(f'error: {err}', file=sys.stderr)
            return 2
        model = build_pose3d_model(cfg).to(device)
        shape = pose3d_input_shape(model)
        n_params = sum(p.numel() for p in model.parameters())
        flops = forward_flops(model, shape)
        for precision in args.precision:
            res = bench_one(model, shape, args, precision, device)
            row = dict(config=path.split('/')[-1][:-3], precision=precision,
                       params_m=n_params / 1e6, gflops=flops / 1e9, **res)
            if device.type == 'cuda':
                peak = matmul_peak(device, precision)
                row['mfu'] = 3 * flops * res['samples_s'] / peak
            rows.append(row)
            print(row, flush=True)

    header = ['config', 'precision', 'params (M)', 'fwd GFLOPs/sample',
              'step ms', 'samples/s']
    if device.type == 'cuda':
        header += ['MFU', 'peak mem (GiB)']
    cells = []
    for r in rows:
        cells.append([r['config'], r['precision'], f"{r['params_m']:.3f}",
                      f"{r['gflops']:.2f}", f"{r['step_ms']:.1f}",
                      f"{r['samples_s']:.1f}"])
        if device.type == 'cuda':
            cells[-1] += [f"{r['mfu']:.1%}", f"{r['peak_mem_gib']:.2f}"]
    table = markdown_table(header, cells)
    print(f'\nbatch {args.batch_size}, {args.steps} steps after '
          f'{args.warmup} warm-up, device {device}, compile={args.compile}')
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
