# Ablation of rgbpose-conv3d_pcan_2xb8-50e_ma52.py: RGB stream only -
# RGBPoseConv3D's RGB pathway without laterals (a ResNet3dSlowOnly-50);
# the heatmaps are unused.
_base_ = ['./rgbpose-conv3d_pcan_2xb8-50e_ma52.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='SingleStreamBackbone',
        stream='rgb',
        backbone=dict(
            type='ResNet3dSlowOnly',
            depth=50,
            base_channels=64,
            conv1_kernel=(1, 7, 7),
            inflate=(0, 0, 1, 1),
            with_pool2=False)),
    cls_head=dict(streams=('rgb', ), in_channels=(2048, )))
