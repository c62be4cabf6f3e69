# MotionAGFormer (Mehraban et al., WACV 2024) as an mmpose PoseLifter:
# mmext's MotionAGFormer backbone + mmpose's MotionRegressionHead, which is
# exactly the official `rep_logit` (Linear + Tanh) + `head` (Linear).
# `branches`: 'baseline' = ('attention', 'graph') (official MotionAGFormer),
# 'mamba_gcn' = ('mamba', 'graph'), 'full' = ('attention', 'graph', 'mamba').
# Leaf configs set default_scope = 'mmpose' (mmpose's registries).
custom_imports = dict(
    imports=[
        'mmext.models.pose3d', 'mmext.datasets.pose3d',
        'mmext.evaluation.pose3d'
    ],
    allow_failed_imports=False)

model = dict(
    type='PoseLifter',
    backbone=dict(
        type='MotionAGFormer',
        arch='b',
        branches='baseline',
        drop_path_rate=0.,
    ),
    head=dict(
        type='MotionRegressionHead',
        in_channels=128,  # = the arch's embed_dims
        out_channels=3,
        embedding_size=512,  # dim_rep
        # MPJPE + 0.5 N-MPJPE + 20 velocity (MotionBERT/MotionAGFormer)
        loss=dict(
            type='MPJPEVelocityJointLoss',
            loss_weight=1.0,
            lambda_scale=0.5,
            lambda_3d_velocity=20.0),
        decoder=dict(
            type='MotionBERTLabel',
            num_keypoints=17,
            concat_vis=True,
            rootrel=True),
    ),
    # test-time flip averaging (swap left/right joints, negate x)
    test_cfg=dict(flip_test=True))
