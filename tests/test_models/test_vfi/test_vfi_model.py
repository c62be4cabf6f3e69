# Copyright (c) mmext contributors. All rights reserved.
"""VFI model: every backbone mode (with and without mHC, phase-2 feature
warping) runs forward, backward and one optimizer step; inference modes;
losses."""
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement

from mmext.models.vfi import (CensusLoss, HybridVFIBackbone,
                              LaplacianPyramidLoss, VFIModel,
                              VGGPerceptualLoss, interleave_frames,
                              pad_to_multiple, split_frames)


def _model(mode='hybrid', **kw):
    torch.manual_seed(0)
    return VFIModel(
        backbone=dict(type='HybridVFIBackbone', embed_dims=8, depth=2,
                      mode=mode, window_size=2, num_heads=2,
                      ssm_cfg=dict(d_state=8, headdim=8, chunk_size=16),
                      use_mhc=kw.pop('use_mhc', False)),
        embed_dims=8, flow_dims=8, refine_dims=4,
        losses=[dict(type='LaplacianPyramidLoss', max_levels=2),
                dict(type='CensusLoss', patch_size=3)], **kw)


def _batch(n=2, h=16, w=24):
    g = torch.Generator().manual_seed(1)
    data = dict(
        inputs=[torch.randint(0, 256, (2, 3, h, w), generator=g,
                              dtype=torch.uint8) for _ in range(n)],
        data_samples=[
            BaseDataElement(
                gt_img=torch.randint(0, 256, (3, h, w), generator=g,
                                     dtype=torch.uint8),
                metainfo=dict(t=0.5)) for _ in range(n)
        ])
    return data


@pytest.mark.parametrize('mode,use_mhc,feature_warp', [
    ('hybrid', False, False), ('mamba2_only', False, False),
    ('gated_attn_only', False, False), ('hybrid', True, True)
])
def test_train_step_per_mode(mode, use_mhc, feature_warp):
    model = _model(mode, use_mhc=use_mhc, feature_warp=feature_warp)
    kinds = model.backbone.kinds
    assert kinds == {'hybrid': ['mamba2', 'attn'],
                     'mamba2_only': ['mamba2', 'mamba2'],
                     'gated_attn_only': ['attn', 'attn']}[mode]
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # two steps: a zero-initialised layer (refine.out, phase 2's
    # refine.mid_extra) only gets a gradient once the layer after it has
    # left zero
    model.train_step(_batch(), optim)
    log = model.train_step(_batch(), optim)
    assert set(log) == {'loss', 'loss_lap', 'loss_census'}
    assert torch.isfinite(log['loss'])
    torch.testing.assert_close(log['loss'],
                               log['loss_lap'] + log['loss_census'])
    after = model.state_dict()
    # every trainable parameter got a gradient and moved
    for name, p in model.named_parameters():
        assert not torch.equal(before[name], after[name]), name
    # predict pads odd sizes and crops back, values in [0, 1]
    model.eval()
    with torch.no_grad():
        out = model.test_step(_batch(1, 13, 21))
    assert out[0].pred_img.shape == (3, 13, 21)
    assert 0 <= out[0].pred_img.min() and out[0].pred_img.max() <= 1


def test_motion_components_train_and_start_neutral():
    """The motion path (correlation into the flow head, relative position
    bias, a coarse-to-fine step at 1/2) trains; the coarse-to-fine step
    and the bias start as no change: with the same other weights the
    model gives the output of the model without them."""
    torch.manual_seed(0)
    base = VFIModel(
        backbone=dict(type='HybridVFIBackbone', embed_dims=8, depth=2,
                      window_size=2, num_heads=2,
                      ssm_cfg=dict(d_state=8, headdim=8, chunk_size=16)),
        embed_dims=8, flow_dims=8, refine_dims=4, corr_radius=2,
        losses=[dict(type='LaplacianPyramidLoss', max_levels=2)]).eval()
    full = VFIModel(
        backbone=dict(type='HybridVFIBackbone', embed_dims=8, depth=2,
                      window_size=2, num_heads=2, rel_pos_bias=True,
                      ssm_cfg=dict(d_state=8, headdim=8, chunk_size=16)),
        embed_dims=8, flow_dims=8, refine_dims=4, corr_radius=2,
        refine_scales=(2, ),
        losses=[dict(type='LaplacianPyramidLoss', max_levels=2)]).eval()
    missing, unexpected = full.load_state_dict(base.state_dict(),
                                               strict=False)
    assert not unexpected
    assert all(k.startswith('flow_levels.') or 'rel_pos_table' in k
               for k in missing)
    assert base.flow_head.net[0][0].in_channels == 2 * 8 + 1 + 25
    a, b = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(full.interpolate(a, b, 0.3),
                                   base.interpolate(a, b, 0.3))
    full.train()
    optim = OptimWrapper(torch.optim.AdamW(full.parameters(), lr=1e-3))
    before = {k: v.clone() for k, v in full.state_dict().items()}
    for _ in range(2):
        log = full.train_step(_batch(), optim)
    assert torch.isfinite(log['loss'])
    for name, p in full.named_parameters():
        assert not torch.equal(before[name], p), name
    with pytest.raises(ValueError, match='refine_scales must be'):
        _model(refine_scales=(1, 2))
    with pytest.raises(ValueError, match='corr_radius must be >= 0'):
        _model(corr_radius=-1)


