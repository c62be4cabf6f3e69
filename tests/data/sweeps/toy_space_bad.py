# A toy sweep space in which every point fails (nn.Dropout refuses p > 1):
# the worker must stop after --max-failures trials.
space = {
    'model.dropout': dict(type='uniform', low=1.5, high=2.0),
}
