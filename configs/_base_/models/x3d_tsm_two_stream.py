# Two-stream X3D with a 3D temporal shift (1/8 + 1/8 of the channels) at the
# start of every residual branch (mmext X3DTSM), no lateral connections.
# RGB pathway: X3D-M widths/depths (gamma_w=1, gamma_b=2.25, gamma_d=2.2),
#   4 stages (24-48-96-192 channels), conv5 -> 432 channels.
# Pose pathway: a 3-stage X3D-M pathway (24-48-96 channels, conv5 -> 216
#   channels, the specified 216-channel pose stream, docs/action/models.md)
#   on the keypoint heatmaps.
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
        type='PCANHead',
        num_classes=60,
        hierarchy='ntu60',
        in_channels=(432, 216),
        streams=('rgb', 'pose'),
        loss_cls=dict(type='CrossEntropyLoss'),
        # PCAN's settings (official code, commit 873788a): CE fine 1, CE
        # coarse 1, HRN tree 1, prototype losses 1/5 (fine with diversity,
        # coarse); prototype spaces 256-d / 128-d; temperature and FN/FP
        # modulation 0.125; memory momentum 0.9; FN logit factors 1, 0.1,
        # 0.5; inference rectification 5 cos (RGB), 1 cos (pose)
        loss_weights=dict(
            fine=1.0, coarse=1.0, tree=1.0, proto_fine=0.2,
            proto_coarse=0.2),
        proto_channels=(256, 128),
        temperature=0.125,
        alpha=0.125,
        momentum=0.9,
        fn_factors=(1.0, 0.1, 0.5),
        rectify_weights=dict(rgb=5.0, pose=1.0),
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
