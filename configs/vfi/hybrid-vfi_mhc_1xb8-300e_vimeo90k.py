# Ablation: manifold-constrained hyper-connections (4 streams) instead of
# plain residuals.
_base_ = ['./hybrid-vfi_1xb8-300e_vimeo90k.py']
model = dict(backbone=dict(use_mhc=True, num_streams=4))