def test_joint_stem_sees_both_frames():
    """With ``joint_stem`` frame i's encoder input is the pair (I_i,
    I_other): its features depend on the other frame, swapping the frames
    swaps the two maps, and the model trains; the per-frame encoder's
    features do not see the other frame."""
    feats = {}

    def record(name):
        return lambda mod, inp, out: feats.setdefault(name, []).append(
            out.detach())

    model = _model(joint_stem=True).eval()
    per_frame = _model().eval()
    assert model.encoder.net[0][0].in_channels == 6
    assert per_frame.encoder.net[0][0].in_channels == 3
    model.encoder.register_forward_hook(record('joint'))
    per_frame.encoder.register_forward_hook(record('single'))
    g = torch.Generator().manual_seed(5)
    a, b, c = torch.rand(3, 1, 3, 16, 16, generator=g)
    with torch.no_grad():
        for net in (model, per_frame):
            net.interpolate(a, b, 0.5)
            net.interpolate(b, a, 0.5)
            net.interpolate(a, c, 0.5)
    j, s = feats['joint'], feats['single']  # (f0, f1) per call
    torch.testing.assert_close(j[2], j[1])  # frame a given b, either order
    torch.testing.assert_close(j[3], j[0])
    assert (j[4] - j[0]).abs().max() > 1e-4  # frame a given c != given b
    torch.testing.assert_close(s[4], s[0])
    model.train()
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    assert torch.isfinite(model.train_step(_batch(), optim)['loss'])


def test_interpolation_modes():
    model = _model().eval()
    a, b = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        mid = model.interpolate(a, b, 0.5)
        rec = model.interpolate_sequence(a, b, 4, 'recursive')
        direct = model.interpolate_sequence(a, b, 4, 'direct')
        # recursive x4: [f(a, m, .5), m, f(m, b, .5)] with m = f(a, b, .5)
        torch.testing.assert_close(rec[1], mid)
        torch.testing.assert_close(rec[0], model.interpolate(a, mid, 0.5))
        torch.testing.assert_close(direct[0],
                                   model.interpolate(a, b, 0.25))
        torch.testing.assert_close(
            model.interpolate_recursive(a, b, 0.75), rec[2])
        # the high-resolution path (flow at half scale) keeps the size
        hr = model.interpolate(torch.rand(1, 3, 32, 40),
                               torch.rand(1, 3, 32, 40), 0.5,
                               flow_scale=0.5)
        assert hr.shape == (1, 3, 32, 40)
    with pytest.raises(ValueError, match='power of 2'):
        model.interpolate_sequence(a, b, 3, 'recursive')
    with pytest.raises(ValueError, match='dyadic'):
        model.interpolate_recursive(a, b, 1 / 3)
    with pytest.raises(ValueError, match='not a multiple of 8'):
        model.interpolate(a[..., :12], b[..., :12])
    with pytest.raises(ValueError, match='test_cfg.multi must be one of'):
        _model(test_cfg=dict(multi='sideways'))


