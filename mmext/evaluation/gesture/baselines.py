# Copyright (c) mmext contributors. All rights reserved.
"""A trained gesture model beside the trivial baselines, with the noise.

Used by ``tools/analysis_tools/gesture_baselines.py`` and the demo. Every
number comes from :class:`GestureMetric` on the arrays built here.
"""
import json
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .gesture_metric import GestureMetric, hold_seed

__all__ = [
    'predict_windows', 'baseline_table', 'format_table', 'write_results',
    'summarise', 'loss_balance', 'CLAIM_KEYS'
]

#: (key, lower is better) of the claims checked against the baselines.
CLAIM_KEYS = (('FGD', True), ('mpjpe', True), ('wrist_speed_r', False))

_TABLE_KEYS = ('FGD', 'mpjpe', 'wrist_speed_r', 'wrist_speed_ratio',
               'wrist_onset_r', 'BC', 'L1div', 'bone_err', 'angle_viol_hands',
               'jerk')


@torch.no_grad()
def predict_windows(generator, audio: np.ndarray, seed: np.ndarray,
                    batch_size: int = 32) -> np.ndarray:
    """``generator(audio, seed)`` over ``(N, T, A)`` / ``(N, S, J, 3)``
    arrays in batches; returns ``(N, T, J, 3)`` float32."""
    p = next(generator.parameters())
    out = []
    for i in range(0, len(audio), batch_size):
        a = torch.from_numpy(np.ascontiguousarray(
            audio[i:i + batch_size])).to(p.device, p.dtype)
        s = torch.from_numpy(np.ascontiguousarray(
            seed[i:i + batch_size])).to(p.device, p.dtype)
        out.append(generator(a, s).float().cpu().numpy())
    return np.concatenate(out)


