# TEST ONLY: a tiny top-down heatmap 2D pose model (CSPNeXt at 1/8 width,
# 64x48 input) with the COCO-17 keypoints, for CPU tests with random
# weights.
default_scope = 'mmpose'
codec = dict(
    type='MSRAHeatmap', input_size=(48, 64), heatmap_size=(12, 16), sigma=2)
num_keypoints = 17
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='CSPNeXt',
        arch='P5',
        expand_ratio=0.5,
        deepen_factor=0.167,
        widen_factor=0.125,
        out_indices=(2, ),
        channel_attention=True,
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='SiLU')),
    head=dict(
        type='HeatmapHead',
        in_channels=32,
        out_channels=num_keypoints,
        deconv_out_channels=(16, ),
        deconv_kernel_sizes=(4, ),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=False))
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    dataset=dict(
        type='CocoDataset', data_mode='topdown', pipeline=test_pipeline))
test_dataloader = train_dataloader
