# The FGD autoencoder (docs/gesture/evaluation.md) and its schedule: Adam
# 1e-3, cosine, 50 epochs, best checkpoint by reconstruction error.
custom_imports = dict(
    imports=['mmext.models.gesture', 'mmext.datasets.gesture',
             'mmext.evaluation.gesture'],
    allow_failed_imports=False)
model = dict(
    type='MotionAutoencoder',
    num_joints=75,
    hidden_dims=128,
    latent_dims=32,
    num_layers=2)
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=50, by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
val_cfg = dict()
test_cfg = dict()
