# MotionAGFormer's MPI-INF-3DHP recipe (github.com/TaatiTeam/MotionAGFormer
# at commit 4756fd1): train_3dhp.py:199-203 builds
# torch.optim.Adam(lr=args.learning_rate, amsgrad=True), with no weight
# decay (Adam's default 0; the YAML's weight_decay: 0.01 is read only by the
# H36M train.py:266-268); lr 5e-4, batch 16, lr x0.99 after every epoch
# (lr_decay, train_3dhp.py:284 -> utils/learning.py:112-116), 90 epochs
# (configs/mpi/MotionAGFormer-base.yaml:2-6, the same in the xsmall, small
# and large YAMLs). mmengine's ExponentialLR (by epoch) gives epoch e the
# lr 5e-4 x 0.99^e, as upstream.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=5e-4, weight_decay=0., amsgrad=True))
param_scheduler = [dict(type='ExponentialLR', gamma=0.99, by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=90, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# --auto-scale-lr scales lr by (GPUs x batch) / 16
auto_scale_lr = dict(enable=False, base_batch_size=16)
