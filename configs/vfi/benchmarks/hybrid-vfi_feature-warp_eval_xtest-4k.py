# X-TEST 4K (4096x2160): recursive x8, 8-bit prediction, the 3D SSIM;
# flow at quarter resolution.
_base_ = ['./hybrid-vfi_feature-warp_eval_xtest-2k.py']
model = dict(test_cfg=dict(flow_scale=0.25))
test_dataloader = dict(
    dataset=dict(pipeline=[dict(type='LoadVFIFrames'),
                           dict(type='PackVFIInputs')]))
