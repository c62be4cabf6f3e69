# CPU demo: a tiny RGBPoseConv3D (same layout, 1 block per stage, 1/4 width)
# + PCAN head on the SYNTHETIC MA-52-format demo data
# (RGB 8 x 64 px, 28 heatmaps 32 x 16 px; 8 of the 52 classes are present).
#   python tools/misc/generate_action_demo.py --dataset ma52 \
#       --out-dir data/ma52_demo
#   python tools/train.py \
#       configs/action/rgbpose-conv3d-tiny_pcan_1xb4-8e_ma52-demo.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/rgbpose_conv3d.py',
    '../_base_/datasets/ma52_rgbpose_demo.py'
]
default_scope = 'mmaction'
custom_imports = dict(
    imports=[
        'mmext.datasets.action', 'mmext.evaluation.action',
        'mmext.models.action'
    ],
    allow_failed_imports=False)

model = dict(
    backbone=dict(
        rgb_pathway=dict(stage_blocks=(1, 1, 1, 1), base_channels=16),
        pose_pathway=dict(
            stage_blocks=(1, 1, 1), base_channels=8, in_channels=28)),
    cls_head=dict(
        num_classes=52, hierarchy='ma52', in_channels=(512, 128),
        dropout=0.2))

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=8, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=0.002, weight_decay=0.01),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, eta_min=1e-5, by_epoch=True,
         convert_to_iter_based=True)
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(save_best='action/fused_top1_fine', rule='greater'))
auto_scale_lr = dict(enable=False, base_batch_size=4)