def test_backbone_layout_and_errors():
    f0, f1 = torch.randn(2, 4, 3, 5), torch.randn(2, 4, 3, 5)
    grid = interleave_frames(f0, f1)
    assert grid.shape == (2, 3, 10, 4)
    torch.testing.assert_close(grid[:, 1, 6], f0[:, :, 1, 3])
    torch.testing.assert_close(grid[:, 1, 7], f1[:, :, 1, 3])
    g0, g1 = split_frames(grid)
    assert torch.equal(g0, f0) and torch.equal(g1, f1)
    with pytest.raises(ValueError, match='mode must be one of'):
        HybridVFIBackbone(mode='mamba3')
    with pytest.raises(ValueError, match='window_size must be even'):
        HybridVFIBackbone(window_size=3)


def _backbone(use_mhc, **mhc_cfg):
    torch.manual_seed(0)
    return HybridVFIBackbone(embed_dims=16, depth=2, window_size=2,
                             num_heads=2, use_mhc=use_mhc,
                             ssm_cfg=dict(d_state=8, headdim=8,
                                          chunk_size=16),
                             mhc_cfg=mhc_cfg or None).eval()


def test_mhc_backbone_is_not_a_plain_residual():
    """With mHC (the HC initialisation) the streams differ after the first
    block and the output differs from the plain residual backbone with the
    same block weights; the former uniform initialisation was that plain
    residual up to about 1e-4."""
    plain = _backbone(False)
    f0, f1 = torch.randn(2, 16, 4, 6), torch.randn(2, 16, 4, 6)
    with torch.no_grad():
        ref = torch.cat(plain(f0, f1), 1)
    rel = {}
    for init in ('hc', 'uniform'):
        mhc = _backbone(True, init=init)
        missing, unexpected = mhc.load_state_dict(plain.state_dict(),
                                                  strict=False)
        assert not unexpected and all(k.startswith('hc.') for k in missing)
        streams = []
        mhc.hc[1].register_forward_hook(
            lambda m, i, o: streams.append(o))  # after block 0's MLP
        with torch.no_grad():
            out = torch.cat(mhc(f0, f1), 1)
        s = streams[0]  # (b, h, 2w, n, c)
        spread = ((s - s[..., :1, :]).abs().mean() / s.abs().mean()).item()
        rel[init] = ((out - ref).abs().mean() / ref.abs().mean()).item()
        if init == 'hc':
            assert spread > 0.1, spread
        else:
            assert spread < 5e-3, spread
    # the streams' mean takes the residual's steps, so at init the output
    # parts from the plain residual by the blocks reading one stream
    # instead of the mean: 1.7% here, 100x the former init's 0.015%
    assert rel['uniform'] < 1e-3 and rel['hc'] > 1e-2, rel


def test_interleaved_column_scan_against_a_loop():
    """``col_order='interleaved'``: the column scan visits f0(y, x),
    f1(y, x) for y down each column x (a naive loop builds that order);
    ``'frame_major'`` is the plain column-major scan of the grid."""
    from mmext.models.vfi.backbone import _MambaMixer
    torch.manual_seed(0)
    h, w, c = 3, 4, 8
    grid = torch.randn(1, h, 2 * w, c)
    for d in ('col', 'col_reverse'):
        mixer = _MambaMixer(
            c, (d, ), dict(d_state=8, headdim=8, chunk_size=4)).eval()
        ssm = mixer.ssm.mixers[0]
        order = [(y, 2 * x + f) for x in range(w) for y in range(h)
                 for f in (0, 1)]
        if d == 'col_reverse':
            order = order[::-1]
        seq = torch.stack([grid[0, y, x] for y, x in order])[None]
        with torch.no_grad():
            ref = torch.zeros_like(grid)
            for (y, x), v in zip(order, ssm(seq)[0]):
                ref[0, y, x] = v
            torch.testing.assert_close(mixer(grid), ref)
            mixer.col_order = 'frame_major'
            torch.testing.assert_close(
                mixer(grid), mixer.ssm(grid.reshape(1, -1, c), hw=(
                    h, 2 * w)).view_as(grid))
    # a coarser scan: the pooled frames' scan, repeated over each 2x2 cell
    mixer = _MambaMixer(
        c, ('row', 'col'), dict(d_state=8, headdim=8, chunk_size=4),
        scan_stride=2).eval()
    big = torch.randn(1, 4, 8, c)  # 4x4 per frame
    f0, f1 = split_frames(big)
    pooled = interleave_frames(torch.nn.functional.avg_pool2d(f0, 2),
                               torch.nn.functional.avg_pool2d(f1, 2))
    with torch.no_grad():
        out = mixer(big)
        mixer.scan_stride = 1
        coarse = mixer(pooled)
    c0, c1 = split_frames(coarse)
    up = [torch.nn.functional.interpolate(v, scale_factor=2, mode='nearest')
          for v in (c0, c1)]
    torch.testing.assert_close(out, interleave_frames(*up))
    with pytest.raises(ValueError, match='col_order must be one of'):
        HybridVFIBackbone(col_order='diagonal')
    with pytest.raises(ValueError, match='scan_stride must be'):
        HybridVFIBackbone(window_size=8, scan_stride=3)


