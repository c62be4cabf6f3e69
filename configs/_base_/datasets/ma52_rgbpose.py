# MA-52 two-stream (RGB + 28-joint pose) data for RGBPoseConv3D-style models.
# RGB: 8 frames at 224 px; pose: 32 frames (4x RGB) of heatmaps at 56 px
# (RGB / 4, GeneratePoseTarget scaling=0.25), 28 heatmap channels.
# Labels: 52 fine micro-actions (gt_label) + 7 body-part groups
# (gt_coarse_label). Layout expected under data_root (docs/action/data.md):
#   videos_{train,val}/SSSS_BB_NNNN.mp4, {train,val}_list_videos.txt
#   (`SSSS_BB_NNNN.mp4 label` per line), videos_test/testNNNN.mp4 and
#   test_list_videos.txt (`testNNNN.mp4 0`: the official test split, labels
#   HIDDEN), ma52_2d.pkl (mmaction2 skeleton pkl, 28 joints, frame_dir =
#   the video name without .mp4).
# Test = the official test split: tools/test.py writes the challenge
# submission (work_dir/prediction.csv + submission.zip, top-5 fine and top-5
# body-part predictions per video) and computes NO metric (labels hidden).
# Validation metrics come from the val split.
# Leaf configs set `default_scope = 'mmaction'` and the full custom_imports
# (datasets, evaluation and models).
custom_imports = dict(
    imports=['mmext.datasets.action', 'mmext.evaluation.action'],
    allow_failed_imports=False)

dataset_type = 'MA52Dataset'
data_root = 'data/ma52/'
ann_file = 'ma52_2d.pkl'
num_keypoints = 28
clip_len = dict(RGB=8, Pose=32)
# Horizontal flip with the left/right pairs of PCAN's config for the
# 28-keypoint OpenPose layout (github.com/kunli-cs/PCAN, rgbpose_conv3d.py):
# shoulders, elbows, wrists, hips, knees, ankles, eyes, ears. The hand points
# 18-22 / 23-27 are not in PCAN's lists and keep their indices (as published).
left_kp = [2, 3, 4, 8, 9, 10, 14, 16]
right_kp = [5, 6, 7, 11, 12, 13, 15, 17]
heatmap = dict(
    type='GeneratePoseTarget',
    sigma=0.7,
    use_score=True,
    with_kp=True,
    with_limb=False,
    scaling=0.25)
pack = dict(type='PackHierActionInputs', collect_keys=('imgs', 'heatmap_imgs'))

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
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        list_file='train_list_videos.txt',
        data_prefix=dict(video='videos_train'),
        num_keypoints=num_keypoints,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        list_file='val_list_videos.txt',
        data_prefix=dict(video='videos_val'),
        num_keypoints=num_keypoints,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        list_file='test_list_videos.txt',
        data_prefix=dict(video='videos_test'),
        num_keypoints=num_keypoints,
        hidden_labels=True,
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='HierarchicalActionMetric', hierarchy='ma52')
# out_dir=None: tools/test.py writes into the run's work dir
test_evaluator = dict(type='MA52SubmissionMetric', out_dir=None, topk=5)
