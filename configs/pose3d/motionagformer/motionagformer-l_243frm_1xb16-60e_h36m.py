# MotionAGFormer-L: 26 layers, dim 128, 243 frames (19.0M params).
_base_ = ['./motionagformer-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(arch='l'))
