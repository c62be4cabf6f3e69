# MotionAGFormer-L with the single-GPU batch of 32 (docs/pose3d/memory.md,
# "Single-GPU batch sizes").
# Step memory (fp32, tools/benchmarks/benchmark_memory.py on the CPU,
# 81-frame clips extrapolated linearly to 243; docs/benchmarks.md, "pose3d
# training memory per sample"), GiB per sample and step time:
#   without with_cp          2.69 GiB  (x 32 = 86 GiB: does not fit 80 GB)
#   with_cp every 2nd block  1.38 GiB  1.33x the step time (one round)
#   with_cp on every block   0.12 GiB  1.55x the step time (one round)
# Every 2nd block is checkpointed: predicted peak on an 80 GB GPU at batch
# 32 is 32 x 1.383 + 0.3 (weights, gradients, AdamW state of 19M
# parameters) = about 45 GiB. `cp_every=1` (every block) predicts 4 GiB.
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (batch 16); `--auto-scale-lr` scales it.
_base_ = ['./motionagformer-l_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True, cp_every=2))
train_dataloader = dict(batch_size=32)
