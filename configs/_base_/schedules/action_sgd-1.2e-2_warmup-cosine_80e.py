# Action recognition, the NTU60 X3D-TSM recipe of docs/action/models.md
# ("Configs"): SGD, lr 0.012 -> 1e-6
# with cosine annealing after a linear warm-up, weight decay 0.0002,
# clip_grad 40, 80 epochs; the leaf configs add the early stopping with
# patience 15 (mmengine's EarlyStoppingHook on their validation metric).
# Deviation: the recipe does not give the warm-up length or its start
# factor; we use 5 epochs from 0.01 x lr (per iteration). momentum 0.9 is
# mmaction2's default for X3D.
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=80, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.012, momentum=0.9, weight_decay=0.0002),
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
        T_max=75,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=80,
        convert_to_iter_based=True)
]
