# Copyright (c) mmext contributors. All rights reserved.
"""Where a pose3d training step's time goes, per memory option, side by side.

For one config this builds the model once per variant (same seed, same
weights) and times, interleaved over ``--rounds`` so that every variant
sees the same machine state:

* ``plain``  - the model built with ``lean_mlp=False``: every block's
  ``mlp(norm(x))`` as autograd runs it, without the LayerNorm + MLP
  autograd function;
* ``lean``   - the default path (no ``with_cp``);
* ``cp=all`` / ``cp=K`` - ``with_cp`` on every block / every K-th block.

Per variant it reports the median step time (forward + loss + backward +
AdamW), the median forward time alone (with gradients enabled) and the
forward share of the step. Activation checkpointing reruns the forward of
the checkpointed blocks once during backward, so ``1 + forward share``
(of the lean step) bounds ``cp=all``'s time ratio from below: the lower
bound is the profiler's view of what a full recomputation must cost on
this machine. ``--profile`` adds torch profiler tables (self CPU time by
operator) of one lean and one ``cp=all`` step.

    python tools/benchmarks/profile_pose3d_step.py \\
        configs/pose3d/motionagformer/\\
motionagformer-b_243frm_1xb16-60e_h36m.py \\
        --num-frames 81 --batch-size 2 --rounds 5 --threads 2
"""
import argparse
import os
import statistics
import time

import torch

from mmext.apis.pose3d_benchmark import build_pose3d_model


class Variant:

    def __init__(self, name, model, batch):
        self.name, self.model = name, model
        self.opt = torch.optim.AdamW(model.parameters(), lr=5e-4,
                                     weight_decay=0.01)
        b = model.backbone
        g = torch.Generator().manual_seed(1)
        self.x = torch.randn(batch, b.num_frames, b.num_joints,
                             b.in_channels, generator=g)
        self.y = torch.randn(batch, b.num_frames, b.num_joints, 3,
                             generator=g)
        self.w = torch.ones(batch, b.num_frames, b.num_joints, 1)
        self.step_s, self.fwd_s = [], []

    def forward(self):
        t0 = time.perf_counter()
        pred = self.model.head.forward(self.model.extract_feat(self.x))
        loss = self.model.head.loss_module(pred, self.y, self.w)
        return loss, time.perf_counter() - t0

    def step(self, record=True):
        self.opt.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        loss, fwd = self.forward()
        loss.backward()
        self.opt.step()
        if record:
            self.step_s.append(time.perf_counter() - t0)
            self.fwd_s.append(fwd)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--num-frames', type=int, default=None)
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--cp', nargs='*', default=['all', '2'],
                   help='with_cp settings to compare (all | k | i,j,...)')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--profile', action='store_true',
                   help='also print torch profiler tables (lean, cp=all)')
    args = p.parse_args(argv)
    if not os.path.isfile(args.config):
        p.error(f'config file {args.config!r} does not exist')
    if args.rounds < 1 or args.batch_size < 1:
        p.error('--rounds and --batch-size must be positive')
    if args.threads:
        torch.set_num_threads(args.threads)

    lean_model = build_pose3d_model(args.config, args.num_frames, 'off')
    plain_model = build_pose3d_model(args.config, args.num_frames, 'off',
                                     lean_mlp=False)
    variants = [Variant('plain', plain_model, args.batch_size),
                Variant('lean', lean_model, args.batch_size)]
    for cp in args.cp:
        variants.append(Variant(f'cp={cp}', build_pose3d_model(
            args.config, args.num_frames, cp), args.batch_size))
    for v in variants:  # warm-up
        v.step(record=False)
    for r in range(args.rounds):
        for v in variants:
            v.step()
        print(f'round {r + 1}/{args.rounds}: ' + ', '.join(
            f'{v.name} {v.step_s[-1]:.2f} s' for v in variants), flush=True)

    ref = statistics.median(variants[1].step_s)
    print(f'\n{os.path.basename(args.config)}, T = '
          f'{lean_model.backbone.num_frames}, batch {args.batch_size}, '
          f'threads {torch.get_num_threads()}, median of {args.rounds} '
          f'interleaved rounds')
    print('| variant | step s | forward s | forward share | step vs lean |')
    print('|---|---|---|---|---|')
    for v in variants:
        step = statistics.median(v.step_s)
        fwd = statistics.median(v.fwd_s)
        print(f'| {v.name} | {step:.3f} | {fwd:.3f} | {fwd / step:.2f} | '
              f'{step / ref:.2f}x |')
    lean = variants[1]
    share = statistics.median(lean.fwd_s) / ref
    print(f'\nlower bound for cp=all from the lean step: 1 + forward share '
          f'= {1 + share:.2f}x')

    if args.profile:
        from torch.profiler import ProfilerActivity, profile
        for v in (lean, ) + tuple(x for x in variants if x.name == 'cp=all'):
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                v.step(record=False)
            print(f'\n### torch profiler, one {v.name} step (self CPU time)')
            print(prof.key_averages().table(sort_by='self_cpu_time_total',
                                            row_limit=15))
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
