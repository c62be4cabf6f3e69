# RGBPoseConv3D (mmaction2's two-stream RGB + pose-heatmap backbone, Duan et
# al., "Revisiting Skeleton-based Action Recognition", CVPR 2022) with mmext's
# PCANHead (PCAN, AAAI 2025, as in its official code). Inputs: imgs
# (N, 3, T, H, W) and heatmap_imgs (N, 17, 4T, H/4, W/4). Leaf configs set
# num_classes and hierarchy.
model = dict(
    type='MMRecognizer3D',
    backbone=dict(
        type='RGBPoseConv3D',
        speed_ratio=4,
        channel_ratio=4,
        rgb_pathway=dict(
            num_stages=4,
            lateral=True,
            lateral_infl=1,
            lateral_activate=(0, 0, 1, 1),
            fusion_kernel=7,
            base_channels=64,
            conv1_kernel=(1, 7, 7),
            inflate=(0, 0, 1, 1),
            with_pool2=False),
        pose_pathway=dict(
            num_stages=3,
            stage_blocks=(4, 6, 3),
            lateral=True,
            lateral_inv=True,
            lateral_infl=16,
            lateral_activate=(0, 1, 1),
            fusion_kernel=7,
            in_channels=17,
            base_channels=32,
            out_indices=(2, ),
            conv1_kernel=(1, 7, 7),
            conv1_stride_s=1,
            conv1_stride_t=1,
            pool1_stride_s=1,
            pool1_stride_t=1,
            inflate=(0, 1, 1),
            spatial_strides=(2, 2, 2),
            temporal_strides=(1, 1, 1),
            dilations=(1, 1, 1),
            with_pool2=False)),
    cls_head=dict(
        type='PCANHead',
        num_classes=60,
        hierarchy='ntu60',
        in_channels=(2048, 512),
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
