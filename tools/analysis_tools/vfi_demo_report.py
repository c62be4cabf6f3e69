# Copyright (c) mmext contributors. All rights reserved.
"""Evaluate a VFI checkpoint on held-out SYNTHETIC triplets whose true flow
is known: image quality beside trivial baselines, and the flow itself.

    python tools/analysis_tools/vfi_demo_report.py CONFIG CHECKPOINT \
        --data-root work_dirs/vfi_demo/vimeo \
        [--picture work_dirs/vfi_demo/side_by_side.png] \
        [--out work_dirs/vfi_demo_results.json] [--require-win]

Rows (all scored by the same ``VFIMetric``: the Vimeo90K convention, no
quantisation, PSNR and the 3D SSIM):

* ``model``: the full model;
* ``model blend (no refinement)``: its flow-warped, mask-fused frames
  before the refinement U-Net adds its residual, i.e. what the flow
  alone achieves;
* ``model, zero flow``: the model with its flows replaced by zero (mask
  and refinement kept): what the refinement achieves without motion;
* ``model, true flow``: the model with the generator's true flows (an
  upper bound of what better flow would give this refinement);
* ``frame average``, ``nearest frame`` (frame 0).

The flow rows give the end-point error (EPE, pixels, averaged over both
backward flows ``F_t->0``, ``F_t->1`` and all pixels) of the model's flow
and of predicting zero motion. The PSNR difference to the frame average is
printed with its 95% interval over the triplets (1.96 standard errors of
the per-triplet differences): the noise a claimed win must exceed.

``--require-win`` exits non-zero unless the model beats the frame average
and nearest frame on PSNR and SSIM by more than that noise. Pass
``--require-flow`` to also require the blend without refinement to beat
the frame average and the model's EPE to be below zero motion's.
"""
import argparse
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate

ROWS = ('model', 'model blend (no refinement)', 'model, zero flow',
        'model, true flow', 'frame average', 'nearest frame')


