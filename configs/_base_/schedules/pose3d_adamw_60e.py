# MotionAGFormer's recipe: AdamW lr 5e-4, weight decay 0.01, lr x0.99 every
# epoch, batch 16, 60 epochs (90 on MPI-INF-3DHP).
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
