# Full model: attention + graph + MambaGCN streams, 3-way adaptive fusion.
_base_ = ['./mambagcn-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(branches='full'))
