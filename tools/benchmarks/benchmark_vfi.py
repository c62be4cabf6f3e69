# Copyright (c) mmext contributors. All rights reserved.
"""Speed / memory benchmark of the VFI model per backbone mode.

For every mode (``hybrid``, ``mamba2_only``, ``gated_attn_only``) and frame
size, a fresh worker process builds the model of ``--config`` with that mode,
runs one warm-up interpolation and ``--repeat`` timed ones (eval mode, no
gradients), and reports ms per interpolated frame, peak memory, parameters
and FLOPs (``torch.utils.flop_counter``: matmuls and convolutions, 2 FLOPs a
multiply-add). Peak memory is ``torch.cuda.max_memory_allocated`` on CUDA and,
on the CPU, the growth of the worker's peak resident set (``ru_maxrss``) over
its size just before the first interpolation. The linear-cost check compares
the largest size with the smallest: pixels x P must cost at most 1.25 P times
the time and the memory (16x pixels <= 20x). Sizes may be ``N`` (N x N),
``WxH``, or ``720p`` / ``1080p`` / ``4k``. ``--flow-scale`` < 1 runs the
high-resolution path (flow at reduced scale). ``--malloc keep default``
measures the glibc allocator setting the tools use
(:func:`mmext.utils.keep_freed_memory`: freed memory is reused instead of
mapping fresh pages for every large tensor) beside glibc's default.

``--interleaved`` times every model in ONE process, alternating models
and sizes within each repeat (the model order rotates every repeat), so a
load change on a shared machine hits all models alike; it reports medians,
the median of the per-repeat time ratios to the reference (EMA-VFI-small
with ``--emavfi``, else the first mode), and the growth from the smallest
to the largest size. ``--emavfi PATH`` adds the official EMA-VFI-small
(``ours_small``: ``config.init_model_config(F=16, depth=[2, 2, 2, 2, 2])``
of MCG-NJU/EMA-VFI, random weights) from a checkout of that repository the
user gives; its process gets the checkout on ``PYTHONPATH`` and, on the
CPU, ``torch.Tensor.cuda`` returning the tensor itself (their
``model/flow_estimation.py`` calls ``.cuda()``); their files are not
modified. EMA-VFI-small is called as their ``Trainer.Model.inference``
does (``net(cat(img0, img1), timestep)``, no test-time augmentation).

Examples (docs/benchmarks.md)::

    python tools/benchmarks/benchmark_vfi.py --sizes 256 512 1024 \
        --repeat 2 --out work_dirs/benchmark_vfi.md
    python tools/benchmarks/benchmark_vfi.py --interleaved \
        --emavfi /path/to/EMA-VFI --sizes 256 512 --repeat 5 --threads 1
"""
import argparse
import datetime
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

from mmengine.config import DictAction

MODES = ('hybrid', 'mamba2_only', 'gated_attn_only')
NAMED = {'720p': (1280, 720), '1080p': (1920, 1080), '4k': (3840, 2160)}
DEFAULT_CONFIG = 'configs/vfi/hybrid-vfi_1xb8-300e_vimeo90k.py'


