# MotionAGFormer-B with the users' single-GPU batch of 64.
# Step memory (fp32, tools/analysis_tools/benchmark_memory.py on the CPU; see
# docs/benchmarks.md, "pose3d training memory per sample"):
#   measured B, 9-frame clips extrapolated linearly to 243: 1.61 GiB per
#   sample without with_cp (x 64 = 103 GiB: does not fit an 80 GB GPU),
#   0.12 GiB per sample with with_cp on every block. Predicted peak on an
#   80 GB GPU at batch 64: 64 x 0.12 + 0.2 (weights, gradients, AdamW state
#   of 11.7M parameters) = about 8 GiB.
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (tuned at batch 16): the users' guide gives no
# other; `--auto-scale-lr` scales it by batch / 16 if wanted.
_base_ = ['./motionagformer-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True))
train_dataloader = dict(batch_size=64)
