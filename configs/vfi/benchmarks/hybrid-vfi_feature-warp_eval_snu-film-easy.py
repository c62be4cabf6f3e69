# SNU-FILM easy: no quantisation, the 3D SSIM, frames padded to the model
# multiple (32) and cropped back; flow at half resolution (as EMA-VFI).
# A phase-1 checkpoint: add --cfg-options model.feature_warp=False
_base_ = ['../hybrid-vfi_feature-warp_1xb8-200e-phase2_vimeo90k.py']
model = dict(test_cfg=dict(pad_multiple=32, flow_scale=0.5))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='SNUFILMDataset',
                 data_root='data/SNU-FILM', ann_file='test-easy.txt',
                 pipeline=[dict(type='LoadVFIFrames'),
                           dict(type='PackVFIInputs')]))
test_evaluator = dict(type='VFIMetric', quantize=False, ssim='3d')
