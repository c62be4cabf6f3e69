# Streaming demo: a *causal* lifter for tools/inference/pose3d_video.py --stream
# (latency 0). Only the MambaGCN stream (per-frame spatial GCN + Mamba2
# scanning forward in time); the temporal GCN and temporal attention, which
# look at every frame of the clip, are left out, and `causal=True` gives
# the spatial GCNs' BatchNorms per-frame train-mode statistics (with
# statistics over the clip, a past frame's output moved by up to 3e-3 in
# training when later frames changed). So no output frame depends on a
# later input frame, in training and at test time (mmext.apis.video.
# is_causal checks eval mode numerically; tests/test_models/test_pose3d/
# test_causal_train.py checks outputs and gradients in train mode). The
# state-dict keys are those of the
# non-causal model. Same size and SYNTHETIC data as the other demo configs;
# train it with
#   python tools/train.py configs/pose3d/mambagcn/\
#       mambagcn-xs4l_27frm-causal_1xb16-10e_h36m-demo.py
# A causal model sees no future frames; expect a higher error than the
# bidirectional demos.
_base_ = ['./mambagcn-xs4l_27frm_1xb16-10e_h36m-demo.py']
model = dict(
    backbone=dict(
        branches=('mamba', ),
        causal=True,
        ssm_cfg=dict(directions=('forward', ))))
