# Copyright (c) mmext contributors. All rights reserved.
"""Evaluate a VFI checkpoint beside the frame-average and nearest-frame
baselines on a Vimeo-layout test list, and draw a side-by-side picture.

    python tools/analysis_tools/vfi_demo_report.py CONFIG CHECKPOINT \
        --data-root work_dirs/vfi_demo/vimeo \
        --picture work_dirs/vfi_demo/side_by_side.png [--require-win]

All three predictors are scored by the same ``VFIMetric`` (the Vimeo90K
convention: no quantisation, PSNR and the 3D SSIM). ``--require-win`` exits
non-zero unless the model beats both baselines on PSNR and SSIM.
"""
import argparse
import sys

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', required=True)
    p.add_argument('--ann-file', default='tri_testlist.txt')
    p.add_argument('--picture', default=None)
    p.add_argument('--num-rows', type=int, default=4)
    p.add_argument('--require-win', action='store_true')
    args = p.parse_args(argv)

    from mmext.apis.vfi_inference import init_interpolator
    from mmext.datasets.vfi import Vimeo90KTripletDataset
    from mmext.evaluation.vfi import VFIMetric
    model = init_interpolator(args.config, args.checkpoint)
    ds = Vimeo90KTripletDataset(
        data_root=args.data_root, ann_file=args.ann_file,
        pipeline=[dict(type='mmext.LoadVFIFrames'),
                  dict(type='mmext.PackVFIInputs')])
    metrics = {k: VFIMetric(quantize=False, ssim='3d')
               for k in ('model', 'frame average', 'nearest frame')}
    rows = []
    for i in range(len(ds)):
        batch = pseudo_collate([ds[i]])
        with torch.no_grad():
            out = model.test_step(batch)[0]
        frames = batch['inputs'][0].float() / 255.0
        gt = out.gt_img
        preds = {'model': out.pred_img,
                 'frame average': 0.5 * (frames[0] + frames[1]),
                 'nearest frame': frames[0]}
        for k, pred in preds.items():
            metrics[k].process(None, [dict(pred_img=pred, gt_img=gt)])
        if len(rows) < args.num_rows:
            rows.append([frames[0], preds['frame average'], out.pred_img,
                         gt, frames[1]])
    res = {k: m.compute_metrics(m.results) for k, m in metrics.items()}
    print(f'held-out SYNTHETIC triplets: {len(ds)} (Vimeo90K convention)')
    print(f'{"predictor":16s} {"PSNR (dB)":>10s} {"SSIM":>8s}')
    for k, r in res.items():
        print(f'{k:16s} {r["PSNR"]:10.2f} {r["SSIM"]:8.4f}')
    if args.picture:
        tiles = []
        for row in rows:
            imgs = [(t.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round()
                    .astype(np.uint8) for t in row]
            tiles.append(np.concatenate(
                [np.pad(im, ((2, 2), (2, 2), (0, 0)), constant_values=255)
                 for im in imgs], axis=1))
        pic = np.concatenate(tiles, axis=0)
        pic = cv2.resize(pic, None, fx=3, fy=3,
                         interpolation=cv2.INTER_NEAREST)
        header = np.full((28, pic.shape[1], 3), 255, np.uint8)
        w = pic.shape[1] // 5
        for j, name in enumerate(('frame 0', 'average', 'model', 'truth',
                                  'frame 1')):
            cv2.putText(header, name, (j * w + 6, 20),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
        cv2.imwrite(args.picture,
                    np.concatenate([header, pic], axis=0)[..., ::-1])
        print(f'side-by-side picture: {args.picture}')
    if args.require_win:
        m = res['model']
        lost = [k for k in ('frame average', 'nearest frame')
                if m['PSNR'] <= res[k]['PSNR'] or m['SSIM'] <= res[k]['SSIM']]
        if lost:
            sys.exit(f'error: the model does not beat {", ".join(lost)}')
    return res


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
