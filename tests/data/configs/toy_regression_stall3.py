# toy_regression.py that blocks after epoch 3's checkpoint until killed
# (the resume tests kill it there: a deterministic kill point).
_base_ = ['./toy_regression.py']
custom_hooks = [
    dict(type='mmext.EpochSeedHook'),
    dict(type='StallAfterEpochHook', epoch=3),
]
