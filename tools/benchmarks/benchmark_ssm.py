# Copyright (c) mmext contributors. All rights reserved.
"""Benchmark the SSM layers: forward + backward time per implementation.

For ``Mamba`` and ``Mamba2`` at each size, the same weights run through
``backend='torch'`` (chunked scan), ``backend='naive'`` (a sequential loop
over time) and, on CUDA with mamba_ssm importable, ``backend='mamba_ssm'``.
Variants are timed side by side, interleaved in every repeat, after warm-up;
the median is reported with ratios to the PyTorch path. Only GPU absolute
times are meant to be quoted: CPU timings on shared machines vary with load,
the ratios measured in one run are the result.

Example::

    python tools/benchmarks/benchmark_ssm.py --device cpu \
        --sizes 2x128x64 2x512x64 1x1024x64 --repeat 5 \
        --out work_dirs/benchmark_ssm.md
"""
import argparse
import copy
import datetime
import json
import os
import os.path as osp
import platform
import statistics
import sys
import time
from typing import Dict, List

import torch

from mmext.models.layers.ssm import Mamba, Mamba2
from mmext.models.layers.ssm.backend import load_mamba_ssm_kernels
from mmext.utils.profiling import sync

LAYERS = ('mamba', 'mamba2')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--device', default='cpu', help="'cpu' or 'cuda' (or 'cuda:N')")
    parser.add_argument(
        '--sizes',
        nargs='+',
        default=['2x128x64', '2x512x64', '1x1024x64'],
        help='sizes as BATCHxLENGTHxD_MODEL')
    parser.add_argument(
        '--layers', nargs='+', default=list(LAYERS), choices=LAYERS)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch CPU threads (default 1, so other load on the machine '
        'disturbs the numbers less)')
    parser.add_argument(
        '--mamba2-d-state', type=int, default=64, help='Mamba2 d_state')
    parser.add_argument(
        '--headdim', type=int, default=32, help='Mamba2 headdim')
    parser.add_argument(
        '--chunk-size', type=int, default=64, help='Mamba2 chunk size')
    parser.add_argument(
        '--no-naive', action='store_true', help='skip the naive loop')
    parser.add_argument(
        '--out', help='write results to this .md or .json file')
    return parser.parse_args()


def parse_size(text: str):
    try:
        b, seqlen, d = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise ValueError(f'--sizes entries must look like 2x512x64 '
                         f'(BATCHxLENGTHxD_MODEL), got {text!r}') from None
    return b, seqlen, d


def step(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.zero_grad(set_to_none=True)
    x.grad = None
    y = model(x)
    y.float().square().mean().backward()
    return y.detach()


def bench_one(layer: str, size, args, device) -> List[Dict]:
    b, seqlen, d = size
    torch.manual_seed(0)
    if layer == 'mamba':
        base = Mamba(d_model=d, backend='torch')
    else:
        base = Mamba2(
            d_model=d,
            d_state=args.mamba2_d_state,
            headdim=args.headdim,
            chunk_size=args.chunk_size,
            backend='torch')
    base = base.to(device)
    variants = {'torch': base}
    notes = {}
    if not args.no_naive:
        variants['naive'] = copy.deepcopy(base)
        variants['naive'].backend = 'naive'
    if device.type == 'cuda':
        kernels = load_mamba_ssm_kernels(layer)
        if isinstance(kernels, str):
            notes['mamba_ssm'] = f'not available: {kernels}'
        else:
            variants['mamba_ssm'] = copy.deepcopy(base)
            variants['mamba_ssm'].backend = 'mamba_ssm'
    x = torch.randn(b, seqlen, d, device=device, requires_grad=True)
    times = {k: [] for k in variants}
    outs = {}
    for it in range(args.warmup + args.repeat):
        for name, model in variants.items():  # interleaved, side by side
            sync(device)
            t0 = time.perf_counter()
            outs[name] = step(model, x)
            sync(device)
            if it >= args.warmup:
                times[name].append(time.perf_counter() - t0)
    rows = []
    t_torch = statistics.median(times['torch'])
    for name in variants:
        t = statistics.median(times[name])
        rows.append(
            dict(
                layer=layer,
                size=f'B{b} L{seqlen} D{d}',
                variant=name,
                median_ms=t * 1e3,
                ratio_to_torch=t / t_torch,
                max_abs_diff_vs_torch=(
                    outs[name].float() -
                    outs['torch'].float()).abs().max().item()))
    for name, note in notes.items():
        rows.append(
            dict(
                layer=layer,
                size=f'B{b} L{seqlen} D{d}',
                variant=name,
                note=note))
    return rows


def to_markdown(rows: List[Dict], meta: Dict) -> str:
    lines = [
        f"Command: `{meta['command']}`",
        f"Date: {meta['date']}; device: {meta['device_name']}; torch "
        f"{meta['torch']}; threads: {meta['threads']}; median of "
        f"{meta['repeat']} after {meta['warmup']} warm-up.",
        '',
        '| layer | size (fwd+bwd) | variant | median ms | time / torch path '
        '| max abs diff vs torch |',
        '| --- | --- | --- | ---: | ---: | ---: |',
    ]
    for r in rows:
        if 'note' in r:
            lines.append(f"| {r['layer']} | {r['size']} | {r['variant']} | "
                         f"{r['note']} | | |")
        else:
            lines.append(f"| {r['layer']} | {r['size']} | {r['variant']} | "
                         f"{r['median_ms']:.1f} | {r['ratio_to_torch']:.2f} "
                         f"| {r['max_abs_diff_vs_torch']:.1e} |")
    lines.append('')
    lines.append('Absolute times: quote only GPU numbers; CPU ones depend on '
                 'the load of the (shared) machine. Ratios are measured side '
                 'by side in one run.')
    return '\n'.join(lines) + '\n'


def main() -> None:
    args = parse_args()
    device = torch.device(args.device)
    if device.type == 'cpu':
        torch.set_num_threads(args.threads)
    sizes = [parse_size(s) for s in args.sizes]
    meta = dict(
        command='python ' + ' '.join(sys.argv),
        date=datetime.date.today().isoformat(),
        device_name=(torch.cuda.get_device_name(device) if device.type
                     == 'cuda' else f'CPU ({platform.machine()})'),
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        repeat=args.repeat,
        warmup=args.warmup)
    rows = []
    for layer in args.layers:
        for size in sizes:
            rows.extend(bench_one(layer, size, args, device))
            print(f'done {layer} {size}', flush=True)
    table = to_markdown(rows, meta)
    print(table)
    if args.out:
        out_dir = osp.dirname(args.out)
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
        with open(args.out, 'w') as f:
            if args.out.endswith('.json'):
                json.dump(dict(meta=meta, rows=rows), f, indent=2)
            else:
                f.write(table)


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
