# Switch: add this file to a config's `_base_` (after default_runtime.py) to
# also log to Weights & Biases (`pip install wandb`; `wandb login` first).
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
    dict(type='WandbVisBackend', init_kwargs=dict(project='mmext')),
]
visualizer = dict(vis_backends=vis_backends)
