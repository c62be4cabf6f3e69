# Ablation: a causal MambaGCN - output frame t depends on input frames <= t
# only, in training and at test time. The temporal SSM scans forward only;
# `causal=True` makes the graph stream causal too: its temporal graph links
# each frame to its top-k most similar *past* frames, and the spatial GCNs'
# BatchNorms take train-mode statistics per frame instead of over the clip
# (tested: tests/test_models/test_pose3d/test_memory_paths.py). Test-time
# flip averaging is per frame and stays on.
_base_ = ['./mambagcn-b_243frm_1xb16-60e_h36m.py']
model = dict(
    backbone=dict(causal=True, ssm_cfg=dict(directions=('forward', ))))
