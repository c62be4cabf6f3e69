# SYNTHETIC NTU60-format demo data (tools/misc/generate_action_demo.py
# --dataset ntu60 --out-dir data/ntu60_demo): 8 fine classes in 5 coarse
# groups, stick figures, COCO-17 keypoints. Tiny sizes for CPU runs:
# RGB 8 x 64 px, pose 32 x 16 px (RGB / 4), 17 heatmap channels.
_base_ = ['./ntu60_rgbpose.py']

data_root = 'data/ntu60_demo/'
ann_file = 'ntu60_2d.pkl'
video_prefix = 'videos'
clip_len = dict(RGB=8, Pose=32)
left_kp = [1, 3, 5, 7, 9, 11, 13, 15]
right_kp = [2, 4, 6, 8, 10, 12, 14, 16]
heatmap = dict(
    type='GeneratePoseTarget',
    sigma=0.6,
    use_score=True,
    with_kp=True,
    with_limb=False,
    scaling=0.25)
pack = dict(type='PackHierActionInputs', collect_keys=('imgs', 'heatmap_imgs'))
train_pipeline = [
    dict(type='MMUniformSampleFrames', clip_len=clip_len, num_clips=1),
    dict(type='MMDecodeCV2'),
    dict(type='MMCompact', hw_ratio=1., allow_imgpad=True),
    dict(type='Resize', scale=(72, 72), keep_ratio=False),
    dict(type='RandomResizedCrop', area_range=(0.56, 1.0)),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
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
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    heatmap,
    dict(type='FormatShape', input_format='NCTHW'),
    pack,
]
test_pipeline = [
    dict(
        type='MMUniformSampleFrames',
        clip_len=clip_len,
        num_clips=2,
        test_mode=True),
    dict(type='MMDecodeCV2'),
    dict(type='MMCompact', hw_ratio=1., allow_imgpad=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    heatmap,
    dict(type='FormatShape', input_format='NCTHW'),
    pack,
]
demo_dataset = dict(
    data_root=data_root,
    ann_file=ann_file,
    data_prefix=dict(video=video_prefix))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(**demo_dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(**demo_dataset, pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(**demo_dataset, pipeline=test_pipeline))
