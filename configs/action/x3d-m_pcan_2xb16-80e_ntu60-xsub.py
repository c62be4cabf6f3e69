# Ablation of x3d-tsm-m_pcan_2xb16-80e_ntu60-xsub.py: no temporal
# shift (plain X3D blocks in both pathways, same parameters).
_base_ = ['./x3d-tsm-m_pcan_2xb16-80e_ntu60-xsub.py']
model = dict(
    backbone=dict(
        rgb_pathway=dict(shift_div=0), pose_pathway=dict(shift_div=0)))
