# Vimeo-90K triplets: train on tri_trainlist (random 256 crops and the
# EMA-VFI augmentations) less a held-out validation split (2% of its
# top-level folders, chosen by MD5 of the folder name: deterministic); validate
# and pick the best checkpoint on that split (full 448x256); the test list
# tri_testlist is read only by tools/test.py (test_dataloader). EMA-VFI and
# VFIMamba instead validate on tri_testlist during training (their train.py
# `evaluate` on the test list): docs/vfi/training.md.
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
                 ann_file='tri_trainlist.txt', split='train',
                 val_fraction=0.02, val_by='folder',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='Vimeo90KTripletDataset', data_root=data_root,
                 ann_file='tri_trainlist.txt', split='val',
                 val_fraction=0.02, val_by='folder',
                 pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    persistent_workers=False,
    dataset=dict(type='Vimeo90KTripletDataset', data_root=data_root,
                 ann_file='tri_testlist.txt', pipeline=test_pipeline))
# Vimeo90K convention: no 8-bit quantisation, the scripts' 3D SSIM
val_evaluator = dict(type='VFIMetric', quantize=False, ssim='3d')
test_evaluator = val_evaluator