def test_channels_last_is_only_a_memory_order(monkeypatch):
    """The CNN parts run NHWC for speed; in float64 (no oneDNN) the frame
    equals the NCHW computation's to accumulation-order rounding."""
    from mmext.models.vfi import vfi_model
    model = _model(corr_radius=1, refine_scales=(2, )).double().eval()
    with torch.no_grad():
        for p in model.parameters():  # no zero-initialised (inert) layer
            p.add_(0.05 * torch.randn_like(p))
    g = torch.Generator().manual_seed(3)
    a, b = torch.rand(2, 1, 3, 32, 32, generator=g, dtype=torch.float64)
    with torch.no_grad():
        nhwc = model.interpolate(a, b, 0.3)
        monkeypatch.setattr(vfi_model, '_channels_last', lambda x: x)
        nchw = model.interpolate(a, b, 0.3)
    assert nhwc.is_contiguous()
    torch.testing.assert_close(nhwc, nchw, rtol=0, atol=1e-12)
    assert (nhwc - a).abs().max() > 1e-3


def test_pad_to_multiple():
    x = torch.arange(12.).view(1, 1, 3, 4)
    y, pad = pad_to_multiple(x, 4)
    assert y.shape == (1, 1, 4, 4) and pad == (0, 0, 0, 1)
    assert torch.equal(y[..., 3, :], x[..., 2, :])  # replicate


def test_losses():
    lap = LaplacianPyramidLoss(max_levels=3)
    x = torch.rand(2, 3, 24, 24)
    assert lap(x, x).item() == 0
    # the pyramid sums back to the image (up to the coarsest level)
    assert lap(x, x + 0.1).item() > 0
    with pytest.raises(ValueError, match='too small for 3 levels'):
        lap(x[..., :8, :8], x[..., :8, :8])
    census = CensusLoss()
    assert census(x, x).item() == 0
    # census ignores a global brightness offset, L1 would not (with a
    # 3x3 patch the zero-padded border is exactly the masked 1-pixel rim)
    assert CensusLoss(patch_size=3)(x * 0.5, x * 0.5 + 0.2).item() < 1e-6
    assert census(x, torch.rand(2, 3, 24, 24)).item() > 0.05
    vgg = VGGPerceptualLoss(random_init=True, layers=('relu1_2', 'relu2_2'),
                            loss_weight=0.5)
    assert vgg(x, x).item() == 0
    assert vgg(x, x.flip(-1)).item() > 0
    assert not any(p.requires_grad for p in vgg.parameters())
    missing = VGGPerceptualLoss(pretrained='/nope/vgg19.pth',
                                loss_weight=0.1, layers=('relu1_2', ))
    for call in (missing.init_weights, lambda: missing(x, x)):
        with pytest.raises(FileNotFoundError,
                           match="VGG19 ImageNet weights not found at "
                           "pretrained='/nope/vgg19.pth'"):
            call()
    # weights restored from a checkpoint need no file
    missing.load_state_dict(vgg.state_dict(), strict=False)
    assert missing.weights_ready
    VGGPerceptualLoss(pretrained=None, loss_weight=0)  # off: no file needed


def test_vgg_loads_local_weights(tmp_path):
    from mmext.models.vfi.losses import vgg19_features
    torch.manual_seed(0)
    ref = torch.nn.Module()
    ref.features = vgg19_features(3)  # torchvision's key names
    path = tmp_path / 'vgg19.pth'
    torch.save(ref.state_dict(), path)
    assert 'features.2.weight' in ref.state_dict()
    loss = VGGPerceptualLoss(pretrained=str(path), layers=('relu1_2', ))
    loss.init_weights()
    torch.testing.assert_close(loss.features[0].weight,
                               ref.features[0].weight)
