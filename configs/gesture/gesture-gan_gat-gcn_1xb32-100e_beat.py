# Ablation: no body<->hand cross-attention.
_base_ = ['./gesture-gan_gat-gcn-xattn_1xb32-100e_beat.py']
model = dict(generator=dict(use_cross_attention=False))
