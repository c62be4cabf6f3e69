# MotionAGFormer-S: 26 layers, dim 64, 81 frames (4.8M params).
_base_ = ['./motionagformer-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(arch='s'), head=dict(in_channels=64))
train_dataloader = dict(dataset=dict(seq_len=81))
val_dataloader = dict(dataset=dict(seq_len=81))
test_dataloader = val_dataloader
