# MotionAGFormer-B on MPI-INF-3DHP (ground-truth 2D, P-STMO/MotionAGFormer
# preprocessed data_{train,test}_3dhp.npz): 81 frames, training clips every
# 9 frames, 90 epochs, upstream's 3DHP optimizer (Adam with amsgrad, no
# weight decay, lr 5e-4 x 0.99 per epoch: _base_/schedules/
# pose3d_adam-amsgrad_90e.py cites train_3dhp.py); the AdamW variant is
# motionagformer-b_81frm_1xb16-90e-adamw_mpi-inf-3dhp.py. Evaluated with the
# official centre-frame protocol
# (configs/_base_/datasets/mpi_inf_3dhp.py). Joints in H36M order: official
# MotionAGFormer 3DHP weights (3DHP order) are refused at load by
# JointOrderCheckHook; evaluate them with ..._mpi-inf-3dhp-order.py.
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/motionagformer.py',
    '../../_base_/datasets/mpi_inf_3dhp.py',
    '../../_base_/schedules/pose3d_adam-amsgrad_90e.py'
]
default_scope = 'mmpose'

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            num_layers=16,
            embed_dims=128,
            num_frames=81,
            num_heads=8,
            mlp_ratio=4.,
            neighbour_num=2)),
    head=dict(in_channels=128))

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(save_best='MPJPE', rule='less', max_keep_ckpts=2),
    # records the data's joint order in checkpoints, refuses other orders
    joint_order=dict(type='mmext.JointOrderCheckHook'))
