# Ablation: Mamba2 (multi-directional scans) in every block.
_base_ = ['./hybrid-vfi_1xb8-300e_vimeo90k.py']
model = dict(backbone=dict(mode='mamba2_only'))
