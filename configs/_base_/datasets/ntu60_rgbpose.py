# NTU RGB+D 60 two-stream data (mmaction2 RGBPoseConv3D setting), xsub split.
# Pose: mmaction2's ntu60_2d.pkl (2D COCO-17 keypoints from HRNet, the
# layout of mmaction2's rgbpose_conv3d config: in_channels=17, COCO flip
# pairs); RGB: data/nturgbd_videos/<frame_dir>.mp4 (mmaction2's MMDecode
# convention). RGB 8 frames at 224 px; pose 32 frames at 56 px (RGB / 4).
# Labels: 60 fine actions (gt_label) + 8 mmext coarse groups
# (gt_coarse_label, mmext/datasets/action/meta/ntu60_coarse.txt).
custom_imports = dict(
    imports=['mmext.datasets.action', 'mmext.evaluation.action'],
    allow_failed_imports=False)

dataset_type = 'RGBPoseDataset'
data_root = 'data/'
ann_file = 'skeleton/ntu60_2d.pkl'
video_prefix = 'nturgbd_videos'
num_keypoints = 17
clip_len = dict(RGB=8, Pose=32)
left_kp = [1, 3, 5, 7, 9, 11, 13, 15]
right_kp = [2, 4, 6, 8, 10, 12, 14, 16]
heatmap = dict(
    type='GeneratePoseTarget',
    sigma=0.7,
    use_score=True,
    with_kp=True,
    with_limb=False,
    scaling=0.25)
pack = dict(type='PackHierActionInputs', collect_keys=('imgs', 'heatmap_imgs'))
dataset_common = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file=ann_file,
    data_prefix=dict(video=video_prefix),
    hierarchy='ntu60',
    num_keypoints=num_keypoints,
    dataset_name='NTU60')

train_pipeline = [
    dict(type='MMUniformSampleFrames', clip_len=clip_len, num_clips=1),
    dict(type='MMDecodeCV2'),
    dict(type='MMCompact', hw_ratio=1., allow_imgpad=True),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='RandomResizedCrop', area_range=(0.56, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5, left_kp=left_kp, right_kp=right_kp),
    heatmap,
    dict(type='FormatShape', input_format='NCTHW'),
    pack,
]
val_pipeline = [
    dict(
        type='MMUniformSampleFrames',
        clip_len=clip_len,
        num_clips=1,
        test_mode=True),
    dict(type='MMDecodeCV2'),
    dict(type='MMCompact', hw_ratio=1., allow_imgpad=True),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    heatmap,
    dict(type='FormatShape', input_format='NCTHW'),
    pack,
]
test_pipeline = [
    dict(
        type='MMUniformSampleFrames',
        clip_len=clip_len,
        num_clips=10,
        test_mode=True),
    dict(type='MMDecodeCV2'),
    dict(type='MMCompact', hw_ratio=1., allow_imgpad=True),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    heatmap,
    dict(type='FormatShape', input_format='NCTHW'),
    pack,
]

train_dataloader = dict(
    batch_size=6,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        **dataset_common, split='xsub_train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **dataset_common,
        split='xsub_val',
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **dataset_common,
        split='xsub_val',
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='HierarchicalActionMetric', hierarchy='ntu60')
test_evaluator = val_evaluator
