# Ablation of rgbpose-conv3d_hier-pcan_2xb8-50e_ma52.py: no prototypes (no
# calibration loss, no prototype term in the logits at inference).
_base_ = ['./rgbpose-conv3d_hier-pcan_2xb8-50e_ma52.py']
model = dict(cls_head=dict(prototype=None))
