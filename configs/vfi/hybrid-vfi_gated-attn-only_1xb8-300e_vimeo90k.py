# Ablation: gated (shifted-)window attention in every block.
_base_ = ['./hybrid-vfi_1xb8-300e_vimeo90k.py']
model = dict(backbone=dict(mode='gated_attn_only'))
