# PCAN (Li et al., AAAI 2025) as published: RGBPoseConv3D + PCANHead on
# MA-52 with the recipe of the official config (github.com/kunli-cs/PCAN,
# commit 873788a, mmaction2/configs/skeleton/posec3d/rgbpose_conv3d/
# rgbpose_conv3d.py): 1 GPU x 10 clips (:141), SGD lr 0.0075, momentum 0.9,
# weight decay 0.0001, clip_grad 40 (:182-183), MultiStepLR x0.1 at epochs
# 10 and 20 (:191-192), 30 epochs, validation from epoch 3 (:177),
# horizontal flip with the 28-keypoint left/right pairs of PCAN's config
# (:68-69, :90), evaluation at 256 px (:109, :128; heatmaps 64 px).
#   python tools/train.py \
#       configs/action/rgbpose-conv3d_pcan_1xb10-30e-paper_ma52.py
# Not reproduced here: PCAN initialises from `rgbpose_conv3d_init.pth`, the
# merge of an RGB-only and a pose-only model pretrained on MA-52 (see the
# rgb-only / pose-only configs); give its local path with
# `--cfg-options load_from=PATH`. The official backbone also inserts
# cross-attention "FeatureInteraction" blocks after stages 2 and 3; this
# config uses mmaction2's RGBPoseConv3D without them (docs/action/models.md).
_base_ = ['./rgbpose-conv3d_pcan_2xb8-50e_ma52.py']

left_kp = [2, 3, 4, 8, 9, 10, 14, 16]
right_kp = [5, 6, 7, 11, 12, 13, 15, 17]
clip_len = dict(RGB=8, Pose=32)
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
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
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
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    heatmap,
    dict(type='FormatShape', input_format='NCTHW'),
    pack,
]
train_dataloader = dict(batch_size=10, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=30, val_begin=3, val_interval=1)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.0075, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=30,
        by_epoch=True,
        milestones=[10, 20],
        gamma=0.1)
]
# the official config's base batch: 1 GPU x 10 clips
auto_scale_lr = dict(enable=False, base_batch_size=10)