def parse_size(s: str):
    if s.lower() in NAMED:
        return NAMED[s.lower()]
    if 'x' in s:
        w, h = s.lower().split('x')
        return int(w), int(h)
    return int(s), int(s)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--modes', nargs='+', default=list(MODES),
                   choices=MODES)
    p.add_argument('--sizes', nargs='+', default=['256', '512', '1024'])
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--flow-scale', type=float, default=1.0)
    p.add_argument('--device', default='cpu')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--malloc', nargs='+', default=['keep'],
                   choices=('keep', 'default'),
                   help="glibc allocator setting(s) to measure: 'keep' "
                   '(mmext.utils.keep_freed_memory, what the tools use) '
                   "and/or 'default'; several are measured side by side")
    p.add_argument('--interleaved', action='store_true',
                   help='time all models and sizes alternately in one '
                   'process (see the module docstring)')
    p.add_argument('--emavfi', default=None, metavar='PATH',
                   help='a checkout of MCG-NJU/EMA-VFI: add EMA-VFI-small '
                   '(with --interleaved)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   default={}, help='config overrides for every mmext '
                   'model (e.g. model.backbone.scan_stride=1)')
    p.add_argument('--out', default=None, help='write a Markdown report')
    p.add_argument('--worker', nargs=2, metavar=('MODE', 'SIZE'),
                   help=argparse.SUPPRESS)
    p.add_argument('--interleaved-worker', action='store_true',
                   help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def worker(args) -> dict:
    import torch
    from mmengine.config import Config
    from torch.utils.flop_counter import FlopCounterMode

    from mmext.apis.vfi_inference import init_interpolator
    if args.threads:
        torch.set_num_threads(args.threads)
    mode, size = args.worker
    if args.malloc == ['keep']:  # a worker gets exactly one setting
        from mmext.utils import keep_freed_memory
        keep_freed_memory()
    w, h = parse_size(size)
    cfg = Config.fromfile(args.config)
    cfg.model.backbone.mode = mode
    cfg.model.losses = []
    torch.manual_seed(0)
    model = init_interpolator(cfg, None, args.device)
    dev = torch.device(args.device)
    m = model.multiple if args.flow_scale == 1.0 else 4
    if w % m or h % m:
        raise SystemExit(f'size {w}x{h} must be a multiple of {m}')
    a = torch.rand(1, 3, h, w, device=dev)
    b = torch.rand(1, 3, h, w, device=dev)

    def run():
        with torch.no_grad():
            out = model.interpolate(a, b, 0.5, args.flow_scale)
        if dev.type == 'cuda':
            torch.cuda.synchronize()
        return out

    base = _rss_mb()
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    run()  # warm-up
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    if dev.type == 'cuda':
        mem = torch.cuda.max_memory_allocated() / 2**20
    else:
        mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model.interpolate(a, b, 0.5, args.flow_scale)
    return dict(mode=mode, size=f'{w}x{h}', pixels=w * h,
                ms=statistics.median(times), mem_mb=mem,
                params=sum(p.numel() for p in model.parameters()),
                gflops=fc.get_total_flops() / 1e9)


EMAVFI = 'EMA-VFI-small'


def _build_emavfi_small(device: str):
    """EMA-VFI-small from the checkout on ``PYTHONPATH`` (random weights).
    On the CPU their ``.cuda()`` calls are bypassed for this process."""
    import torch
    if not device.startswith('cuda'):
        torch.Tensor.cuda = lambda self, *a, **k: self
    try:
        import config as ema_config
        from model import feature_extractor, flow_estimation
    except ImportError as err:
        raise SystemExit(f'error: --emavfi: cannot import EMA-VFI\'s '
                         f'config.py / model/ from the checkout ({err}); '
                         f'give the root of a MCG-NJU/EMA-VFI checkout')
    backbone_cfg, flow_cfg = ema_config.init_model_config(
        F=16, depth=[2, 2, 2, 2, 2])
    torch.manual_seed(0)
    net = flow_estimation(feature_extractor(**backbone_cfg), **flow_cfg)
    return net.to(device).eval()


def interleaved_worker(args) -> list:
    """All models and sizes timed alternately in this process."""
    import torch
    from mmengine.config import Config
    from torch.utils.flop_counter import FlopCounterMode

    from mmext.apis.vfi_inference import init_interpolator
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.malloc == ['keep']:
        from mmext.utils import keep_freed_memory
        keep_freed_memory()
    dev = torch.device(args.device)
    calls = {}
    params = {}
    for mode in args.modes:
        cfg = Config.fromfile(args.config)
        cfg.merge_from_dict(args.cfg_options)
        cfg.model.backbone.mode = mode
        cfg.model.losses = []
        torch.manual_seed(0)
        model = init_interpolator(cfg, None, args.device)
        calls[mode] = (lambda m: lambda a, b: m.interpolate(
            a, b, 0.5, args.flow_scale))(model)
        params[mode] = sum(p.numel() for p in model.parameters())
    if args.emavfi:
        net = _build_emavfi_small(args.device)
        calls[EMAVFI] = lambda a, b: net(torch.cat((a, b), 1), 0.5)[-1]
        params[EMAVFI] = sum(p.numel() for p in net.parameters())
    sizes = [parse_size(sz) for sz in args.sizes]
    frames = {}
    g = torch.Generator().manual_seed(0)
    for w, h in sizes:
        frames[(w, h)] = (torch.rand(1, 3, h, w, generator=g).to(dev),
                          torch.rand(1, 3, h, w, generator=g).to(dev))

    def run(name, size):
        with torch.no_grad():
            calls[name](*frames[size])
        if dev.type == 'cuda':
            torch.cuda.synchronize()

    names = list(calls)
    gflops = {}
    for size in sizes:  # warm-up and FLOPs
        for name in names:
            run(name, size)
            with FlopCounterMode(display=False) as fc:
                run(name, size)
            gflops[(name, size)] = fc.get_total_flops() / 1e9
    times = {(n, sz): [] for n in names for sz in sizes}
    for r in range(args.repeat):
        order = names[r % len(names):] + names[:r % len(names)]
        for size in sizes:
            for name in order:
                t0 = time.perf_counter()
                run(name, size)
                times[(name, size)].append(
                    (time.perf_counter() - t0) * 1000)
    return [dict(mode=n, size=f'{sz[0]}x{sz[1]}', pixels=sz[0] * sz[1],
                 times=times[(n, sz)], ms=statistics.median(times[(n, sz)]),
                 params=params[n], gflops=gflops[(n, sz)])
            for n in names for sz in sizes]


def _run_interleaved(args) -> list:
    cmd = [sys.executable, __file__, '--interleaved-worker', '--config',
           args.config, '--repeat', str(args.repeat), '--flow-scale',
           str(args.flow_scale), '--device', args.device, '--malloc',
           args.malloc[0], '--modes', *args.modes, '--sizes', *args.sizes]
    if args.cfg_options:
        cmd += ['--cfg-options'] + [
            f'{k}={v}' for k, v in args.cfg_options.items()]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    env = dict(os.environ)
    if args.emavfi:
        if not os.path.isfile(os.path.join(args.emavfi, 'config.py')):
            raise SystemExit(f'error: --emavfi {args.emavfi}: no config.py '
                             f'there (expected a MCG-NJU/EMA-VFI checkout)')
        cmd += ['--emavfi', os.path.abspath(args.emavfi)]
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (os.path.abspath(args.emavfi),
                        env.get('PYTHONPATH')) if p)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith('RESULT ')]
    if out.returncode or not line:
        raise SystemExit(f'interleaved worker failed:\n{out.stderr[-3000:]}')
    return json.loads(line[0][7:])


