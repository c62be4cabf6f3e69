# Search space of the toy sweep tests.
space = {
    'optim_wrapper.optimizer.lr': dict(type='loguniform', low=1e-3,
                                       high=1e-1),
    'model.hidden': dict(type='categorical', choices=[8, 16]),
}
