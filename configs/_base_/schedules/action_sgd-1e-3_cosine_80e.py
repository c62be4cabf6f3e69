# Action recognition, the training guide's NTU60 RGBPoseConv3D recipe
# (docs/action/models.md, Configs): SGD, lr 0.001, cosine annealing (per
# iteration) to 0 over 80 epochs (2 GPUs x 12 clips = batch 24).
# momentum 0.9, weight decay 1e-4 and clip_grad 40 are not in the guide's
# table; they are mmaction2's RGBPoseConv3D config
# (github.com/open-mmlab/mmaction2 at commit 4d6c934, configs/skeleton/posec3d/
# rgbpose_conv3d/rgbpose_conv3d.py:171-172: SGD momentum=0.9,
# weight_decay=0.0001, clip_grad max_norm=40).
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=80, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=80,
        eta_min=0,
        by_epoch=True,
        begin=0,
        end=80,
        convert_to_iter_based=True)
]
