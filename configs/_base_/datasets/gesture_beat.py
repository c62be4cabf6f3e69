# BEAT converted to mmext's clip format by
#   python tools/dataset_converters/beat.py BEAT_DIR data/beat --fps 15 \
#       --split-csv BEAT_DIR/train_test_split.csv
# 34-frame windows (4 seed frames) at 15 fps, stride 10.
data_root = 'data/beat/'
fps = 15
window = 34
dataset = dict(
    type='GestureDataset',
    data_root=data_root,
    window=window,
    stride=10,
    seed_frames=4,
    n_mels=64)
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(split='train', **dataset))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(split='val', **dict(dataset, stride=window)))
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(split='test', **dict(dataset, stride=window)))
# FGD needs the autoencoder trained by
# configs/gesture/motion-ae_1xb64-50e_beat.py (see docs/gesture/evaluation.md)
val_evaluator = dict(
    type='GestureMetric',
    skeleton='beat',
    fps=fps,
    fgd_checkpoint=None,
    fgd_autoencoder=dict(hidden_dims=128, latent_dims=32, num_layers=2))
test_evaluator = val_evaluator
