# Ablation: the MambaGCN stream with Mamba2 (SSD) instead of Mamba.
_base_ = ['./mambagcn-b_243frm_1xb16-60e_h36m.py']
model = dict(
    backbone=dict(
        ssm_cfg=dict(_delete_=True, type='mamba2', d_state=64, expand=2,
                     headdim=32, directions=('forward', 'backward'))))
