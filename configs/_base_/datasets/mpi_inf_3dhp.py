# MPI-INF-3DHP in P-STMO / MotionAGFormer's npz files
# (``data_train_3dhp.npz``, ``data_test_3dhp.npz``), joints re-ordered to
# Human3.6M's 17-joint order by ``MPIINF3DHPDataset`` (``joint_order='h36m'``;
# upstream's own 3DHP weights need ``*_mpi-inf-3dhp-order.py``).
# As upstream (TaatiTeam/MotionAGFormer at 4756fd1: stride: 9 in
# configs/mpi/MotionAGFormer-base.yaml:37, train_3dhp.py): training
# clips every 9 frames; validation and test = the official protocol, one
# window centred on every valid test frame, only the centre scored; PCK@150mm
# and AUC (0-150 mm, step 5) over the toolkit's 14 joints, MPJPE over all 17.
# ``test_protocol='clips'`` scores whole consecutive clips instead (faster).
# Like upstream (train_3dhp.py:181 builds the evaluation set with
# train=False and evaluates it every epoch, :258-259), validation runs on
# the test set (3DHP has no other split),
# so the "best" checkpoint is selected on test. See docs/pose3d/data.md.
# Leaf configs merge into the dataloaders, e.g.
#   train_dataloader = dict(dataset=dict(data_root='data/h36m_demo/'
#                                        'mpi_inf_3dhp/', seq_len=27))
dataset_type = 'MPIINF3DHPDataset'
data_root = 'data/motion3d/'
seq_len = 81

train_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True, mode='train')
val_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True, rootrel=True)
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'factor', 'camera_param', 'action', 'video', 'valid',
             'frame_ids')

train_pipeline = [
    dict(type='GenerateTarget', encoder=train_codec),
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
        target_flip_cfg=dict(center_mode='static', center_x=0.),
        flip_label=True),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=val_codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='data_train_3dhp.npz',
        seq_len=seq_len,
        data_stride=9,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='data_test_3dhp.npz',
        seq_len=seq_len,
        test_protocol='center_frame',
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='PCK3DMetric', threshold=150., auc_max=150.,
                     auc_step=5., joint_order='h36m')
test_evaluator = val_evaluator
