# Ablation: window attention without the sigmoid output gate.
_base_ = ['./hybrid-vfi_1xb8-300e_vimeo90k.py']
model = dict(backbone=dict(gate='none'))
