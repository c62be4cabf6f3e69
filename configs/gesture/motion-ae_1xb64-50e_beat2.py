# The FGD autoencoder for BEAT2 (55 SMPL-X joints, 30 fps): trained on the
# train split's windows; its best checkpoint is GestureMetric's fgd_checkpoint.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/motion_ae.py',
    '../_base_/datasets/gesture_beat2.py'
]
model = dict(num_joints=55)
train_dataloader = dict(batch_size=64)
val_evaluator = dict(_delete_=True, type='MotionAEMetric')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='motion_ae/mpjpe', rule='less'))
