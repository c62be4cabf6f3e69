# Copyright (c) mmext contributors. All rights reserved.
"""VFI metrics: PSNR by hand, the 3D SSIM against an independent loop
implementation, the 2D SSIM against scikit-image, 8-bit quantisation per
benchmark."""
import math

import numpy as np
import pytest
import torch

from mmext.evaluation.vfi import (VFIMetric, interpolation_error, psnr,
                                  quantize_8bit, ssim_2d, ssim_3d)


def _pair(shape=(3, 16, 20), seed=0):
    g = torch.Generator().manual_seed(seed)
    gt = torch.rand(shape, generator=g)
    pred = (gt + 0.1 * torch.randn(shape, generator=g)).clamp(0, 1)
    return pred, gt


def test_psnr_by_hand():
    gt = torch.zeros(3, 2, 2)
    pred = gt.clone()
    pred[0, 0, 0] = 0.5  # one of 12 values off by 0.5
    mse = 0.25 / 12
    assert psnr(pred, gt).item() == pytest.approx(-10 * math.log10(mse))
    assert math.isinf(psnr(gt, gt).item())
    with pytest.raises(ValueError, match='differ in shape'):
        psnr(pred, gt[:, :1])


def _ssim3d_reference(x: np.ndarray, y: np.ndarray) -> float:
    """Independent 3D SSIM: explicit 11^3 weighted sums at every voxel of the
    replicate-padded (C, H, W) volumes (as ssim_matlab defines it)."""
    r = 5
    k = np.arange(11) - 5
    g = np.exp(-k**2 / (2 * 1.5**2))
    g /= g.sum()
    w = np.einsum('i,j,k->ijk', g, g, g)
    xp = np.pad(x, r, mode='edge')
    yp = np.pad(y, r, mode='edge')
    c, h, wd = x.shape
    vals = []
    for ci in range(c):
        for i in range(h):
            for j in range(wd):
                a = xp[ci:ci + 11, i:i + 11, j:j + 11]
                b = yp[ci:ci + 11, i:i + 11, j:j + 11]
                ma, mb = (w * a).sum(), (w * b).sum()
                va = (w * a * a).sum() - ma * ma
                vb = (w * b * b).sum() - mb * mb
                cov = (w * a * b).sum() - ma * mb
                c1, c2 = 0.01**2, 0.03**2
                vals.append(((2 * ma * mb + c1) * (2 * cov + c2)) /
                            ((ma * ma + mb * mb + c1) * (va + vb + c2)))
    return float(np.mean(vals))


def test_ssim_3d_matches_independent_loop():
    pred, gt = _pair((3, 13, 12), seed=1)
    ref = _ssim3d_reference(pred.double().numpy(), gt.double().numpy())
    assert ssim_3d(pred, gt).item() == pytest.approx(ref, abs=1e-10)
    assert ssim_3d(gt, gt).item() == pytest.approx(1.0, abs=1e-12)
    # channel order does not matter (BGR-read scripts give the same value)
    assert ssim_3d(pred.flip(0), gt.flip(0)).item() == pytest.approx(
        ref, abs=1e-10)


def test_ssim_2d_matches_skimage():
    metrics = pytest.importorskip('skimage.metrics')
    pred, gt = _pair((3, 24, 30), seed=2)
    p8 = torch.round(pred * 255)
    g8 = torch.round(gt * 255)
    ref = metrics.structural_similarity(
        g8.permute(1, 2, 0).numpy().astype(np.uint8),
        p8.permute(1, 2, 0).numpy().astype(np.uint8),
        data_range=255,
        channel_axis=-1)
    assert ssim_2d(p8, g8).item() == pytest.approx(ref, abs=1e-12)


def test_quantize_and_interpolation_error():
    x = torch.tensor([-0.1, 0.0, 0.5, 0.7, 1.2], dtype=torch.float64)
    assert torch.equal(quantize_8bit(x) * 255,
                       torch.tensor([0., 0., 128., 178., 255.],
                                    dtype=torch.float64))
    gt = torch.full((3, 2, 2), 10 / 255.)
    pred = torch.full((3, 2, 2), 12.4 / 255.)
    assert interpolation_error(pred, gt).item() == pytest.approx(2.0)


@pytest.mark.parametrize('quantize', [False, True])
def test_metric_quantisation_per_benchmark(quantize):
    gt = torch.full((3, 12, 12), 100 / 255., dtype=torch.float64)
    pred = gt + 0.3 / 255.  # rounds back onto the gt when quantised
    metric = VFIMetric(quantize=quantize, ssim='3d')
    metric.process({}, [dict(pred_img=pred, gt_img=gt)])
    res = metric.compute_metrics(metric.results)
    expected = math.inf if quantize else -10 * math.log10((0.3 / 255.)**2)
    assert res['PSNR'] == pytest.approx(expected)
    assert set(res) == {'PSNR', 'SSIM'}


def test_metric_2d_and_errors():
    pred, gt = _pair((3, 16, 16), seed=3)
    gt = quantize_8bit(gt)
    metric = VFIMetric(quantize=True, ssim='2d', ie=True)
    metric.process({}, [dict(pred_img=pred, gt_img=gt)])
    res = metric.compute_metrics(metric.results)
    q = quantize_8bit(pred)
    assert res['PSNR'] == pytest.approx(psnr(q, gt).item())
    assert res['SSIM'] == pytest.approx(
        ssim_2d(q * 255, gt * 255).item())
    assert res['IE'] == pytest.approx(interpolation_error(q, gt).item())
    with pytest.raises(ValueError, match='quantize=True'):
        VFIMetric(ssim='2d')
    with pytest.raises(ValueError, match="ssim must be one of"):
        VFIMetric(ssim='4d')
    with pytest.raises(KeyError, match="'pred_img'"):
        VFIMetric().process({}, [dict(gt_img=gt)])
