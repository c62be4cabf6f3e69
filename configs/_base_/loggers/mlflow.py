# Switch: add this file to a config's `_base_` (after default_runtime.py) to
# also log to MLflow (`pip install mlflow`; set MLFLOW_TRACKING_URI).
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
    dict(type='MLflowVisBackend', exp_name='mmext'),
]
visualizer = dict(vis_backends=vis_backends)
