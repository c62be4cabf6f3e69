# Ablation of rgbpose-conv3d_pcan_2xb8-50e_ma52.py: no prototypes - no
# prototype losses (fine / coarse contrast, diversity) and no rectification
# at inference; what remains is CE fine + CE coarse + HRN's tree loss.
_base_ = ['./rgbpose-conv3d_pcan_2xb8-50e_ma52.py']
model = dict(
    cls_head=dict(
        loss_weights=dict(proto_fine=0.0, proto_coarse=0.0),
        with_diversity=False,
        rectify_weights=dict(rgb=0.0, pose=0.0)))
