# Ablation of rgbpose-conv3d_pcan_2xb8-50e_ma52.py: pose stream only -
# RGBPoseConv3D's pose pathway without laterals (= PoseC3D's
# ResNet3dSlowOnly) on the keypoint heatmaps; the RGB frames are unused.
_base_ = ['./rgbpose-conv3d_pcan_2xb8-50e_ma52.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='SingleStreamBackbone',
        stream='pose',
        backbone=dict(
            type='ResNet3dSlowOnly',
            in_channels=28,  # MA-52: 28 joints
            base_channels=32,
            num_stages=3,
            out_indices=(2, ),
            stage_blocks=(4, 6, 3),
            conv1_stride_s=1,
            pool1_stride_s=1,
            inflate=(0, 1, 1),
            spatial_strides=(2, 2, 2),
            temporal_strides=(1, 1, 1),
            dilations=(1, 1, 1))),
    cls_head=dict(streams=('pose', ), in_channels=(512, )))
