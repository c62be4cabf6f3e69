# Phase 3: texture preservation at 4K. X4K1000FPS and Vimeo-90K batches 2:1,
# a curriculum of growing crops and motion (frame span of the input pair),
# lr 5e-5, 100 epochs, from the phase-2 best checkpoint; VGG19 perceptual
# loss added (ImageNet weights from a local file: set its path).
_base_ = ['./hybrid-vfi_feature-warp_1xb8-200e-phase2_vimeo90k.py']
load_from = ('work_dirs/hybrid-vfi_feature-warp_1xb8-200e-phase2_vimeo90k/'
             'best_vfi_PSNR_epoch_*.pth')
# the phase-2 model unchanged; the only new keys are the VGG19 loss's fixed
# ImageNet features (from vgg19_weights, not from the checkpoint)
load_from_allow_mismatch = ['losses.2.features.*']
vgg19_weights = 'checkpoints/vgg19-dcbb9e9d.pth'
model = dict(losses=[
    dict(type='LaplacianPyramidLoss', max_levels=5, loss_weight=1.0),
    dict(type='CensusLoss', patch_size=7, loss_weight=1.0),
    dict(type='VGGPerceptualLoss', pretrained=vgg19_weights,
         loss_weight=0.1),
])
x4k_root = 'data/X4K1000FPS'
vimeo_root = 'data/vimeo_triplet'
batch_size = 8
train_pipeline = [
    dict(type='LoadVFIFrames'),
    dict(type='VFIRandomCrop', crop_size=256),  # the curriculum overrides
    dict(type='VFIChannelReverse', prob=0.5),
    dict(type='VFITemporalSwap', prob=0.5),
    dict(type='VFIRandomFlip', prob=0.5),
    dict(type='VFIRandomRotate90', prob=0.75),
    dict(type='PackVFIInputs'),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=False,  # workers must see the curriculum changes
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MixedVFIDataset',
        ratio=(2, 1),
        batch_size=batch_size,
        num_samples=24000,
        max_crop=(None, 256),  # Vimeo frames are 256 rows high
        datasets=[
            dict(type='X4KTrainDataset', data_root=x4k_root + '/train',
                 max_span=8, pipeline=train_pipeline),
            dict(type='Vimeo90KTripletDataset', data_root=vimeo_root,
                 ann_file='tri_trainlist.txt', split='train',
                 val_fraction=0.02, val_by='folder',
                 pipeline=train_pipeline),
        ]))
max_epochs = 100
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=2000),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min_ratio=0.1, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
custom_hooks = [
    dict(type='mmext.EpochSeedHook'),
    dict(type='DataCurriculumHook', stages=[
        dict(epoch=0, crop_size=256, max_span=8),
        dict(epoch=25, crop_size=384, max_span=16),
        dict(epoch=50, crop_size=512, max_span=24),
        dict(epoch=75, crop_size=512, max_span=32),
    ]),
]
# nothing is frozen in phase 3 (the VGG19 is excluded from DDP from the start)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=False)
