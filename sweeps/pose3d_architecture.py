# The architecture search of docs/tools/sweep.md ("Space files"):
# MotionAGFormer stream variant x model size (3 x 4 = 12 trials with --sampler
# grid). A size sets every key that depends on it together: the preset, the
# head's input width and the clip length of the data (27 frames for XS, 81 for
# S, 243 for B and L, as in the paper). Works with any pose3d config derived
# from configs/pose3d/motionagformer/motionagformer-b_243frm_1xb16-60e_h36m.py.
def _size(arch, dims, frames):
    return {
        'model.backbone.arch': arch,
        'model.head.in_channels': dims,
        'train_dataloader.dataset.seq_len': frames,
        'val_dataloader.dataset.seq_len': frames,
        'test_dataloader.dataset.seq_len': frames,
    }


space = {
    'model.backbone.branches':
    dict(type='categorical', choices=['baseline', 'mamba_gcn', 'full']),
    'size':
    dict(
        type='preset',
        choices=dict(
            xs=_size('xs', 64, 27),
            s=_size('s', 64, 81),
            b=_size('b', 128, 243),
            l=_size('l', 128, 243))),
}
