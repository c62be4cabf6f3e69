# MotionAGFormer-XS: 12 layers, dim 64, 27 frames (2.2M params).
_base_ = ['./motionagformer-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(arch='xs'), head=dict(in_channels=64))
train_dataloader = dict(dataset=dict(seq_len=27))
val_dataloader = dict(dataset=dict(seq_len=27))
test_dataloader = val_dataloader
