# MotionAGFormer-B on Human3.6M (MotionBERT preprocessed 2D detections).
# Published: 38.4 mm MPJPE (detected 2D), 11.7M params, 48.3 GMACs.
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/motionagformer.py',
    '../../_base_/datasets/h36m_motionbert.py',
    '../../_base_/schedules/pose3d_adamw_60e.py'
]
default_scope = 'mmpose'

model = dict(
    backbone=dict(arch='b'), head=dict(in_channels=128))

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(save_best='MPJPE', rule='less', max_keep_ckpts=2))
