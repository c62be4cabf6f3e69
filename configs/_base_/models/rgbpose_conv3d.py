# RGBPoseConv3D (mmaction2's two-stream RGB + pose-heatmap backbone, Duan et
# al., "Revisiting Skeleton-based Action Recognition", CVPR 2022) with mmext's
# hierarchical head (fine + coarse classifiers, tree consistency, PCAN-style
# prototypes). Inputs: imgs (N, 3, T, H, W) and heatmap_imgs
# (N, 17, 4T, H/4, W/4). Leaf configs set num_classes and hierarchy.
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
        type='HierarchicalRGBPoseHead',
        num_classes=60,
        hierarchy='ntu60',
        in_channels=(2048, 512),
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
