# The toy regression run, shortened for sweep / multi-seed / table tests:
# 3 epochs, local JSON logging only (no TensorBoard start-up cost).
_base_ = ['./toy_regression.py']
train_cfg = dict(max_epochs=3)
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
