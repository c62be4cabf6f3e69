# MotionAGFormer-B with the single-GPU batch of 64 (docs/pose3d/memory.md,
# "Single-GPU batch sizes").
# Step memory (fp32, tools/benchmarks/benchmark_memory.py on the CPU,
# 81-frame clips extrapolated linearly to 243; docs/benchmarks.md, "pose3d
# training memory per sample"), GiB per sample and step time:
#   without with_cp          1.66 GiB  (x 64 = 106 GiB: does not fit 80 GB)
#   with_cp every 2nd block  0.86 GiB  1.29x the step time
#   with_cp on every block   0.13 GiB  1.46x the step time
# Every 2nd block is checkpointed: predicted peak on an 80 GB GPU at batch
# 64 is 64 x 0.862 + 0.2 (weights, gradients, AdamW state of 11.7M
# parameters) = about 55 GiB. If a GPU's kernels need more, set
# `cp_every=1` (every block: about 8 GiB predicted).
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (tuned at batch 16): no other is recorded
# (docs/pose3d/memory.md); `--auto-scale-lr` scales it by batch / 16 if wanted.
_base_ = ['./motionagformer-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True, cp_every=2))
train_dataloader = dict(batch_size=64)
