# Copyright (c) mmext contributors. All rights reserved.
"""Generate ``tests/data/gesture/emage_fgd_official.npz`` from the OFFICIAL
EMAGE FGD code (PantoMatrix/PantoMatrix, commit c803115), to check
mmext's :class:`~mmext.models.gesture.emage_fgd.EmageFGDEncoder` and
:func:`~mmext.evaluation.gesture.emage_fgd.emage_fgd`.

Nothing of the official code is copied: this script imports it from the
user's checkout (``emage_evaltools/motion_encoder.py``, ``mertic.py``,
``emage_utils/rotation_conversions.py``) and runs it:

* the encoder is upstream's ``VAESKConv(Arg())`` (``mertic.py:269-277,
  301-302``), the real architecture (its widths are fixed by the
  constructor: ``channel_base = 6`` is hard-coded,
  ``motion_encoder.py:12``);
* its trainable parameters are redrawn uniformly in float64 from a
  generator seeded by the parameter's name
  (:func:`~mmext.models.gesture.emage_fgd.draw_uniform`), within bounds
  stored in the fixture, so the test redraws the same 1.2 M weights on any
  CPU instead of storing them; masks and pooling matrices stay as the
  official code builds them;
* inputs are three (pred, gt) pairs of SMPL-X axis-angle sequences of
  different lengths (values exact in float16, stored so), and a larger
  set drawn by name (``LARGE``, not stored), converted with
  upstream's ``axis_angle_to_rotation_6d`` and fed to upstream's ``FGD``
  object exactly as ``train_emage_audio.py:396-428`` does (each pair cut to
  the shorter length, then ``FGD.update`` / ``FGD.compute``), in float64
  (``train_emage_audio.py:425`` casts to float32; float64 pins the
  fixture to ~1e-15 on any CPU).

Upstream reads the parents from ``SMPLX_NEUTRAL_2020.npz``
(``motion_encoder.py:188-190``). Pass your copy with ``--smplx-model``;
without it a file holding only ``kintree_table`` is written from
mmext's ``SMPLX_PARENTS`` (then the fixture checks the skeleton code, not
the parent list; the loader's mask check does that against a real
checkpoint). ``wget`` (used by ``mertic.py`` only to download files) is
replaced by an empty module in this process when it is not installed.

Usage::

    git clone https://github.com/PantoMatrix/PantoMatrix /tmp/pantomatrix
    git -C /tmp/pantomatrix checkout c803115
    python tools/misc/make_emage_fgd_fixture.py --official /tmp/pantomatrix \\
        --out tests/data/gesture/emage_fgd_official.npz
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import types

import numpy as np
import torch

#: (pred length, gt length) per pair: cut to the shorter, then to a
#: multiple of 32 (``mertic.py:325-327``): 48, 32 and 64 frames.
LENGTHS = ((52, 48), (40, 36), (64, 64))
ZERO_JOINTS = (22, 23, 24)  # jaw and eyes at rest: the small-angle branch
#: A second FGD on (sequences, frames) per set drawn by name
#: (:func:`large_inputs`, not stored): 256 latent frames per set in 240
#: dimensions, so its covariances are well conditioned and the FGD agrees
#: across CPU kernels to ~1e-14 (the 8 latent frames of the stored pairs
#: give rank-deficient covariances; there FGD varies by ~2e-10).
LARGE = (4, 1024)


def weight_bounds(name: str, shape) -> tuple:
    """Uniform bounds of a redrawn parameter: +-1/sqrt(fan_in) for conv
    weights, [0.5, 1.5] for GroupNorm scales, +-0.1 for biases."""
    if len(shape) >= 2:
        b = 1. / np.sqrt(np.prod(shape[1:]))
        return -b, b
    if name.endswith('residual.1.weight'):
        return 0.5, 1.5
    return -0.1, 0.1


def import_official(checkout: str, smplx_model: str, tmp: str):
    from mmext.utils import import_from_checkout
    try:
        import wget  # noqa: F401
    except ImportError:
        sys.modules['wget'] = types.ModuleType('wget')
    what = f'--official {checkout}'
    mertic = import_from_checkout(checkout, 'emage_evaltools.mertic', what)
    rc = import_from_checkout(checkout, 'emage_utils.rotation_conversions',
                              what)
    root = osp.join(tmp, 'smplx_models', 'smplx')
    os.makedirs(root)
    dst = osp.join(root, 'SMPLX_NEUTRAL_2020.npz')
    if smplx_model:
        with np.load(smplx_model, allow_pickle=False) as z:
            np.savez(dst, kintree_table=z['kintree_table'])
    else:
        from mmext.structures.skeleton import SMPLX_PARENTS
        kt = np.array([list(SMPLX_PARENTS), list(range(len(SMPLX_PARENTS)))])
        kt[0, 0] = 2**32 - 1  # as the model file stores the root's parent
        np.savez(dst, kintree_table=kt.astype(np.uint32))
    return mertic, rc


def draw_inputs(gen):
    pairs = []
    for lp, lg in LENGTHS:
        pred = (torch.rand((lp, 55, 3), generator=gen, dtype=torch.float64)
                * 0.8 - 0.3)
        gt = (torch.rand((lg, 55, 3), generator=gen, dtype=torch.float64)
              * 1.2 - 0.6)
        for x in (pred, gt):
            x[:, list(ZERO_JOINTS)] = 0.
        pairs.append((pred.half().double().reshape(lp, 165),
                      gt.half().double().reshape(lg, 165)))
    return pairs


def large_inputs(draw):
    """The LARGE pairs: axis-angle drawn by ``draw(name, shape, lo, hi)``."""
    n, t = LARGE
    return ([draw(f'large_pred_{i}', (t, 165), -0.3, 0.5) for i in range(n)],
            [draw(f'large_gt_{i}', (t, 165), -0.6, 0.6) for i in range(n)])


def official_fgd(mertic, rc, model, pairs):
    """Upstream's FGD object fed as ``train_emage_audio.py:396-428``."""
    fgd = mertic.FGD.__new__(mertic.FGD)  # no download, no cuda
    fgd.eval_model, fgd.device = model, 'cpu'
    fgd.reset()
    for pred, gt in pairs:
        t = min(len(pred), len(gt))  # train_emage_audio.py:396-398
        fgd.update(*(rc.axis_angle_to_rotation_6d(x[:t].reshape(
            1, t, 55, 3)).reshape(1, t, 330) for x in (pred, gt)))
    return fgd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official', required=True,
                        help='checkout of PantoMatrix/PantoMatrix at c803115')
    parser.add_argument('--smplx-model', default=None,
                        help='SMPLX_NEUTRAL_2020.npz (its kintree_table)')
    parser.add_argument('--out', required=True)
    args = parser.parse_args()

    from mmext.models.gesture.emage_fgd import draw_uniform
    torch.set_default_dtype(torch.float64)
    tmp = tempfile.mkdtemp()
    mertic, rc = import_official(args.official, args.smplx_model, tmp)
    model = mertic.VAESKConv(mertic.Arg(), model_save_path=tmp + '/')
    out = {}
    with torch.no_grad():
        names, lows, highs = [], [], []
        for name, p in model.named_parameters():
            if not p.requires_grad or not name.startswith('encoder.'):
                continue
            lo, hi = weight_bounds(name, p.shape)
            p.copy_(draw_uniform(name, p.shape, lo, hi))
            names.append(name)
            lows.append(lo)
            highs.append(hi)
        out['weight_names'] = np.array(names)
        out['weight_low'] = np.array(lows)
        out['weight_high'] = np.array(highs)
        out['weight_sums'] = np.array(
            [float(model.get_parameter(n).sum()) for n in names])
        state = model.state_dict()
        out['layout_keys'] = np.array(list(state))
        out['layout_shapes'] = np.array(
            [','.join(map(str, v.shape)) for v in state.values()])
        structure = [k for k in state if k.startswith('encoder.') and (
            k.endswith('.mask') or '.common.0.weight' in k)]
        out['structure_keys'] = np.array(structure)
        out['structure_sums'] = np.array(
            [float(state[k].sum()) for k in structure])

        model.eval()
        pairs = draw_inputs(torch.Generator().manual_seed(20))
        fgd = official_fgd(mertic, rc, model, pairs)
        for i, (pred, gt) in enumerate(pairs):
            out[f'pred_{i}'] = pred.numpy().astype(np.float16)
            out[f'gt_{i}'] = gt.numpy().astype(np.float16)
            out[f'latent_pred_{i}'] = fgd.pred_features[i][0]
            out[f'latent_gt_{i}'] = fgd.target_features[i][0]
        out['rot6d_pred_0'] = rc.axis_angle_to_rotation_6d(
            pairs[0][0][:4].reshape(4, 55, 3)).reshape(4, 330).numpy()
        out['fgd'] = np.array(fgd.compute())
        large = official_fgd(mertic, rc, model,
                             list(zip(*large_inputs(draw_uniform))))
        out['fgd_large'] = np.array(large.compute())
        out['large'] = np.array(LARGE)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    np.savez_compressed(args.out, **out)
    print(f'wrote {args.out}: FGD {float(out["fgd"]):.12g}, large FGD '
          f'{float(out["fgd_large"]):.12g}, latents ' +
          ', '.join(str(out[f'latent_pred_{i}'].shape)
                    for i in range(len(LENGTHS))))


if __name__ == '__main__':
    main()
