# CPU demo: a tiny two-stream X3D-TSM (gamma_w=0.34, gamma_b=1, gamma_d=1:
# RGB 8-64 channels, 3-stage pose 8-32 channels) + PCAN head on the
# SYNTHETIC
# NTU60-format demo data (RGB 8 x 64 px, 17 heatmaps 32 x 16 px; 8 of the 60
# classes are present).
#   python tools/misc/generate_action_demo.py --dataset ntu60 \
#       --out-dir data/ntu60_demo
#   python tools/train.py \
#       configs/action/x3d-tsm-tiny_pcan_1xb4-8e_ntu60-demo.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/x3d_tsm_two_stream.py',
    '../_base_/datasets/ntu60_rgbpose_demo.py'
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
        rgb_pathway=dict(gamma_w=0.34, gamma_b=1.0, gamma_d=1.0),
        pose_pathway=dict(gamma_w=0.34, gamma_b=1.0, gamma_d=1.0)),
    cls_head=dict(
        num_classes=60, hierarchy='ntu60', in_channels=(64, 32),
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
