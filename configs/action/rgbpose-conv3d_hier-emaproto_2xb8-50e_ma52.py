# Variant of rgbpose-conv3d_pcan_2xb8-50e_ma52.py with mmext's earlier head
# (HierarchicalRGBPoseHead) instead of PCAN: fine + coarse CE, KL tree
# consistency, EMA class prototypes in the pooled feature space with a
# pull / push calibration loss and a cosine term at inference. It is NOT
# PCAN (docs/action/models.md); kept as a comparison.
_base_ = ['./rgbpose-conv3d_pcan_2xb8-50e_ma52.py']
model = dict(
    cls_head=dict(
        _delete_=True,
        type='HierarchicalRGBPoseHead',
        num_classes=52,
        hierarchy='ma52',
        in_channels=(2048, 512),
        streams=('rgb', 'pose'),
        with_coarse_head=True,
        loss_cls=dict(type='CrossEntropyLoss'),
        loss_weights=dict(fine=1.0, coarse=0.5, tree=0.5, proto=0.5),
        prototype=dict(
            momentum=0.9, temperature=0.1, margin=0.0, logit_weight=0.5),
        dropout=0.5))
