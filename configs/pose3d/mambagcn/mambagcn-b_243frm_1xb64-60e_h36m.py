# MambaGCN-B with the users' single-GPU batch of 64.
# Step memory (fp32, tools/analysis_tools/benchmark_memory.py on the CPU; see
# docs/benchmarks.md, "pose3d training memory per sample"):
#   not measured for MambaGCN in this session (only B was); with_cp on
#   every block is the safe choice, since B alone needs 1.61 GiB per sample
#   without it (x 64 = 103 GiB). No peak prediction is given.
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (batch 16); `--auto-scale-lr` scales it.
_base_ = ['./mambagcn-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True))
train_dataloader = dict(batch_size=64)
