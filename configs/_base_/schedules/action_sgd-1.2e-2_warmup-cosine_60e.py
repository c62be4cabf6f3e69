# Action recognition, NTU60 X3D-TSM recipe: SGD, linear warm-up from
# 0.01 x lr over 5 epochs, then cosine annealing from lr 0.012 to 1e-6 over
# the remaining 55 epochs (both per iteration).
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=60, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.012, momentum=0.9, weight_decay=0.0005),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=55,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=60,
        convert_to_iter_based=True)
]
