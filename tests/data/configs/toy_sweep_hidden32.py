# Ablation of toy_sweep.py for the result-table tests: a wider hidden layer.
_base_ = ['./toy_sweep.py']
model = dict(hidden=32)
