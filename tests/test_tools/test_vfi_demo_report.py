# Copyright (c) mmext contributors. All rights reserved.
"""The VFI demo's true flows and its report: the generator's flow warps the
input frames onto the middle frame (the sign convention of
``backward_warp``), and the report's zero-motion EPE, baselines and JSON
are those of the data."""
import json

import numpy as np
import torch
from conftest import ROOT, run_tool

from mmext.datasets.vfi.synthetic import (clip_flow, draw_clip, read_true_flow,
                                          render_frame, texture_image,
                                          write_vimeo_triplets)
from mmext.models.layers import backward_warp

CONFIG = ROOT / 'configs/vfi/hybrid-vfi-tiny_1xb8-60e_vimeo90k-demo.py'


def _t(img):
    return torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1)[None]


def test_true_flow_warps_the_inputs_onto_the_middle_frame():
    src = texture_image(0, 96)
    rng = np.random.default_rng(0)
    for num_sprites in (0, 2):
        clip = draw_clip(src, rng, 48, 5.0, num_sprites)
        frames = [_t(render_frame(src, clip['crop'], clip['motion'],
                                  clip['sprites'], t))
                  for t in (0.0, 0.5, 1.0)]
        flow = torch.from_numpy(clip_flow(clip, 0.5))
        inner = (slice(None), slice(None), slice(8, -8), slice(8, -8))
        for k, img in ((0, frames[0]), (1, frames[2])):
            warped = backward_warp(img, flow[k][None])
            err = (warped - frames[1])[inner].abs()
            # no sprites: everything moves with the background; the
            # residual is the bilinear resampling of the texture
            if num_sprites == 0:
                assert err.mean() < 2.0, err.mean()
            # with the wrong sign the error is several times larger
            wrong = (backward_warp(img, -flow[k][None]) - frames[1])[inner]
            assert wrong.abs().mean() > 2 * err.mean()


def test_report_numbers_and_json(tmp_path):
    srcs = [texture_image(i, 96) for i in range(3)]
    root = tmp_path / 'vimeo'
    write_vimeo_triplets(str(root), srcs, 2, 3, size=32, max_motion=4,
                         write_flow=True)
    flows = [read_true_flow(str(root), f'00002/{i:04d}') for i in (1, 2, 3)]
    zero_epe = np.mean([0.5 * (np.linalg.norm(f[0], axis=0) +
                               np.linalg.norm(f[1], axis=0)).mean()
                        for f in flows])
    torch.manual_seed(0)
    from mmext.apis.vfi_inference import init_interpolator
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': init_interpolator(str(CONFIG)).state_dict()},
               ckpt)
    out = tmp_path / 'results.json'
    res = run_tool(['analysis_tools/vfi_demo_report.py', CONFIG, ckpt,
                    '--data-root', root, '--out', out, '--picture',
                    tmp_path / 'pic.png'])
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert data['num_triplets'] == 3
    assert abs(data['flow']['EPE_zero_motion'] - zero_epe) < 1e-4
    img = data['images']
    assert img['frame average']['PSNR_minus_frame_average'] == 0
    # an untrained model's flows are small random outputs: its EPE is
    # within 5% of zero motion's
    assert abs(data['flow']['EPE_model'] - zero_epe) < 0.05 * zero_epe
    assert 'flow EPE (px): model' in res.stdout
    assert (tmp_path / 'pic.png').is_file()
    # --require-flow fails for it, naming what is missing, in one line
    res = run_tool(['analysis_tools/vfi_demo_report.py', CONFIG, ckpt,
                    '--data-root', root, '--require-flow'])
    assert res.returncode != 0 and 'Traceback' not in res.stderr
    assert 'EPE is not below zero motion' in res.stderr
    res = run_tool(['analysis_tools/vfi_demo_report.py', CONFIG, ckpt,
                    '--data-root', tmp_path])
    assert res.returncode != 0 and 'Traceback' not in res.stderr
