# MotionAGFormer's Human3.6M recipe (github.com/TaatiTeam/MotionAGFormer at
# commit 4756fd1): AdamW (train.py:266-268) with lr 5e-4, weight decay
# 0.01, batch 16, lr x0.99 after every epoch, 60 epochs
# (configs/h36m/MotionAGFormer-base.yaml:2-6; the decay is
# utils/learning.py:112-116, called once per epoch at train.py:358).
# MPI-INF-3DHP uses another optimizer upstream: pose3d_adam-amsgrad_90e.py.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.01))
param_scheduler = [dict(type='ExponentialLR', gamma=0.99, by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# base_batch_size: the total batch the lr is set for (docs/convention.md);
# --auto-scale-lr scales lr by (GPUs x batch) / 16
auto_scale_lr = dict(enable=False, base_batch_size=16)