def format_interleaved(args, results) -> str:
    ref = EMAVFI if args.emavfi else args.modes[0]
    names = list(dict.fromkeys(r['mode'] for r in results))
    sizes = list(dict.fromkeys(r['size'] for r in results))
    get = {(r['mode'], r['size']): r for r in results}
    lines = [
        f'Measured {datetime.date.today()} on {platform.machine()} '
        f'({os.cpu_count()} CPUs), device {args.device}, '
        f'{args.threads or "default"} thread(s), flow scale '
        f'{args.flow_scale}; one process, {args.repeat} interleaved repeats '
        f'after a warm-up; time ratio = median over repeats of '
        f'(model / {ref}) in the same repeat.' + (
            f' Config overrides: {args.cfg_options}.'
            if args.cfg_options else ''), '',
        f'| model | size | ms / frame (median) | min-max | x {ref} | '
        f'params (M) | GFLOPs |', '|---|---|---|---|---|---|---|'
    ]
    for size in sizes:
        for n in names:
            r, b = get[(n, size)], get[(ref, size)]
            ratio = statistics.median(
                x / y for x, y in zip(r['times'], b['times']))
            lines.append(
                f'| {n} | {size} | {r["ms"]:.1f} | {min(r["times"]):.1f}-'
                f'{max(r["times"]):.1f} | {ratio:.2f} | '
                f'{r["params"] / 1e6:.3f} | {r["gflops"]:.2f} |')
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        p = get[(names[0], hi)]['pixels'] / get[(names[0], lo)]['pixels']
        lines += ['', f'Growth {lo} -> {hi} ({p:.0f}x the pixels), median '
                  f'of the per-repeat ratios:', '',
                  '| model | time ratio | FLOPs ratio |', '|---|---|---|']
        for n in names:
            a, b = get[(n, lo)], get[(n, hi)]
            rt = statistics.median(
                y / x for x, y in zip(a['times'], b['times']))
            lines.append(f'| {n} | {rt:.1f} | '
                         f'{b["gflops"] / a["gflops"]:.1f} |')
    return '\n'.join(lines) + '\n'


