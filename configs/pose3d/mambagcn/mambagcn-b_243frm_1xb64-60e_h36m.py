# MambaGCN-B with the single-GPU batch of 64 (docs/pose3d/memory.md,
# "Single-GPU batch sizes").
# Step memory (fp32, tools/benchmarks/benchmark_memory.py on the CPU,
# 81-frame clips extrapolated linearly to 243; docs/benchmarks.md, "pose3d
# training memory per sample"), GiB per sample and step time:
#   without with_cp          13.1 GiB
#   with_cp every 2nd block   6.6 GiB  1.16x the step time (one round)
#   with_cp on every block    0.95 GiB 1.49x the step time (one round)
# On the CPU most of it is the pure-PyTorch selective scan, which keeps its
# (L, D, N) states; on a GPU mamba_ssm's kernel recomputes them, so GPU
# figures are lower (not measured). Every block is checkpointed: predicted
# peak on an 80 GB GPU at batch 64 is at most 64 x 0.947 + 0.2 = 61 GiB.
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (batch 16); `--auto-scale-lr` scales it.
_base_ = ['./mambagcn-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True))
train_dataloader = dict(batch_size=64)
