# MambaGCN: the MotionAGFormer-B recipe with the attention stream replaced by
# a MambaGCN stream (spatial GCN over the 17-joint skeleton + bidirectional
# Mamba along time), fused with the graph stream by adaptive fusion.
_base_ = ['../motionagformer/motionagformer-b_243frm_1xb16-60e_h36m.py']
# drop_rate (the streams' MLP / projection dropout, the graph stream's
# included) and use_adaptive_fusion (learned stream weights, else the mean)
# are the model's defaults, written out as the keys
# sweeps/pose3d_mambagcn.py searches.
model = dict(
    backbone=dict(
        branches='mamba_gcn',
        drop_rate=0.,
        use_adaptive_fusion=True,
        ssm_cfg=dict(
            type='mamba', d_state=16, expand=2,
            directions=('forward', 'backward'))))
