# The full model (docs/gesture/README.md) on BEAT (15 fps, 75 joints incl.
# fingers), with curriculum, GAN balance and AMP after a 10-epoch warm-up.
_base_ = [
    '../_base_/models/gesture_gan.py',
    '../_base_/datasets/gesture_beat.py',
    '../_base_/schedules/gesture_gan_adam_100e.py'
]
default_hooks = dict(checkpoint=dict(save_best=None), logger=dict(interval=50))
