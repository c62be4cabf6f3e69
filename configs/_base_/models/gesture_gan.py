# The co-speech gesture GAN of docs/gesture/README.md: audio encoder + seed
# poses, 5-layer GAT/GCN mix over body+hands, ResBlocks, temporal
# self-attention, bidirectional body<->hand cross-attention (8 heads);
# temporal-conv discriminator. Loss weights: rec 1, adv 0.05 (our choice: their
# notes give none), detail 0.3 -> 1.0 and physics 0.5 -> 2.0 by curriculum. G 4
# / D 1 steps per batch to start (their initial frequencies).
custom_imports = dict(
    imports=[
        'mmext.engine', 'mmext.models.gesture', 'mmext.datasets.gesture',
        'mmext.evaluation.gesture'
    ],
    allow_failed_imports=False)

skeleton = 'beat'  # preset; or '<data_root>/skeleton.json'
audio_dims = 65  # 64 log-mel bands + onset strength
model = dict(
    type='GestureGAN',
    skeleton=skeleton,
    generator=dict(
        type='GestureGenerator',
        audio_dims=audio_dims,
        seed_frames=4,
        embed_dims=64,
        graph_layers=('gat', 'gcn', 'gat', 'gcn', 'gat'),
        gat_heads=4,
        num_res_blocks=2,
        temporal_heads=4,
        cross_heads=8,
        use_cross_attention=True,
        # a change to the method, not in the recipe: the output keeps the
        # seed's bone lengths by construction (GestureGenerator docstring).
        # The recipe's bone-length L1 (physics 0.5 -> 2.0) pulled 5x as
        # hard as the reconstruction on the generated motion and held the
        # demo model near the seed pose (7% of the real wrist speed at
        # epoch 6) with a 2 cm mean-pose bias; with the projection the term
        # is zero and its weight stays as the recipe says
        # (docs/gesture/training.md, "Bone lengths by construction")
        keep_bone_lengths=True),
    discriminator=dict(type='GestureDiscriminator', embed_dims=128,
                       num_layers=3),
    loss_weights=dict(rec=1.0, adv=0.05, detail=0.3, physics=0.5),
    adversarial=dict(
        real_label=0.9, fake_label=0.1, noise_std=0.005, max_offset=0.02),
    g_steps=4,
    d_steps=1)

# One optimizer per network; SwitchableAmpOptimWrapper so that AMP can turn
# on at epoch 10 with a GradScaler per network.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(
        type='SwitchableAmpOptimWrapper',
        dtype='auto',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
    discriminator=dict(
        type='SwitchableAmpOptimWrapper',
        dtype='auto',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
