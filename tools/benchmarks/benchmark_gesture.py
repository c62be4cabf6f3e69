# Copyright (c) mmext contributors. All rights reserved.
"""Samples/s of the gesture data pipeline, of one D update and of one G
update, measured side by side, and an epoch-time estimate for BEAT.

    python tools/benchmarks/benchmark_gesture.py CONFIG \
        --data-root data/gesture_demo/beat [--batches 10] [--hours 76] \
        [--device cuda] [--amp auto|bfloat16|float16]

``--amp`` also measures the D and G updates under autocast (with a
GradScaler for fp16), in the same run right after the fp32 ones, and
prints the AMP gain as the ratio of the rates. ``auto`` is the dtype the
training configs' ``SwitchableAmpOptimWrapper`` would pick on this device
(none on a CPU without native bf16: then the tool says so and measures
fp32 only).

The model keeps the config's size; data come from ``--data-root`` (any
data root in mmext's clip format). Rates are wall-clock on this machine;
compare them with each other, not across machines.
"""
import argparse
import time

import torch
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader

import mmext  # noqa: F401
from mmext.datasets.gesture import GestureDataset
from mmext.engine.optim import SwitchableAmpOptimWrapper
from mmext.registry import MODELS
from mmext.utils import load_config
from mmext.utils.profiling import sync


def _rate(fn, n, batch, device=torch.device('cpu')):
    fn()  # warm-up
    sync(device)
    t = time.perf_counter()
    for _ in range(n):
        fn()
    sync(device)
    return n * batch / (time.perf_counter() - t)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--data-root', required=True)
    p.add_argument('--batches', type=int, default=10)
    p.add_argument('--hours', type=float, default=76.,
                   help='hours of training audio/motion (BEAT: 76 h)')
    p.add_argument('--device', default='cpu',
                   help='where G and D run (cpu, cuda, cuda:1 ...); the '
                   'data pipeline is always measured on the CPU')
    p.add_argument('--amp', choices=('auto', 'bfloat16', 'float16'),
                   help='also measure the updates under autocast and print '
                   'the AMP gain')
    args = p.parse_args(argv)
    if args.batches < 1:
        p.error('--batches must be >= 1')
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        p.error(f'--device {args.device}: CUDA is not available here')
    cfg = load_config(args.config, check_data=False)
    ds_cfg = dict(cfg.train_dataloader.dataset)
    ds_cfg.pop('type')
    ds_cfg['data_root'] = args.data_root
    dataset = GestureDataset(**ds_cfg)  # builds the feature cache
    batch = cfg.train_dataloader.batch_size
    loader = DataLoader(dataset, batch_size=batch, shuffle=True,
                        collate_fn=default_collate, num_workers=0,
                        drop_last=True)
    it = iter(loader)

    def next_batch():
        nonlocal it
        try:
            return next(it)
        except StopIteration:
            it = iter(loader)
            return next(it)

    pipeline = _rate(next_batch, args.batches, batch)
    with DefaultScope.overwrite_default_scope('mmext'):
        model = MODELS.build(cfg.model).to(device).train()
    data = model.data_preprocessor(next_batch(), True)
    audio, seed = data['inputs']['audio'], data['inputs']['seed']
    real = data['data_samples']['motion']
    g_opt = torch.optim.Adam(model.generator.parameters(), lr=1e-4)
    d_opt = torch.optim.Adam(model.discriminator.parameters(), lr=1e-4)

    def updates(amp):
        """D and G update functions through the training configs' optim
        wrapper (autocast, GradScaler for fp16), AMP in ``amp`` or off."""
        kw = dict(dtype=amp or 'auto', amp=amp is not None,
                  device_type=device.type)
        g_w = SwitchableAmpOptimWrapper(optimizer=g_opt, **kw)
        d_w = SwitchableAmpOptimWrapper(optimizer=d_opt, **kw)

        def d_update():
            with torch.no_grad(), g_w.optim_context(model.generator):
                fake = model.generator(audio, seed)
            with d_w.optim_context(model.discriminator):
                loss = model._d_loss(real, fake)['loss_d']
            d_w.update_params(loss)

        def g_update():
            model.discriminator.requires_grad_(False)
            with g_w.optim_context(model.generator):
                loss, _ = model._g_losses(model.generator(audio, seed), real)
            g_w.update_params(loss)
            model.discriminator.requires_grad_(True)

        return d_update, g_update, g_w

    d_update, g_update, _ = updates(None)
    d_rate = _rate(d_update, args.batches, batch, device)
    g_rate = _rate(g_update, args.batches, batch, device)
    amp_dtype = amp_rates = None
    if args.amp:
        d_amp, g_amp, wrapper = updates(args.amp)
        amp_dtype = wrapper.amp_dtype
        if wrapper.amp_active:
            amp_rates = (_rate(d_amp, args.batches, batch, device),
                         _rate(g_amp, args.batches, batch, device))
    s = model.gan_state
    # one batch costs d_steps D updates and g_steps G updates
    step = 1. / (s.d_steps / d_rate + s.g_steps / g_rate)
    fps = dataset.fps
    windows = args.hours * 3600 * fps / ds_cfg.get('stride', 10)
    print(f'config: {args.config}\nbatch {batch}, window {dataset.window} '
          f'frames at {fps} fps, G {s.g_steps} / D {s.d_steps} steps per '
          f'batch, device {device}, torch threads '
          f'{torch.get_num_threads()}')
    print(f'pipeline       {pipeline:10.1f} samples/s')
    print(f'D update       {d_rate:10.1f} samples/s')
    print(f'G update       {g_rate:10.1f} samples/s')
    print(f'training step  {step:10.1f} samples/s (G+D per batch)')
    print(f'pipeline / training step = {pipeline / step:.1f}x')
    if args.amp and amp_rates is None:
        print(f'AMP ({args.amp}): no mixed-precision dtype on {device} '
              '(a CPU without native bf16); not measured. --amp bfloat16 '
              'measures emulated bf16.')
    elif amp_rates is not None:
        d_amp, g_amp = amp_rates
        step_amp = 1. / (s.d_steps / d_amp + s.g_steps / g_amp)
        print(f'AMP {amp_dtype}: D update {d_amp:.1f}, G update {g_amp:.1f}, '
              f'training step {step_amp:.1f} samples/s')
        print(f'AMP gain (AMP / fp32 rate): D {d_amp / d_rate:.2f}x, '
              f'G {g_amp / g_rate:.2f}x, training step '
              f'{step_amp / step:.2f}x')
    print(f'BEAT epoch estimate ({args.hours:g} h, stride '
          f'{ds_cfg.get("stride", 10)}: {windows:.0f} windows): '
          f'{windows / step / 3600:.2f} h at the measured training-step '
          'rate')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
