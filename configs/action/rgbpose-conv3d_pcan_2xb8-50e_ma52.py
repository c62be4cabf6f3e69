# Ablation of rgbpose-conv3d_hier-pcan_2xb8-50e_ma52.py: no hierarchy in
# training (no coarse classifier, no coarse / tree-consistency losses).
# The coarse scores reported are the fine probabilities summed per group.
_base_ = ['./rgbpose-conv3d_hier-pcan_2xb8-50e_ma52.py']
model = dict(cls_head=dict(with_coarse_head=False))
