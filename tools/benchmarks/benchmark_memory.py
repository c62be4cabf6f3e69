# Copyright (c) mmext contributors. All rights reserved.
"""Per-sample peak memory and step time of one pose3d training step.

    python tools/benchmarks/benchmark_memory.py CONFIG [CONFIG ...]
        [--with-cp off all 2 ...] [--batch-sizes 1 2 3] [--num-frames T]
        [--steps 3] [--rounds 1] [--device cpu|cuda] [--threads N]
        [--baseline LABEL=DIR ...] [--official DIR] [--out table.md]

One training step = forward, the config's loss, backward and an AdamW
step, on random inputs of the config's shape (as ``benchmark_train.py``).
Every checkout (this one, and ``--baseline`` ones) runs in its own
subprocess, which measures its (config, with_cp, batch size) points one
after the other, each with a freshly built model (never two at once):

* **CPU** - peak RSS growth of one step. The worker runs one warm-up step
  (AdamW state and gradients exist afterwards), reads ``VmRSS``, resets the
  kernel's peak counter (``echo 5 > /proc/self/clear_refs``), runs one
  step and reads ``VmHWM``. ``MALLOC_MMAP_THRESHOLD_=65536`` makes glibc
  serve every buffer above 64 KiB by ``mmap`` and give it back on free, so
  that RSS follows live memory instead of the allocator's cache (and the
  previous point's model leaves nothing behind that the next one
  reuses). The growth includes everything the step allocates
  (activations kept for backward,
  gradients - they are freed by ``zero_grad(set_to_none=True)`` -, AdamW
  temporaries, oneDNN scratch).
* **CUDA** - ``torch.cuda.max_memory_allocated`` minus the memory allocated
  before the step (after the same warm-up step).

The per-sample figure is the least-squares slope of the growth over the
batch sizes; the intercept is what does not scale with the batch
(gradients, optimizer temporaries). ``resid`` is the largest absolute
residual of that fit: the noise of the method on this run. Step time is
the median over ``--steps`` further steps at the largest batch size, in
ms per sample; with ``--rounds R`` every point is measured ``R`` times,
interleaved across the rows, and the median is kept, so that the rows'
ratios are side by side in one run. ``--baseline LABEL=DIR`` adds rows
(``with_cp`` off only) that run another checkout of mmext from
``PYTHONPATH`` (e.g. the main branch before a change), in the same
interleaved loop.

``--official DIR`` adds an ``official`` row per config: upstream
MotionAGFormer (TaatiTeam/MotionAGFormer, ``model/MotionAGFormer.py``
imported from the checkout ``DIR``; only the baseline attention + graph
configs) built with the config's architecture, measured the same way with
the same loss and AdamW step, in its own subprocess and in the same
interleaved loop. The table then gives each row's per-sample memory as a
fraction of the official one, both as the slope and as the growth per
sample at the largest batch (which includes the intercept), and its step
time against this checkout's ``with_cp`` off row (``time vs off``).

``--num-frames T`` overrides the arch's clip length (the temporal
BatchNorm is sized by it) to fit a small machine; activation memory is
linear in ``T`` except for the ``T x T`` similarity graph, so the table
also gives ``GiB/sample x 243/T``, labelled as an extrapolation.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
MMAP_ENV = {'MALLOC_MMAP_THRESHOLD_': '65536', 'MALLOC_TRIM_THRESHOLD_': '0'}


# --------------------------------------------------------------------------
# worker: one (config, with_cp, batch size) point in this process. It runs
# with the mmext of the checkout being measured (--baseline LABEL=DIR may be
# an older commit), so it uses only what every checkout has: mmpose's
# registry and mmext.utils.load_config, not newer helpers.
# --------------------------------------------------------------------------
def _proc_status_mib(key: str) -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) / 1024.
    raise RuntimeError(f'{key} not in /proc/self/status')


def _reset_peak_rss() -> None:
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def parse_with_cp(value: str):
    """``off`` -> False, ``all`` -> True, ``k`` -> every k-th block,
    ``0,3,5`` -> those block indices."""
    if value == 'off':
        return None
    if value == 'all':
        return dict(with_cp=True)
    if ',' in value:
        return dict(with_cp=[int(i) for i in value.split(',') if i])
    try:
        every = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--with-cp {value!r}: use off, all, an int k (every k-th '
            f'block) or a comma-separated list of block indices') from None
    if every < 1:
        raise argparse.ArgumentTypeError(f'--with-cp {value}: k must be >= 1')
    return dict(with_cp=True, cp_every=every)


def worker(args) -> int:
    """Measure every (config, with_cp, batch size) point in this process."""
    for config in args.configs:
        for with_cp in args.with_cp:
            for batch in args.batch_sizes:
                if with_cp == OFFICIAL:
                    res = measure_point(config, with_cp, batch, args,
                                        official=args.official)
                else:
                    res = measure_point(config, with_cp, batch, args)
                print('RESULT ' + json.dumps(
                    dict(config=config, with_cp=with_cp, batch=batch,
                         **res)), flush=True)
    return 0


def build_pose3d_model(config: str, num_frames: Optional[int],
                       with_cp: str):
    """The config's model in train mode, seeded, with its clip length
    overridden by ``num_frames`` (if given) and ``with_cp`` applied
    (``off`` | ``all`` | ``k`` | ``i,j,...``)."""
    import torch
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    from mmext.models.pose3d.backbones import MotionAGFormer
    from mmext.utils import load_config
    cfg = load_config(config, check_data=False)
    backbone = cfg.model.backbone
    if num_frames:
        arch = backbone.get('arch', 'xs')
        arch = dict(MotionAGFormer.arch_settings[arch]) if isinstance(
            arch, str) else dict(arch)
        arch['num_frames'] = num_frames
        backbone.arch = arch
    backbone.update(parse_with_cp(with_cp) or {})
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    return model


#: ``with_cp`` label of the upstream model's rows
OFFICIAL = 'official'


def build_official_model(config: str, num_frames: Optional[int],
                         official_dir: str):
    """Upstream MotionAGFormer with the config's architecture, and the
    config's loss module; returns ``(model, loss, (T, J, C))``.

    The upstream constructor's arguments (``model/MotionAGFormer.py``) are
    read from the config's backbone (mmext's names: ``num_layers`` ->
    ``n_layers``, ``embed_dims`` -> ``dim_feat``, ...) and head
    (``embedding_size`` -> ``dim_rep``)."""
    import torch
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    from torch import nn

    from mmext.models.pose3d.backbones import MotionAGFormer
    from mmext.utils import import_from_checkout, load_config
    Official = import_from_checkout(official_dir, 'model.MotionAGFormer',
                                    '--official').MotionAGFormer
    cfg = load_config(config, check_data=False)
    bb, head = cfg.model.backbone, cfg.model.head
    branches = bb.get('branches', ('attention', 'graph'))
    if branches not in ('baseline', ('attention', 'graph'),
                        ['attention', 'graph']):
        raise ValueError(f'{config}: --official needs the baseline '
                         f'MotionAGFormer (attention + graph), got '
                         f'branches={branches!r}')
    arch = bb.get('arch', 'xs')
    arch = dict(MotionAGFormer.arch_settings[arch]) if isinstance(
        arch, str) else dict(arch)
    if num_frames:
        arch['num_frames'] = num_frames
    if bb.get('act_layer', 'gelu') != 'gelu':
        raise ValueError(f'{config}: --official supports act_layer gelu')
    kwargs = dict(
        n_layers=arch['num_layers'],
        dim_in=bb.get('in_channels', 3),
        dim_feat=arch['embed_dims'],
        dim_rep=head.get('embedding_size', 512),
        dim_out=head.get('out_channels', 3),
        mlp_ratio=arch['mlp_ratio'],
        act_layer=nn.GELU,
        attn_drop=bb.get('attn_drop_rate', 0.),
        drop=bb.get('drop_rate', 0.),
        drop_path=bb.get('drop_path_rate', 0.),
        use_layer_scale=bb.get('use_layer_scale', True),
        layer_scale_init_value=bb.get('layer_scale_init_value', 1e-5),
        use_adaptive_fusion=bb.get('use_adaptive_fusion', True),
        num_heads=arch['num_heads'],
        qkv_bias=bb.get('qkv_bias', False),
        qkv_scale=bb.get('qk_scale', None),
        hierarchical=bb.get('hierarchical', False),
        num_joints=bb.get('num_joints', 17),
        use_temporal_similarity=bb.get('use_temporal_similarity', True),
        temporal_connection_len=bb.get('temporal_connection_len', 1),
        use_tcn=bb.get('use_tcn', False),
        graph_only=bb.get('graph_only', False),
        neighbour_num=arch['neighbour_num'],
        n_frames=arch['num_frames'])
    torch.manual_seed(0)
    model = Official(**kwargs)
    model.train()
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    loss = MODELS.build(head.loss)
    return model, loss, (arch['num_frames'], kwargs['num_joints'],
                         kwargs['dim_in'])


def measure_point(config: str, with_cp: str, batch: int, args,
                  official: Optional[str] = None) -> dict:
    """One point; ``official`` (a checkout) measures the upstream model."""
    import gc

    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if official:
        model, loss_module, shape = build_official_model(
            config, args.num_frames, official)
        model.to(device)

        def forward(inputs):
            return model(inputs)
    else:
        model = build_pose3d_model(config, args.num_frames,
                                   with_cp).to(device)
        b = model.backbone
        loss_module = model.head.loss_module
        shape = (b.num_frames, b.num_joints, b.in_channels)

        def forward(inputs):
            return model.head.forward(model.extract_feat(inputs))
    model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=5e-4, weight_decay=0.01)
    x = torch.randn(batch, *shape, device=device)
    target = torch.randn(batch, shape[0], shape[1], 3, device=device)
    weight = torch.ones(batch, shape[0], shape[1], 1, device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        pred = forward(x)
        loss = loss_module(pred, target, weight)
        loss.backward()
        optimizer.step()

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    step()
    sync()
    gc.collect()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device) / 2**20
    else:
        before = _proc_status_mib('VmRSS')
        _reset_peak_rss()
    t0 = time.perf_counter()
    step()
    sync()
    times = [time.perf_counter() - t0]
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak = _proc_status_mib('VmHWM')
    for _ in range(args.steps - 1):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    params = sum(p.numel() for p in model.parameters())
    # the model, optimizer and tensors are freed when this frame returns
    # (the next point's gc.collect() runs before it measures)
    return dict(before_mib=before, peak_mib=peak, growth_mib=peak - before,
                step_s=statistics.median(times), params=params,
                num_frames=shape[0])


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------
def run_code(code_dir: str, configs: List[str], with_cp: List[str],
             args) -> List[dict]:
    """All points of one checkout in one fresh subprocess."""
    cmd = [
        sys.executable, os.path.abspath(__file__), '--worker', *configs,
        '--with-cp', *with_cp, '--batch-sizes',
        *map(str, args.batch_sizes), '--steps', str(args.steps),
        '--device', args.device
    ]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    if args.num_frames:
        cmd += ['--num-frames', str(args.num_frames)]
    if OFFICIAL in with_cp:
        cmd += ['--official', args.official]
    env = dict(os.environ, **MMAP_ENV)
    env['PYTHONPATH'] = os.pathsep.join(
        [code_dir] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep)
                      if p])
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, cwd=code_dir)
    results = [
        json.loads(line[len('RESULT '):])
        for line in proc.stdout.splitlines() if line.startswith('RESULT ')
    ]
    if proc.returncode != 0:
        # keep the points measured before the failure; name the cause
        if proc.returncode < 0:
            import signal
            cause = signal.Signals(-proc.returncode).name
            if proc.returncode == -signal.SIGKILL:
                cause += ' (most likely the out-of-memory killer)'
        else:
            tail = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            cause = f'exit code {proc.returncode}: ' + (
                tail[-1] if tail else 'no error output')
        print(f'worker failed (code {code_dir}, {configs}): {cause}',
              file=sys.stderr, flush=True)
        results.append(dict(failed=cause))
    return results


def fit(xs: List[float], ys: List[float]):
    """Least-squares line; returns slope, intercept, max |residual|."""
    if len(xs) == 1:
        return ys[0] / xs[0], 0., float('nan')
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx)**2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    icpt = my - slope * mx
    resid = max(abs(y - (slope * x + icpt)) for x, y in zip(xs, ys))
    return slope, icpt, resid


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--with-cp', nargs='+', default=['off'],
                        help='off | all | k (every k-th block) | i,j,...')
    parser.add_argument('--batch-sizes', nargs='+', type=int,
                        default=[1, 2])
    parser.add_argument('--num-frames', type=int, default=None)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--baseline', nargs='+', default=[],
                        help='LABEL=DIR checkouts of mmext to compare')
    parser.add_argument('--official', default=None,
                        help='a checkout of TaatiTeam/MotionAGFormer: add '
                        'the upstream model as the reference row')
    parser.add_argument('--out', help='write the Markdown table here')
    parser.add_argument('--worker', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for value in args.with_cp:
        if value == OFFICIAL and args.worker:
            continue
        try:
            parse_with_cp(value)
        except argparse.ArgumentTypeError as err:
            parser.error(str(err))
    if args.worker:
        return worker(args)
    if args.device.startswith('cuda'):
        import torch
        if not torch.cuda.is_available():
            parser.error('--device cuda requested but CUDA is not available')
    elif not os.path.exists('/proc/self/clear_refs'):
        parser.error('CPU peak RSS needs Linux /proc/self/clear_refs')
    if any(b < 1 for b in args.batch_sizes):
        parser.error('--batch-sizes must be positive')
    repo = os.path.dirname(os.path.dirname(HERE))
    baselines = []
    for item in args.baseline:
        label, sep, path = item.partition('=')
        if not sep or not os.path.isdir(os.path.join(path, 'mmext')):
            parser.error(f'--baseline {item!r}: expected LABEL=DIR with DIR '
                         f'a checkout of mmext')
        baselines.append((label, os.path.abspath(path)))
    for path in args.configs:
        if not os.path.isfile(path):
            parser.error(f'config file {path!r} does not exist')
    if args.official is not None:
        model_py = os.path.join(args.official, 'model', 'MotionAGFormer.py')
        if not os.path.isfile(model_py):
            parser.error(f'--official {args.official!r}: expected a '
                         f'checkout of TaatiTeam/MotionAGFormer (no '
                         f'{model_py})')
        args.official = os.path.abspath(args.official)

    rows = []
    if args.official:
        rows += [('official', repo, cfg, OFFICIAL) for cfg in args.configs]
    rows += [(label, code, cfg, 'off') for label, code in baselines
             for cfg in args.configs]
    rows += [('this', repo, cfg, cp) for cfg in args.configs
             for cp in args.with_cp]
    configs = [os.path.abspath(c) for c in args.configs]
    runs = [('official', repo, [OFFICIAL])] if args.official else []
    runs += [(label, code, ['off']) for label, code in baselines]
    runs.append(('this', repo, list(args.with_cp)))
    samples, failed = {}, {}
    for _ in range(args.rounds):
        for label, code, cps in runs:
            # one fresh process per (checkout, config): a point that runs
            # out of memory costs only that config's remaining points
            for config in configs:
                for res in run_code(code, [config], cps, args):
                    if 'failed' in res:
                        failed[(label, code, config)] = res['failed']
                        continue
                    row = (label, code,
                           args.configs[configs.index(res['config'])],
                           res['with_cp'])
                    samples.setdefault((row, res['batch']), []).append(res)
                    print(dict(code=label, **res), flush=True)

    bmax = max(args.batch_sizes)
    out = []
    for row in rows:
        if any((row, b) not in samples for b in args.batch_sizes):
            cause = failed.get(
                (row[0], row[1], os.path.abspath(row[2])), 'not measured')
            out.append(dict(code=row[0], config=os.path.basename(row[2])[:-3],
                            with_cp=row[3], failed=cause))
            continue
        growth = [
            statistics.median(r['growth_mib'] for r in samples[(row, b)])
            for b in args.batch_sizes
        ]
        slope, icpt, resid = fit(args.batch_sizes, growth)
        last = samples[(row, bmax)]
        step_ms = statistics.median(r['step_s'] for r in last) * 1e3
        frames = last[0]['num_frames']
        out.append(dict(
            code=row[0], config=os.path.basename(row[2])[:-3],
            with_cp=row[3], frames=frames, slope=slope / 1024,
            icpt=icpt / 1024, resid=resid, per243=slope / 1024 * 243 /
            frames, ms=step_ms / bmax, at_bmax=growth[-1] / bmax))
    ref = {r['config']: r for r in out
           if r['code'] == 'official' and 'failed' not in r}
    off = {r['config']: r for r in out
           if r['code'] == 'this' and r['with_cp'] == 'off'
           and 'failed' not in r}
    unit = 'GPU' if args.device.startswith('cuda') else 'CPU'
    header = ['code', 'config', 'with_cp', 'T',
              f'{unit} GiB/sample (slope)', 'intercept GiB',
              'fit resid MiB', 'GiB/sample x 243/T', 'step ms/sample']
    if ref:
        header += [f'MiB/sample at batch {bmax}', 'vs official (slope)',
                   f'vs official (batch {bmax})']
    if off:
        header.append('time vs off')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for r in out:
        if 'failed' in r:
            lines.append('| ' + ' | '.join(
                [r['code'], r['config'], r['with_cp'], '-',
                 f"failed: {r['failed']}"] + ['-'] *
                (len(header) - 5)) + ' |')
            continue
        cells = [
            r['code'], r['config'], r['with_cp'], str(r['frames']),
            f"{r['slope']:.3f}", f"{r['icpt']:.3f}", f"{r['resid']:.1f}",
            f"{r['per243']:.3f}", f"{r['ms']:.0f}"
        ]
        if ref:
            base = ref.get(r['config'])
            cells.append(f"{r['at_bmax']:.0f}")
            cells += [f"{r['slope'] / base['slope']:.3f}x",
                      f"{r['at_bmax'] / base['at_bmax']:.3f}x"] if base \
                else ['-', '-']
        if off:
            base = off.get(r['config'])
            cells.append(f"{r['ms'] / base['ms']:.2f}x" if base else '-')
        lines.append('| ' + ' | '.join(cells) + ' |')
    table = '\n'.join(lines)
    print(f'\nbatch sizes {args.batch_sizes}, device {args.device}, '
          f'threads {args.threads}, {args.steps} timed steps at batch '
          f'{bmax}, {args.rounds} round(s)')
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
