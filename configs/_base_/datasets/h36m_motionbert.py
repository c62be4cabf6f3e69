# Human3.6M in MotionBERT / MotionAGFormer's preprocessed pickle
# (``h36m_sh_conf_cam_source_final.pkl``, 2D from a stacked-hourglass
# detector with confidences). See docs/pose3d/data.md.
#
# Leaf configs change the data location or clip length by merging into the
# dataloaders (variables below are resolved when this file is read, so
# re-assigning ``data_root`` alone in a leaf does NOT reach the datasets):
#   train_dataloader = dict(dataset=dict(data_root='data/h36m_demo/motion3d/',
#                                        seq_len=27))
#   val_dataloader = dict(dataset=dict(data_root=..., seq_len=27))
#   test_dataloader = val_dataloader
# Keep ``default_scope='mmpose'`` and
# ``custom_imports=dict(imports=['mmext.datasets.pose3d',
# 'mmext.evaluation.pose3d', ...], allow_failed_imports=False)``.
dataset_type = 'H36MMotionBERTDataset'
data_root = 'data/motion3d/'
ann_file = 'h36m_sh_conf_cam_source_final.pkl'
# MotionAGFormer-B/L: 243; -S: 81; -XS: 27. Train clips start every
# seq_len // 3 frames, test clips every seq_len frames (MotionBERT).
seq_len = 243

# mmpose's MotionBERT codec: 2D -> [-1, 1] by image width, (x, y, conf)
# input; train targets normalised, test targets in metres x 2.5d factor.
train_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True, mode='train')
val_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True, rootrel=True)

# meta keys the model (flip test, decoding) and Pose3DMetric read
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'factor', 'camera_param', 'action', 'video', 'source',
             'subject', 'frame_ids')

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
        ann_file=ann_file,
        split='train',
        seq_len=seq_len,
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
        ann_file=ann_file,
        split='test',
        seq_len=seq_len,
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# MotionBERT / MotionAGFormer drop three S9 videos with broken ground truth.
val_evaluator = dict(
    type='Pose3DMetric',
    skip_list=[
        's_09_act_05_subact_02', 's_09_act_10_subact_02',
        's_09_act_13_subact_01'
    ])
test_evaluator = val_evaluator
