# Middlebury "other" set: interpolation error (IE) of the 8-bit-rounded
# prediction; PSNR reported beside it.
# A phase-1 checkpoint: add --cfg-options model.feature_warp=False
_base_ = ['../hybrid-vfi_feature-warp_1xb8-200e-phase2_vimeo90k.py']
model = dict(test_cfg=dict(pad_multiple=32))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='MiddleburyOtherDataset',
                 data_root='data/middlebury',
                 pipeline=[dict(type='LoadVFIFrames'),
                           dict(type='PackVFIInputs')]))
test_evaluator = dict(type='VFIMetric', quantize=True, ssim='none', ie=True)
