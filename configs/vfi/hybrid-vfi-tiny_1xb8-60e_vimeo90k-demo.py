# Demo (tools/demos/vfi.sh): a small hybrid model on the SYNTHETIC
# Vimeo-layout triplets the demo writes (skimage sample photos moved by known
# sub-pixel motion with occluding sprites). Trains on a 2-core CPU in about
# 3 minutes (0.1 s per iteration, 30 iterations per epoch). 60 epochs: with
# 10 the model only matched the frame average (18.63 vs 18.56 dB), since
# flow is learned from zero; validation every 10 epochs on sequences held
# out of the training list.
_base_ = ['./hybrid-vfi_1xb8-300e_vimeo90k.py']
data_root = 'work_dirs/vfi_demo/vimeo'
model = dict(
    embed_dims=16, flow_dims=32, refine_dims=16,
    backbone=dict(embed_dims=16, depth=2, num_heads=2, window_size=4,
                  ssm_cfg=dict(d_state=16, headdim=16, chunk_size=64)),
    losses=[dict(type='LaplacianPyramidLoss', max_levels=3, loss_weight=1.0),
            dict(type='CensusLoss', patch_size=7, loss_weight=1.0)])
train_pipeline = [
    dict(type='LoadVFIFrames'),
    dict(type='VFIRandomCrop', crop_size=32),
    dict(type='VFIChannelReverse', prob=0.5),
    dict(type='VFITemporalSwap', prob=0.5),
    dict(type='VFIRandomFlip', prob=0.5),
    dict(type='VFIRandomRotate90', prob=0.75),
    dict(type='PackVFIInputs'),
]
# the demo's triplets all sit in one top-level folder: hold out 2% of the
# sequences (5 of 240) for validation; the held-out photo's triplets
# (tri_testlist) are the test set, scored by the demo report only
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, val_by='sequence',
                 pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False, batch_size=8,
    dataset=dict(data_root=data_root, val_by='sequence'))
test_dataloader = dict(
    num_workers=0, batch_size=8, dataset=dict(data_root=data_root))
max_epochs = 60
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min_ratio=0.1, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
default_hooks = dict(logger=dict(interval=10))