def _ci95(x) -> float:
    x = np.asarray(x, np.float64)
    return float(1.96 * x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 \
        else float('nan')


def evaluate(model, data_root: str, ann_file: str = 'tri_testlist.txt',
             num_rows: int = 4) -> dict:
    """The report's numbers (and picture rows) for ``model`` on the
    triplets of ``ann_file`` under ``data_root``."""
    from mmext.datasets.vfi import Vimeo90KTripletDataset
    from mmext.datasets.vfi.synthetic import read_true_flow
    from mmext.evaluation.vfi import VFIMetric
    from mmext.models.vfi import pad_to_multiple
    ds = Vimeo90KTripletDataset(
        data_root=data_root, ann_file=ann_file,
        pipeline=[dict(type='mmext.LoadVFIFrames'),
                  dict(type='mmext.PackVFIInputs')])
    metrics = {k: VFIMetric(quantize=False, ssim='3d') for k in ROWS}
    epe, epe0, rows = [], [], []
    for i in range(len(ds)):
        batch = pseudo_collate([ds[i]])
        sample = batch['data_samples'][0]
        frames = batch['inputs'][0].float() / 255.0
        gt = sample.gt_img.float() / 255.0
        true = torch.from_numpy(read_true_flow(data_root, sample.key))
        true = true.reshape(4, *true.shape[-2:])  # [F_t0 (dx, dy), F_t1]
        x0, pad = pad_to_multiple(frames[0:1], model.multiple)
        x1, _ = pad_to_multiple(frames[1:2], model.multiple)
        left, right, top, bottom = pad

        def crop(t):
            return t[..., top:t.shape[-2] - bottom, left:t.shape[-1] - right]

        def padded(flow):
            return torch.nn.functional.pad(
                flow[None], (left, right, top, bottom), mode='replicate')

        with torch.no_grad():
            pred, aux = model.interpolate(x0, x1, 0.5, return_aux=True)
            zero = model.interpolate(
                x0, x1, 0.5, flow_override=torch.zeros_like(aux['flow']))
            oracle = model.interpolate(x0, x1, 0.5,
                                       flow_override=padded(true))
        flow = crop(aux['flow'])[0]
        preds = {
            'model': crop(pred)[0],
            'model blend (no refinement)': crop(aux['merged'])[0],
            'model, zero flow': crop(zero)[0],
            'model, true flow': crop(oracle)[0],
            'frame average': 0.5 * (frames[0] + frames[1]),
            'nearest frame': frames[0],
        }
        for k, p in preds.items():
            metrics[k].process(None, [dict(pred_img=p.clamp(0, 1),
                                           gt_img=gt)])

        def end_point(f):
            return 0.5 * (f[:2].norm(dim=0) + f[2:].norm(dim=0)).mean()

        epe.append(float(end_point(flow - true)))
        epe0.append(float(end_point(true)))
        if len(rows) < num_rows:
            rows.append([frames[0], preds['frame average'],
                         preds['model blend (no refinement)'],
                         preds['model'], gt, frames[1]])
    res = {k: m.compute_metrics(m.results) for k, m in metrics.items()}
    per = {k: np.array([r['psnr'] for r in m.results])
           for k, m in metrics.items()}
    for k in ROWS:
        d = per[k] - per['frame average']
        res[k]['PSNR_minus_frame_average'] = float(d.mean())
        res[k]['PSNR_minus_frame_average_ci95'] = _ci95(d)
    e, e0 = np.array(epe), np.array(epe0)
    return dict(
        num_triplets=len(ds), images=res,
        per_triplet_psnr={k: v.tolist() for k, v in per.items()},
        flow=dict(EPE_model=float(e.mean()), EPE_zero_motion=float(
            e0.mean()), EPE_difference_ci95=_ci95(e - e0)),
        rows=rows)


def _picture(rows, path: str) -> None:
    tiles = []
    for row in rows:
        imgs = [(t.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round()
                .astype(np.uint8) for t in row]
        tiles.append(np.concatenate(
            [np.pad(im, ((2, 2), (2, 2), (0, 0)), constant_values=255)
             for im in imgs], axis=1))
    pic = np.concatenate(tiles, axis=0)
    pic = cv2.resize(pic, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)
    header = np.full((28, pic.shape[1], 3), 255, np.uint8)
    names = ('frame 0', 'average', 'blend', 'model', 'truth', 'frame 1')
    w = pic.shape[1] // len(names)
    for j, name in enumerate(names):
        cv2.putText(header, name, (j * w + 6, 20), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6, (0, 0, 0), 1)
    cv2.imwrite(path, np.concatenate([header, pic], axis=0)[..., ::-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', required=True)
    p.add_argument('--ann-file', default='tri_testlist.txt')
    p.add_argument('--picture', default=None)
    p.add_argument('--out', default=None, help='write the numbers as JSON')
    p.add_argument('--num-rows', type=int, default=4)
    p.add_argument('--require-win', action='store_true')
    p.add_argument('--require-flow', action='store_true')
    args = p.parse_args(argv)

    from mmext.apis.vfi_inference import init_interpolator
    try:
        model = init_interpolator(args.config, args.checkpoint)
        out = evaluate(model, args.data_root, args.ann_file, args.num_rows)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    res, flow = out['images'], out['flow']
    print(f'held-out SYNTHETIC triplets: {out["num_triplets"]} (Vimeo90K '
          f'convention); vs frame average: mean per-triplet PSNR '
          f'difference +- 95% interval')
    print(f'{"predictor":30s} {"PSNR (dB)":>10s} {"SSIM":>8s} '
          f'{"vs average (dB)":>18s}')
    for k in ROWS:
        r = res[k]
        print(f'{k:30s} {r["PSNR"]:10.2f} {r["SSIM"]:8.4f} '
              f'{r["PSNR_minus_frame_average"]:+9.2f} +- '
              f'{r["PSNR_minus_frame_average_ci95"]:.2f}')
    print(f'flow EPE (px): model {flow["EPE_model"]:.3f}, zero motion '
          f'{flow["EPE_zero_motion"]:.3f} (difference +- 95% interval '
          f'{flow["EPE_difference_ci95"]:.3f})')
    if args.picture:
        _picture(out['rows'], args.picture)
        print(f'side-by-side picture: {args.picture}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                           data_root=args.data_root,
                           num_triplets=out['num_triplets'],
                           images=res, flow=flow,
                           per_triplet_psnr=out['per_triplet_psnr']), f,
                      indent=2)
        print(f'results: {args.out}')
    failed = []
    m = res['model']
    if args.require_win:
        for k in ('frame average', 'nearest frame'):
            d = np.subtract(out['per_triplet_psnr']['model'],
                            out['per_triplet_psnr'][k])
            if d.mean() <= _ci95(d) or m['SSIM'] <= res[k]['SSIM']:
                failed.append(f'the model does not beat the {k} by more '
                              f'than the noise')
    if args.require_flow:
        b = res['model blend (no refinement)']
        if b['PSNR_minus_frame_average'] <= \
                b['PSNR_minus_frame_average_ci95']:
            failed.append('the blend without refinement does not beat the '
                          'frame average by more than the noise')
        if flow['EPE_model'] >= flow['EPE_zero_motion'] - \
                flow['EPE_difference_ci95']:
            failed.append('the flow EPE is not below zero motion by more '
                          'than the noise')
    if failed:
        sys.exit('error: ' + '; '.join(failed))
    return out


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
