# Vimeo-90K triplets: train on tri_trainlist (random 256 crops and the
# EMA-VFI augmentations), validate / test on tri_testlist (full 448x256).
data_root = 'data/vimeo_triplet'
train_pipeline = [
    dict(type='LoadVFIFrames'),
    dict(type='VFIRandomCrop', crop_size=256),
    dict(type='VFIChannelReverse', prob=0.5),
    dict(type='VFITemporalSwap', prob=0.5),
    dict(type='VFIRandomFlip', prob=0.5),
    dict(type='VFIRandomRotate90', prob=0.75),
    dict(type='PackVFIInputs'),
]
test_pipeline = [dict(type='LoadVFIFrames'), dict(type='PackVFIInputs')]
train_dataloader = dict(
    batch_size=8,  # 4 fits a 32 GB GPU: see docs/vfi/configs.md
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='Vimeo90KTripletDataset', data_root=data_root,
                 ann_file='tri_trainlist.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='Vimeo90KTripletDataset', data_root=data_root,
                 ann_file='tri_testlist.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
# Vimeo90K convention: no 8-bit quantisation, the scripts' 3D SSIM
val_evaluator = dict(type='VFIMetric', quantize=False, ssim='3d')
test_evaluator = val_evaluator
