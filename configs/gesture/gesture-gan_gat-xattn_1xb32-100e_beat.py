# Ablation (graph variant): 5 graph-attention layers, no graph convolution.
_base_ = ['./gesture-gan_gat-gcn-xattn_1xb32-100e_beat.py']
model = dict(generator=dict(graph_layers=('gat', ) * 5))
