# MambaGCN-specific search (the MambaGCN stream of
# configs/pose3d/mambagcn/mambagcn-b_243frm_1xb16-60e_h36m.py, see
# docs/pose3d/architecture.md): the state size and expansion of the
# bidirectional Mamba, the streams' dropout and stochastic depth, and the
# fusion of the Mamba and graph streams (learned softmax weights,
# AdaptiveFusion, or their plain mean).
# The model has no fixed fusion weight to sweep (AdaptiveFusion learns the
# stream weights per feature) and no dropout of its own in the graph stream:
# `drop_rate` is the MLP / projection dropout that every stream of a block
# uses, so it is the key that regularises the GCN stream.
space = {
    'model.backbone.ssm_cfg.d_state':
    dict(type='categorical', choices=[8, 16, 32]),
    'model.backbone.ssm_cfg.expand':
    dict(type='categorical', choices=[1, 2]),
    'model.backbone.drop_rate':
    dict(type='uniform', low=0.0, high=0.2),
    'model.backbone.drop_path_rate':
    dict(type='uniform', low=0.0, high=0.2),
    'model.backbone.use_adaptive_fusion':
    dict(type='categorical', choices=[True, False]),
}