def _run_worker(args, mode: str, size: str, malloc: str) -> dict:
    """One (mode, size, allocator setting) point in a fresh process."""
    cmd = [sys.executable, __file__, '--worker', mode, size, '--config',
           args.config, '--repeat', str(args.repeat), '--flow-scale',
           str(args.flow_scale), '--device', args.device, '--malloc', malloc]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith('RESULT ')]
    if out.returncode or not line:
        raise SystemExit(f'worker {mode} {size} (malloc {malloc}) failed:\n'
                         f'{out.stderr[-2000:]}')
    return dict(json.loads(line[0][7:]), malloc=malloc)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print('RESULT ' + json.dumps(worker(args)))
        return None
    if args.interleaved_worker:
        print('RESULT ' + json.dumps(interleaved_worker(args)))
        return None
    if args.emavfi and not args.interleaved:
        raise SystemExit('error: --emavfi needs --interleaved')
    sizes = sorted(args.sizes, key=lambda s: parse_size(s)[0] *
                   parse_size(s)[1])
    if args.interleaved:
        args.sizes = sizes
        results = _run_interleaved(args)
        _emit(format_interleaved(args, results), args.out)
        return results
    results = []
    for size in sizes:
        for malloc in args.malloc:
            for mode in args.modes:
                res = _run_worker(args, mode, size, malloc)
                results.append(res)
                print(f'{mode:16s} {malloc:8s} {res["size"]:>10s} '
                      f'{res["ms"]:10.1f} ms {res["mem_mb"]:9.1f} MB '
                      f'{res["gflops"]:9.2f} GFLOPs', flush=True)
    _emit(format_report(args, results), args.out)
    return results


def _emit(report: str, out=None) -> None:
    print(report)
    if out:
        os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
        with open(out, 'w') as f:
            f.write(report)


def format_report(args, results) -> str:
    lines = [
        f'Measured {datetime.date.today()} on {platform.machine()} '
        f'({os.cpu_count()} CPUs), device {args.device}, flow scale '
        f'{args.flow_scale}, median of {args.repeat} after a warm-up.', '',
        '| mode | malloc | size | ms / frame | peak memory (MB) | '
        'params (M) | GFLOPs |', '|---|---|---|---|---|---|---|'
    ]
    for r in results:
        lines.append(f'| {r["mode"]} | {r["malloc"]} | {r["size"]} | '
                     f'{r["ms"]:.1f} | '
                     f'{r["mem_mb"]:.1f} | {r["params"] / 1e6:.3f} | '
                     f'{r["gflops"]:.2f} |')
    lo = min(r['pixels'] for r in results)
    hi = max(r['pixels'] for r in results)
    if hi > lo:
        p = hi / lo
        lines += ['', f'Growth from the smallest to the largest size '
                  f'({p:.0f}x the pixels; linear cost allows at most '
                  f'{1.25 * p:.0f}x):', '',
                  '| mode | malloc | time ratio | memory ratio | FLOPs ratio '
                  '| within bound |', '|---|---|---|---|---|---|']
        for malloc, mode in itertools.product(args.malloc, args.modes):
            a, b = ([r for r in results if r['mode'] == mode and
                     r['malloc'] == malloc and r['pixels'] == px][0]
                    for px in (lo, hi))
            rt, rm = b['ms'] / a['ms'], b['mem_mb'] / max(a['mem_mb'], 1e-6)
            rf = b['gflops'] / a['gflops']
            ok = rt <= 1.25 * p and rm <= 1.25 * p
            lines.append(f'| {mode} | {malloc} | {rt:.1f} | {rm:.1f} | '
                         f'{rf:.1f} | '
                         f'{"yes" if ok else "NO"} |')
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
