# Demo FGD autoencoder on the SYNTHETIC BEAT-format demo data (see
# gesture-gan-tiny_1xb16-12e_beat-demo.py); the demo passes its best
# checkpoint to GestureMetric as fgd_checkpoint.
_base_ = ['./motion-ae_1xb64-50e_beat.py']
demo_root = 'data/gesture_demo/beat/'
model = dict(hidden_dims=64, latent_dims=16)
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=demo_root, stride=5))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=demo_root))
test_dataloader = val_dataloader
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, by_epoch=True)]
train_cfg = dict(max_epochs=10, val_interval=5)
default_hooks = dict(logger=dict(interval=10))
