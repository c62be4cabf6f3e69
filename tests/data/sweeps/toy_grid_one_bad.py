# A 4-point grid of the toy sweep tests in which one point cannot train:
# nn.Dropout refuses p = 1.5 when the model is built.
space = {
    'variant':
    dict(
        type='preset',
        choices=dict(
            h4={'model.hidden': 4},
            h8={'model.hidden': 8},
            h16={'model.hidden': 16},
            bad={'model.dropout': 1.5})),
}
