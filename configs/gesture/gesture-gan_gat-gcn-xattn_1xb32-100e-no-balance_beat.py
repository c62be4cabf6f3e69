# Ablation: no GAN balance policy (no D skips, fixed G 4 / D 1 steps and
# learning rates).
_base_ = ['./gesture-gan_gat-gcn-xattn_1xb32-100e_beat.py']
custom_hooks = [
    dict(type='EpochSeedHook'),
    dict(type='LossWeightCurriculumHook', initial=dict(detail=0.3, physics=0.5),
         final=dict(detail=1.0, physics=2.0)),
    dict(type='AMPWarmupHook', warmup_epochs=10),
    dict(type='GANGuardHook', d_loss_key='loss_d_excess'),
    dict(type='GANLogHook'),
]