def baseline_table(generator, test, train, metric: GestureMetric,
                   draws: int = 20, seed: int = 0) -> dict:
    """Metrics of the model and the baselines on ``test``'s windows.

    Rows: ``model``; ``model, shuffled audio`` (each window generated from
    the audio features of another test window, its own seed);
    ``hold-seed``; ``mean pose`` (the train split's mean root-relative pose
    held still); ``random real clip`` (a random train window per test
    window: mean over ``draws`` draws); ``real motion, mismatched audio``
    (the real motion of another test window); ``ground truth``.

    Noise: for every key, the standard deviation over the random-clip
    draws (``noise['random real clip']``) and the bootstrap standard
    deviation of the model's value over resampled windows
    (``noise['model bootstrap']``).

    Args:
        generator: The model's generator (``generator(audio, seed)``).
        test, train: :class:`GestureDataset` splits.
        metric (GestureMetric): Configured metric (FGD checkpoint ...).
        draws (int): Random-clip draws and bootstrap resamples.
        seed (int): Random seed of the draws.

    Returns:
        dict: ``rows`` (name -> key -> value), ``noise``, ``claims`` and
        ``meta``.
    """
    items = [test[i] for i in range(len(test))]
    gt = np.stack([it['data_samples']['motion'].numpy() for it in items])
    audio = np.stack([it['inputs']['audio'].numpy() for it in items])
    seeds = np.stack([it['inputs']['seed'].numpy() for it in items])
    waves = [it['data_samples']['wave'].numpy() for it in items]
    onset = np.stack([it['data_samples']['onset'].numpy() for it in items])
    n = len(gt)
    if n < 2:
        raise ValueError(f'baseline table: {n} test window(s); at least 2 '
                         'are needed')
    pred = predict_windows(generator, audio, seeds)
    # another window's audio: shift by half the set, so that it comes from
    # another part of the data (another clip when there are several)
    other = np.roll(np.arange(n), n // 2)
    shuffled = predict_windows(generator, audio[other], seeds)
    train_windows = np.stack(train.all_windows())
    rng = np.random.default_rng(seed)

    def ev(arr):
        return metric.evaluate_arrays(
            np.ascontiguousarray(arr, np.float32), gt, waves, onset,
            baselines=False)

    rows = {
        'model': ev(pred),
        'model, shuffled audio': ev(shuffled),
        'hold-seed': ev(hold_seed(gt, metric.seed_frames)),
        'mean pose': ev(np.broadcast_to(
            train_windows.mean(axis=(0, 1)), gt.shape)),
    }
    clip_runs = [ev(train_windows[rng.integers(0, len(train_windows), n)])
                 for _ in range(draws)]
    keys = sorted(clip_runs[0])
    rows['random real clip'] = {
        k: float(np.mean([r[k] for r in clip_runs])) for k in keys}
    rows['real motion, mismatched audio'] = ev(gt[other])
    rows['ground truth'] = ev(gt)
    boot = []
    for _ in range(draws):
        d = rng.integers(0, n, n)
        boot.append(metric.evaluate_arrays(
            pred[d], gt[d], [waves[i] for i in d], onset[d],
            baselines=False))
    noise = {
        'random real clip': {
            k: float(np.std([r[k] for r in clip_runs])) for k in keys},
        'model bootstrap': {
            k: float(np.std([r[k] for r in boot])) for k in keys},
    }
    claims = _claims(rows, noise)
    return dict(
        rows=rows, noise=noise, claims=claims,
        meta=dict(test_windows=n, window=int(gt.shape[1]),
                  fps=float(test.fps), seed_frames=metric.seed_frames,
                  draws=draws, seed=seed, fgd_level=metric.fgd_level,
                  fgd_checkpoint=metric.fgd_checkpoint))


def loss_balance(model, train, cfg, batches: int = 4,
                 seed: int = 0) -> dict:
    """:meth:`GestureGAN.loss_balance` averaged over ``batches`` random
    train batches, at the loss weights the config's curriculum reaches at
    its last epoch (``final`` of its ``CurriculumHook``, else the model's
    weights)."""
    weights = dict(model.gan_state.loss_weights)
    for h in cfg.get('custom_hooks', []):
        if h.get('type') in ('LossWeightCurriculumHook', 'CurriculumHook'):
            weights.update(h.get('final', {}))
    model.gan_state.loss_weights.update(weights)
    rng = np.random.default_rng(seed)
    bs = int(cfg.train_dataloader.get('batch_size', 16))
    acc = []
    for _ in range(batches):
        idx = rng.choice(len(train), min(bs, len(train)), replace=False)
        items = [train[int(i)] for i in idx]
        data = dict(
            inputs={k: torch.stack([it['inputs'][k] for it in items])
                    for k in ('audio', 'seed')},
            data_samples=dict(motion=torch.stack(
                [it['data_samples']['motion'] for it in items])))
        acc.append(model.loss_balance(data))
    out = {k: float(np.mean([a[k] for a in acc])) for k in acc[0]}
    out['weights'] = weights
    out['batches'] = batches
    return out


def _claims(rows: dict, noise: dict) -> List[dict]:
    """The model against hold-seed and mean pose on :data:`CLAIM_KEYS`,
    and the shuffled-audio control, each with the margin and the noise
    (the larger of the model's bootstrap std and the random-clip
    spread)."""
    out = []
    for base in ('hold-seed', 'mean pose', 'model, shuffled audio'):
        for key, lower in CLAIM_KEYS:
            if key not in rows['model'] or key not in rows[base]:
                continue
            if base == 'model, shuffled audio' and key != 'wrist_speed_r':
                continue
            m, b = rows['model'][key], rows[base][key]
            margin = (b - m) if lower else (m - b)
            nz = max(noise['model bootstrap'].get(key, 0.),
                     noise['random real clip'].get(key, 0.))
            out.append(dict(key=key, baseline=base, model=m, other=b,
                            margin=margin, noise=nz,
                            holds=bool(margin > nz)))
    return out


def format_table(result: dict,
                 keys: Optional[Sequence[str]] = None) -> str:
    """Markdown table of :func:`baseline_table`'s result: value +- noise
    (the random-clip row shows its spread over the draws, the model its
    bootstrap std), then the claims."""
    rows = result['rows']
    keys = [k for k in (keys or _TABLE_KEYS) if k in rows['model']]
    lines = ['| method | ' + ' | '.join(keys) + ' |',
             '|---' * (len(keys) + 1) + '|']
    for name, res in rows.items():
        nz = dict(model=result['noise']['model bootstrap'],
                  **{'random real clip':
                     result['noise']['random real clip']}).get(name)
        cells = []
        for k in keys:
            v = res.get(k, float('nan'))
            cells.append(f'{v:.4g}' + (f' ± {nz[k]:.2g}' if nz else ''))
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    for c in result['claims']:
        better = 'lower' if dict(CLAIM_KEYS)[c['key']] else 'higher'
        lines.append(
            f"- model vs {c['baseline']} on {c['key']} ({better} is "
            f"better): {c['model']:.4g} vs {c['other']:.4g}, margin "
            f"{c['margin']:.3g}, noise {c['noise']:.2g}: "
            + ('holds' if c['holds'] else 'DOES NOT HOLD'))
    seq = result.get('sequences')
    if seq:
        keys = [k for k in ('FGD', 'emage_FGD', 'mpjpe', 'wrist_speed_r',
                            'BC', 'L1div') if k in seq]
        lines += ['', f"Whole sequences ({seq['frames']} frames, each "
                  'generated from its first seed only; BC without the first '
                  'and last 2 s; L1div per sequence):', '',
                  '| method | ' + ' | '.join(keys) + ' |',
                  '|---' * (len(keys) + 1) + '|']
        for name, pre in (('model', ''), ('hold-seed', 'hold-seed/'),
                          ('mean pose', 'mean-pose/'),
                          ('ground truth', 'ground-truth/')):
            lines.append(f'| {name} | ' + ' | '.join(
                f"{seq.get(pre + k, float('nan')):.4g}" for k in keys) +
                ' |')
        if 'emage_FGD' in seq:
            lines += ['', 'emage_FGD real side: ' + (
                "the clips' captured SMPL-X rotations (EMAGE's protocol)"
                if seq.get('emage_FGD_captured') else
                'inverse kinematics of the real joint positions (the clips '
                'carry no captured rotations: convert BEAT2 again to keep '
                'them); not comparable with published EMAGE numbers')]
    return '\n'.join(lines)


def write_results(result: dict, json_path: Optional[str] = None,
                  md_path: Optional[str] = None) -> None:
    """Write :func:`baseline_table`'s result as JSON and / or markdown."""
    if json_path:
        with open(json_path, 'w') as f:
            json.dump(result, f, indent=1, allow_nan=True)
    if md_path:
        with open(md_path, 'w') as f:
            f.write(format_table(result) + '\n')


def summarise(result: dict) -> Dict[str, bool]:
    """``{'<key> vs <baseline>': holds}`` for the claims."""
    return {f"{c['key']} vs {c['baseline']}": c['holds']
            for c in result['claims']}
