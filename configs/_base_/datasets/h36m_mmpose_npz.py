# Human3.6M in mmpose's own npz format (tools/dataset_converters/
# preprocess_h36m.py: ``annotation_body3d/fps50/h36m_{train,test}.npz`` +
# ``annotation_body3d/cameras.pkl``), read by mmpose's ``Human36mDataset``
# with the settings of mmpose's MotionBERT configs. 2D is the ground truth
# projection there; ``factor_file`` holds MotionBERT's 2.5d factors for the
# test set (mmpose's "-original" configs). See docs/pose3d/data.md.
#
# Leaf configs merge into the dataloaders to move the data, e.g.
#   train_dataloader = dict(dataset=dict(data_root='data/h36m_demo/',
#                                        multiple_target=27,
#                                        multiple_target_step=9))
dataset_type = 'Human36mDataset'
data_root = 'data/h36m/'
seq_len = 243

train_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True, mode='train')
val_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True, rootrel=True)
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'factor', 'camera_param')

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
        ann_file='annotation_body3d/fps50/h36m_train.npz',
        seq_len=1,
        multiple_target=seq_len,
        multiple_target_step=seq_len // 3,
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/fps50/h36m_test.npz',
        seq_len=1,
        seq_step=1,
        multiple_target=seq_len,
        camera_param_file='annotation_body3d/cameras.pkl',
        factor_file='annotation_body3d/fps50/h36m_factors.npy',
        data_root=data_root,
        data_prefix=dict(img='images/'),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

# mmpose's MotionBERT skip list (video = image-name prefix)
val_evaluator = dict(
    type='Pose3DMetric',
    skip_list=[
        'S9_Greet', 'S9_SittingDown', 'S9_Wait_1', 'S9_Greeting',
        'S9_Waiting_1'
    ])
test_evaluator = val_evaluator
