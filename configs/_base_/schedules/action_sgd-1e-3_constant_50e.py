# Action recognition, the training guide's MA-52 RGBPoseConv3D recipe
# (docs/action/models.md, Configs): SGD, lr 0.001 held fixed, 50 epochs
# (2 GPUs x 8 clips = batch 16).
# The lr is for the total batch in `auto_scale_lr.base_batch_size` (set by
# the leaf config; one meaning in every line, docs/convention.md);
# `tools/train.py --auto-scale-lr` rescales it.
# momentum 0.9, weight decay 1e-4 and clip_grad 40 are not in the guide's
# table; they are mmaction2's RGBPoseConv3D config
# (github.com/open-mmlab/mmaction2 at commit 4d6c934, configs/skeleton/posec3d/
# rgbpose_conv3d/rgbpose_conv3d.py:171-172: SGD momentum=0.9,
# weight_decay=0.0001, clip_grad max_norm=40).
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=50, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=50)
]
