# The specified schedule (docs/vfi/training.md): AdamW lr 2e-4, 2000-step
# linear warm-up, then cosine annealing (to 0.1 x lr, as EMA-VFI); validation
# every 3 epochs. Gradient accumulation: optim_wrapper.accumulative_counts (1 =
# off). The epoch count (300) is EMA-VFI's; the specification fixes none for
# phase 1.
max_epochs = 300
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.999),
                   weight_decay=1e-4),
    accumulative_counts=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=2000),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min_ratio=0.1, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=3)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(enable=False, base_batch_size=8)
