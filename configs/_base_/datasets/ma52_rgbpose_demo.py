# SYNTHETIC MA-52-format demo data (tools/misc/generate_action_demo.py
# --dataset ma52 --out-dir data/ma52_demo): 8 fine classes in 5 body-part
# groups, stick figures. Tiny sizes for CPU runs: RGB 8 x 64 px, pose
# 32 x 16 px (RGB / 4), 28 heatmap channels.
_base_ = ['./ma52_rgbpose.py']

data_root = 'data/ma52_demo/'
clip_len = dict(RGB=8, Pose=32)
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
# The demo has no test split: test on val with 2 clips per video.
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
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        list_file='val_list_videos.txt',
        data_prefix=dict(video='videos_val'),
        hidden_labels=False,
        pipeline=test_pipeline))
# the demo tests on its labelled val split: metrics, not a submission
test_evaluator = dict(
    _delete_=True, type='HierarchicalActionMetric', hierarchy='ma52')
