# Two-stream X3D with a 3D temporal shift (1/8 + 1/8 of the channels) at the
# start of every residual branch (mmext X3DTSM), no lateral connections.
# RGB pathway: X3D-M widths/depths (gamma_w=1, gamma_b=2.25, gamma_d=2.2),
#   4 stages (24-48-96-192 channels), conv5 -> 432 channels.
# Pose pathway: a 3-stage X3D-M pathway (24-48-96 channels, conv5 -> 216
#   channels, the users' 216-channel pose stream) on the keypoint heatmaps.
#   Like RGBPoseConv3D's pose pathway it drops the last stage because the
#   heatmaps are 4x smaller than the RGB frames; its first stage keeps the
#   resolution, so both streams end at 1/32 of the RGB size.
# Features: (N, 432, T, H/32, W/32) and (N, 216, 4T, H/32, W/32).
model = dict(
    type='MMRecognizer3D',
    backbone=dict(
        type='TwoStreamBackbone',
        rgb_pathway=dict(
            type='X3DTSM',
            gamma_w=1.0,
            gamma_b=2.25,
            gamma_d=2.2,
            in_channels=3,
            shift_div=8),
        pose_pathway=dict(
            type='X3DTSM',
            gamma_w=1.0,
            gamma_b=2.25,
            gamma_d=2.2,
            in_channels=17,
            num_stages=3,
            spatial_strides=(1, 2, 2),
            shift_div=8)),
    cls_head=dict(
        type='HierarchicalRGBPoseHead',
        num_classes=60,
        hierarchy='ntu60',
        in_channels=(432, 216),
        streams=('rgb', 'pose'),
        with_coarse_head=True,
        loss_cls=dict(type='CrossEntropyLoss'),
        loss_weights=dict(fine=1.0, coarse=0.5, tree=0.5, proto=0.5),
        prototype=dict(
            momentum=0.9, temperature=0.1, margin=0.0, logit_weight=0.5),
        dropout=0.5),
    data_preprocessor=dict(
        type='MultiModalDataPreprocessor',
        preprocessors=dict(
            imgs=dict(
                type='ActionDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                format_shape='NCTHW'),
            heatmap_imgs=dict(type='ActionDataPreprocessor'))))
