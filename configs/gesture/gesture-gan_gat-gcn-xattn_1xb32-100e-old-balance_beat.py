# Ablation: the older balance policy of docs/gesture/training.md: skip D when
# D < 0.25 and G > 0.75, force a D step after 5 skips, G frequency +1, D lr
# x 0.9 (G lr unchanged: the specification gives one factor), labels
# 0.98 / 0.02. Thresholds are compared with the losses minus their floors
# under these labels, as in the strict policy, so both policies can fire and
# the ablation compares rules, not label floors (docs/gesture/training.md).
_base_ = ['./gesture-gan_gat-gcn-xattn_1xb32-100e_beat.py']
model = dict(adversarial=dict(real_label=0.98, fake_label=0.02))
custom_hooks = [
    dict(type='EpochSeedHook'),
    dict(type='LossWeightCurriculumHook', initial=dict(detail=0.3, physics=0.5),
         final=dict(detail=1.0, physics=2.0)),
    dict(type='GANBalanceHook', d_loss_key='loss_d_excess',
         g_loss_key='loss_g_adv_excess', skip_d_below=0.25, skip_g_above=0.75,
         max_skips=5, g_steps_inc=1, d_lr_factor=0.9, g_lr_factor=1.0),
    dict(type='AMPWarmupHook', warmup_epochs=10),
    dict(type='GANGuardHook', d_loss_key='loss_d_excess'),
    dict(type='GANLogHook'),
]
