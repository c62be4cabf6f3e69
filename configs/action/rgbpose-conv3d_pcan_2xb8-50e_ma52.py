# RGBPoseConv3D + PCAN head (52 actions / 7 body-part groups, PCAN's head
# settings) on MA-52. The recipe of docs/action/models.md ("Configs"): 2 GPUs x
# 8 clips (total batch 16), SGD lr 0.001 held fixed, 50 epochs.
#   bash tools/dist_train.sh \
#       configs/action/rgbpose-conv3d_pcan_2xb8-50e_ma52.py 2
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/rgbpose_conv3d.py',
    '../_base_/datasets/ma52_rgbpose.py',
    '../_base_/schedules/action_sgd-1e-3_constant_50e.py'
]
default_scope = 'mmaction'
custom_imports = dict(
    imports=[
        'mmext.datasets.action', 'mmext.evaluation.action',
        'mmext.models.action'
    ],
    allow_failed_imports=False)

# MA-52 skeletons have 28 joints -> 28 heatmap channels
model = dict(
    backbone=dict(pose_pathway=dict(in_channels=28)),
    cls_head=dict(num_classes=52, hierarchy='ma52'))

train_dataloader = dict(batch_size=8)
default_hooks = dict(
    checkpoint=dict(save_best='action/fused_top1_fine', rule='greater'))
# lr 0.001 is for 2 GPUs x 8 clips; --auto-scale-lr rescales it
auto_scale_lr = dict(enable=False, base_batch_size=16)
