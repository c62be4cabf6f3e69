# A seconds-long training run used by the resume / distributed tests.
_base_ = ['../../../configs/_base_/default_runtime.py']
custom_imports = dict(imports=['mmext.testing'], allow_failed_imports=False)

model = dict(type='ToyRegressor', dim=8, hidden=16, dropout=0.2)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ToyRegressionDataset', num_samples=32, noise=0.1,
                 delay=0.0))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ToyRegressionDataset', num_samples=16, noise=0.0,
                 seed=1))
test_dataloader = val_dataloader
val_evaluator = dict(type='ToyMSEMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=0.03,
                                    weight_decay=0.01))
param_scheduler = [dict(type='ExponentialLR', gamma=0.9, by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=6, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='toy/mse',
                    rule='less'))
