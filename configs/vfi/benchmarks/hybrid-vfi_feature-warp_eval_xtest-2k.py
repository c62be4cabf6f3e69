# X-TEST 2K: x8 between frames 0 and 32 of each scene (t = k/8), reached
# recursively; frames resized to 2048x1080 in float (as XVFI / EMA-VFI),
# 8-bit prediction, the 3D SSIM; flow at half resolution.
# A phase-1 checkpoint: add --cfg-options model.feature_warp=False
_base_ = ['../hybrid-vfi_feature-warp_1xb8-100e-phase3_x4k-vimeo90k.py']
model = dict(test_cfg=dict(multi='recursive', flow_scale=0.5))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='XTestDataset',
                 data_root='data/X4K1000FPS/test',
                 pipeline=[dict(type='LoadVFIFrames'),
                           dict(type='VFIResize', size=(2048, 1080),
                                interpolation='area', to_float=True),
                           dict(type='PackVFIInputs')]))
test_evaluator = dict(type='VFIMetric', quantize=True, ssim='3d')
