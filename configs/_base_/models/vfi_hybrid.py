# The hybrid VFI model (phase 1; docs/vfi/models.md). Flag -> key map:
# docs/vfi/training.md, "The specification's flags as config keys"
model = dict(
    type='VFIModel',
    embed_dims=64,
    flow_dims=96,
    refine_dims=32,
    feature_warp=False,  # phase 2 turns it on
    backbone=dict(
        type='HybridVFIBackbone',
        embed_dims=64,
        depth=8,
        mode='hybrid',  # 'hybrid' | 'mamba2_only' | 'gated_attn_only'
        num_heads=4,
        window_size=8,
        gate='elementwise',
        directions=('row', 'row_reverse', 'col', 'col_reverse'),
        # column scans alternate the two frames too (as VFIMamba's
        # interleaved scans); the Mamba2 mixers scan each frame's map
        # pooled 2x (4x fewer tokens, output upsampled): with it the default
        # mode is no slower than EMA-VFI-small on the CPU
        # (docs/benchmarks.md; 1 = every 1/4-resolution token)
        col_order='interleaved',
        scan_stride=2,
        # chunk_size only blocks the computation (same outputs to rounding);
        # 32 is the fastest of 16/32/64 for the pure-PyTorch SSD on the CPU
        # (docs/benchmarks.md); checkpoints of either load unchanged
        ssm_cfg=dict(d_state=32, headdim=32, expand=2, chunk_size=32),
        mlp_ratio=2.0,
        use_mhc=False,
        num_streams=4,
        mhc_cfg=dict(alpha_init=0.01, sinkhorn_iters=20)),
    losses=[
        dict(type='LaplacianPyramidLoss', max_levels=5, loss_weight=1.0),
        dict(type='CensusLoss', patch_size=7, loss_weight=1.0),
    ],
    data_preprocessor=dict(type='VFIDataPreprocessor'),
    test_cfg=dict(pad_multiple=None, flow_scale=1.0, multi='direct'))
