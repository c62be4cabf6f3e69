# Demo (tools/demos/gesture.sh): the full model at reduced width, trained on
# SYNTHETIC BEAT-format data (tools/misc/generate_gesture_demo.py) so that it
# trains on a 2-core CPU in a few minutes. Changes from the recipe
# (docs/gesture/training.md), for speed only: widths 32/64, lr 1e-3, windows
# every 10 frames (not 5), 12 epochs with the curriculum compressed to warm-up
# 2 / end 8 epochs and AMP from epoch 8 (20 epochs on windows every 5 frames
# took 27 minutes here, not the "few minutes" a demo should). AMP: bf16
# autocast on a CPU that computes bf16 natively; on one that would emulate it
# (0.13x the fp32 step rate on the 2-core AVX2 machine, docs/benchmarks.md),
# dtype='auto' keeps fp32 and the log says so. Numbers say nothing about real
# BEAT.
_base_ = ['./gesture-gan_gat-gcn-xattn_1xb32-100e_beat.py']
demo_root = 'data/gesture_demo/beat/'
model = dict(
    generator=dict(embed_dims=32, gat_heads=2, temporal_heads=2,
                   num_res_blocks=1),
    discriminator=dict(embed_dims=64))
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=1e-3)),
    discriminator=dict(optimizer=dict(lr=1e-3)))
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=demo_root, stride=10))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=demo_root))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=12, val_interval=6)
custom_hooks = [
    dict(type='EpochSeedHook'),
    dict(type='LossWeightCurriculumHook', initial=dict(detail=0.3, physics=0.5),
         final=dict(detail=1.0, physics=2.0), warmup_epochs=2,
         end_epoch=8),
    dict(type='GANBalanceHook', d_loss_key='loss_d_excess',
         g_loss_key='loss_g_adv_excess'),
    dict(type='AMPWarmupHook', warmup_epochs=8),
    dict(type='GANGuardHook', d_loss_key='loss_d_excess'),
    dict(type='GANLogHook', interval=5),
]
default_hooks = dict(logger=dict(interval=5))
# FGD in the latent space of the demo's autoencoder
# (motion-ae-tiny_1xb32-10e_beat-demo.py: hidden 64, latent 16); a width the
# checkpoint contradicts is an error, not a silent mismatch
val_evaluator = dict(fgd_autoencoder=dict(hidden_dims=64, latent_dims=16))
test_evaluator = val_evaluator
