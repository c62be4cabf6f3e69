# Ablation: no curriculum; detail and physics at their final weights
# (1.0 / 2.0) from the start.
_base_ = ['./gesture-gan_gat-gcn-xattn_1xb32-100e_beat.py']
model = dict(loss_weights=dict(detail=1.0, physics=2.0))
custom_hooks = [
    dict(type='EpochSeedHook'),
    dict(type='GANBalanceHook', d_loss_key='loss_d_excess',
         g_loss_key='loss_g_adv_excess'),
    dict(type='AMPWarmupHook', warmup_epochs=10),
    dict(type='GANGuardHook', d_loss_key='loss_d_excess'),
    dict(type='GANLogHook'),
]
