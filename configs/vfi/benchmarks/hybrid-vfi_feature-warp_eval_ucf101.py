# UCF101 (DVF's 379 triplets, 256x256): predictions quantised to 8 bits
# before PSNR and the 3D SSIM, as the benchmark script does.
# A phase-1 checkpoint: add --cfg-options model.feature_warp=False
_base_ = ['../hybrid-vfi_feature-warp_1xb8-200e-phase2_vimeo90k.py']
test_dataloader = dict(
    dataset=dict(_delete_=True, type='UCF101TripletDataset',
                 data_root='data/ucf101_interp',
                 pipeline=[dict(type='LoadVFIFrames'),
                           dict(type='PackVFIInputs')]))
test_evaluator = dict(type='VFIMetric', quantize=True, ssim='3d')
