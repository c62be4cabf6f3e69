# MotionAGFormer-L with the users' single-GPU batch of 32.
# Step memory (fp32, tools/analysis_tools/benchmark_memory.py on the CPU; see
# docs/benchmarks.md, "pose3d training memory per sample"):
#   L itself was not measured; from B's measured figures scaled by depth
#   (26 / 16 blocks): about 2.6 GiB per sample without with_cp (x 32 = 84
#   GiB: does not fit an 80 GB GPU), about 0.2 GiB per sample with with_cp
#   on every block. Predicted peak on an 80 GB GPU at batch 32: about
#   32 x 0.2 + 0.3 = 7 GiB (a derived estimate, not a measurement).
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (batch 16); `--auto-scale-lr` scales it.
_base_ = ['./motionagformer-l_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True))
train_dataloader = dict(batch_size=32)
