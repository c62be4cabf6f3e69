# RGBPoseConv3D + PCAN head (60 actions / 8 mmext groups; PCAN's settings) on
# NTU RGB+D 60 (cross-subject). The recipe of docs/action/models.md
# ("Configs"): 2 GPUs x 12 clips (total batch 24), SGD lr 0.001 with cosine
# annealing, 80 epochs.
#   bash tools/dist_train.sh \
#       configs/action/rgbpose-conv3d_pcan_2xb12-80e_ntu60-xsub.py 2
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/rgbpose_conv3d.py',
    '../_base_/datasets/ntu60_rgbpose.py',
    '../_base_/schedules/action_sgd-1e-3_cosine_80e.py'
]
default_scope = 'mmaction'
custom_imports = dict(
    imports=[
        'mmext.datasets.action', 'mmext.evaluation.action',
        'mmext.models.action'
    ],
    allow_failed_imports=False)

model = dict(cls_head=dict(num_classes=60, hierarchy='ntu60'))

train_dataloader = dict(batch_size=12)
default_hooks = dict(
    checkpoint=dict(save_best='action/fused_top1_fine', rule='greater'))
auto_scale_lr = dict(enable=False, base_batch_size=24)
