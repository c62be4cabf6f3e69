# The full model (docs/gesture/README.md) on BEAT2 (SMPL-X joints at 30 fps, 55
# joints).
_base_ = [
    '../_base_/models/gesture_gan.py',
    '../_base_/datasets/gesture_beat2.py',
    '../_base_/schedules/gesture_gan_adam_100e.py'
]
model = dict(skeleton='smplx')
default_hooks = dict(checkpoint=dict(save_best=None), logger=dict(interval=50))
