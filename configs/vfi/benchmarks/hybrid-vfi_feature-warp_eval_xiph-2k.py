# Xiph 2K: the 4K frames resized to 2048x1080 (area), 8-bit prediction,
# skimage's 2D SSIM; flow at half resolution.
# A phase-1 checkpoint: add --cfg-options model.feature_warp=False
_base_ = ['../hybrid-vfi_feature-warp_1xb8-200e-phase2_vimeo90k.py']
model = dict(test_cfg=dict(flow_scale=0.5))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='XiphDataset', data_root='data/xiph',
                 pipeline=[dict(type='LoadVFIFrames'),
                           dict(type='VFIResize', size=(2048, 1080),
                                interpolation='area'),
                           dict(type='PackVFIInputs')]))
test_evaluator = dict(type='VFIMetric', quantize=True, ssim='2d')
