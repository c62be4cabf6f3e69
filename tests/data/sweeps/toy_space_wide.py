# Toy sweep space wide enough to hold a diverging learning rate.
space = {
    'optim_wrapper.optimizer.lr': dict(type='loguniform', low=1e-3,
                                       high=1e4),
    'model.hidden': dict(type='categorical', choices=[8, 16]),
}
