# The "further tuning" of x3d-tsm-m_pcan_2xb16-80e_ntu60-xsub.py
# (docs/action/models.md, "Configs"): lr 0.004 -> 5e-5 (cosine after the same
# 5-epoch linear warm-up), 70 epochs, weight decay 0.0004, clip_grad 30, early
# stopping with patience 8. Batch 2 GPUs x 16 as in the parent.
_base_ = ['./x3d-tsm-m_pcan_2xb16-80e_ntu60-xsub.py']

train_cfg = dict(max_epochs=70)
optim_wrapper = dict(
    optimizer=dict(lr=0.004, weight_decay=0.0004),
    clip_grad=dict(max_norm=30, norm_type=2))
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
        T_max=65,
        eta_min=5e-5,
        by_epoch=True,
        begin=5,
        end=70,
        convert_to_iter_based=True)
]
# lists replace on inheritance: the whole list again, patience 8, with the
# schedule's min_delta (top-1 fraction units; mmengine's default 0.1 would
# mean +10 points)
custom_hooks = [
    dict(type='mmext.EpochSeedHook'),
    dict(
        type='EarlyStoppingHook',
        monitor='action/fused_top1_fine',
        rule='greater',
        min_delta={{_base_.early_stopping_min_delta}},
        strict=True,
        patience=8)
]
