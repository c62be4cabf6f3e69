# Phase 2: flow-guided warping of the backbone features (large motion).
# Starts from the phase-1 best checkpoint, lr 1e-4, 200 epochs; the encoder
# and backbone stay frozen for the first 50 epochs.
_base_ = ['./hybrid-vfi_1xb8-300e_vimeo90k.py']
model = dict(feature_warp=True)
# the best phase-1 checkpoint on the held-out validation split (not the test
# list); its weights load fully, the two new phase-2 paths start at zero
# (flow_refine's last conv, refine.mid_extra), so training starts from
# phase 1's output: only these keys may be missing
load_from = 'work_dirs/hybrid-vfi_1xb8-300e_vimeo90k/best_vfi_PSNR_epoch_*.pth'
load_from_allow_mismatch = ['flow_refine.*', 'refine.mid_extra.*']
max_epochs = 200
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=2000),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min_ratio=0.1, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
custom_hooks = [
    dict(type='mmext.EpochSeedHook'),
    dict(type='FreezeModulesHook', modules=('encoder', 'backbone'),
         epochs=50),
]
# frozen parameters get no gradient: multi-GPU DDP must allow that
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
