# The sweep demo's space (bash tools/run_demo.sh sweep): learning rate and
# stream variant of the demo MotionAGFormer on the synthetic H36M data.
space = {
    'optim_wrapper.optimizer.lr':
    dict(type='loguniform', low=1e-3, high=6e-3),
    'model.backbone.branches':
    dict(type='categorical', choices=['baseline', 'mamba_gcn']),
}
