# Full three-stream MambaGCN-B with the single-GPU batch of 48
# (docs/pose3d/memory.md, "Single-GPU batch sizes").
# Step memory (fp32, tools/benchmarks/benchmark_memory.py on the CPU,
# 81-frame clips extrapolated linearly to 243; docs/benchmarks.md, "pose3d
# training memory per sample"), GiB per sample and step time:
#   without with_cp          14.1 GiB
#   with_cp every 2nd block   7.1 GiB  1.24x the step time (one round)
#   with_cp on every block    1.04 GiB 1.50x the step time (one round)
# On the CPU most of it is the pure-PyTorch selective scan, which keeps its
# (L, D, N) states; on a GPU mamba_ssm's kernel recomputes them, so GPU
# figures are lower (not measured). Every block is checkpointed: predicted
# peak on an 80 GB GPU at batch 48 is at most 48 x 1.043 + 0.3 = 50 GiB.
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (batch 16); `--auto-scale-lr` scales it.
_base_ = ['./mambagcn-b_243frm-full_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True))
train_dataloader = dict(batch_size=48)
