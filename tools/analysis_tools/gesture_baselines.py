# Copyright (c) mmext contributors. All rights reserved.
"""Gesture metrics of a trained model beside the trivial baselines, with
the metrics' noise.

    python tools/analysis_tools/gesture_baselines.py CONFIG CHECKPOINT \
        --fgd-checkpoint AE.pth [--json results.json] [--out results.md] \
        [--emage-fgd-checkpoint AESKConv_240_100.bin \
         --smplx-model SMPLX_NEUTRAL_2020.npz] \
        [--bc-mean-speed mean_vel_smplxflame_30.npy]

Rows, all on the config's test windows: the model; the model with
shuffled audio; hold-seed; the train split's mean pose; a random real
train clip (mean and spread over --draws draws); real motion with
mismatched audio; the ground truth. Then the claims: the model against
hold-seed and mean pose on FGD, joint error after the seed and wrist-speed
correlation, and against its shuffled-audio control, each with its margin
and noise (mmext.evaluation.gesture.baselines).
"""
import argparse
import sys

import mmext  # noqa: F401
from mmext.apis.gesture_inference import init_gesture_model
from mmext.datasets.gesture import GestureDataset
from mmext.evaluation.gesture import (GestureMetric, baseline_table,
                                      evaluate_sequences, format_table,
                                      sequence_clips, write_results)
from mmext.evaluation.gesture.baselines import loss_balance


def _dataset(cfg_ds, split):
    kw = {k: v for k, v in cfg_ds.items() if k != 'type'}
    kw['split'] = split
    return GestureDataset(**kw)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--fgd-checkpoint', help='FGD autoencoder checkpoint')
    p.add_argument('--out', help='also write the table (markdown)')
    p.add_argument('--json', help='also write the table (JSON)')
    p.add_argument('--draws', type=int, default=20,
                   help='random-clip draws and bootstrap resamples')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--loss-balance', type=int, default=0, metavar='N',
                   help='also measure, on N train batches, the norm of each '
                   'weighted generator loss term\'s gradient on the output '
                   '(rec, detail, physics, adv) at the final weights')
    p.add_argument('--sequences', action='store_true',
                   help='also evaluate whole test sequences, each generated '
                   'autoregressively from its first seed only')
    p.add_argument('--emage-fgd-checkpoint', metavar='AESKConv_240_100.bin',
                   help='your copy of EMAGE\'s FGD autoencoder: adds '
                   'emage_FGD to the whole-sequence table (implies '
                   '--sequences; SMPL-X skeleton at 30 fps, BEAT2 configs)')
    p.add_argument('--smplx-model', metavar='SMPLX_NEUTRAL_2020.npz',
                   help='SMPL-X model file for the inverse kinematics of '
                   'emage_FGD')
    p.add_argument('--bc-mean-speed', metavar='mean_vel_smplxflame_30.npy',
                   help='per-joint speeds BC divides by (EMAGE\'s file) '
                   'instead of the real motion\'s mean speed')
    args = p.parse_args(argv)
    if bool(args.emage_fgd_checkpoint) != bool(args.smplx_model):
        p.error('--emage-fgd-checkpoint and --smplx-model go together')
    try:
        model = init_gesture_model(args.config, args.checkpoint)
        cfg = model.cfg
        test = _dataset(cfg.test_dataloader.dataset, 'test')
        train = _dataset(cfg.train_dataloader.dataset, 'train')
        ev = dict(cfg.test_evaluator)
        ev.pop('type')
        ev['fgd_checkpoint'] = args.fgd_checkpoint
        if args.bc_mean_speed:
            ev['bc_mean_speed'] = args.bc_mean_speed
        metric = GestureMetric(**ev)
        result = baseline_table(model.generator, test, train, metric,
                                draws=args.draws, seed=args.seed)
        if args.sequences or args.emage_fgd_checkpoint:
            result['sequences'] = evaluate_sequences(
                model.generator, sequence_clips(test), metric, test.window,
                emage_fgd_checkpoint=args.emage_fgd_checkpoint,
                smplx_model=args.smplx_model)
        if args.loss_balance:
            result['loss_balance'] = loss_balance(
                model, train, cfg, args.loss_balance, args.seed)
    except (FileNotFoundError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    result['meta'].update(config=args.config, checkpoint=args.checkpoint)
    meta = result['meta']
    print(f"Test windows: {meta['test_windows']} ({meta['window']} frames "
          f"at {meta['fps']:g} fps, {meta['seed_frames']} seed frames); "
          f"noise: model = bootstrap std over windows, random real clip = "
          f"std over {args.draws} draws\n" + format_table(result))
    if 'loss_balance' in result:
        lb = result['loss_balance']
        print('\nGenerator loss balance (mean over batches; gradient norm '
              'of each weighted term on the output, weights ' +
              ', '.join(f'{k} {v:g}' for k, v in lb['weights'].items()) +
              '):\n' + '\n'.join(
                  f'  {k}: loss {lb["loss_" + k]:.4g}, '
                  f'grad {lb["grad_" + k]:.4g}'
                  for k in ('rec', 'detail', 'physics', 'adv')))
    write_results(result, args.json, args.out)


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
