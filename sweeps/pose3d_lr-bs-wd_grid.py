# The coarse search of docs/tools/sweep.md ("Space files") for
# MotionAGFormer / MambaGCN on Human3.6M:
# lr {5e-5, 1e-4, 2e-4, 5e-4} x batch {32, 64, 96} x weight decay
# {1e-5, 1e-4, 1e-3} = 36 trials. Run it as a grid:
#   python tools/sweep.py CONFIG \
#       --space sweeps/pose3d_lr-bs-wd_grid.py \
#       --sampler grid --study lr-bs-wd [--storage URL] [--gpus K]
# `train_dataloader.batch_size` is per process, as everywhere in mmengine:
# with --gpus K the total batch is K x the value.
space = {
    'optim_wrapper.optimizer.lr':
    dict(type='categorical', choices=[5e-5, 1e-4, 2e-4, 5e-4]),
    'train_dataloader.batch_size':
    dict(type='categorical', choices=[32, 64, 96]),
    'optim_wrapper.optimizer.weight_decay':
    dict(type='categorical', choices=[1e-5, 1e-4, 1e-3]),
}
