# Ablation: a causal (forward-only) temporal scan instead of bidirectional.
_base_ = ['./mambagcn-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(ssm_cfg=dict(directions=('forward', ))))
