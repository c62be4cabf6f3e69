# Full three-stream MambaGCN-B with the users' single-GPU batch of 48.
# Step memory (fp32, tools/analysis_tools/benchmark_memory.py on the CPU; see
# docs/benchmarks.md, "pose3d training memory per sample"):
#   not measured for the full model in this session (only B was); it has
#   one stream more than B, which needs 1.61 GiB per sample without
#   with_cp (x 48 = 77 GiB for B alone), so with_cp on every block is set.
#   No peak prediction is given.
# GPU peak memory itself: not measured (no GPU was lent to this work).
# lr stays the recipe's 5e-4 (batch 16); `--auto-scale-lr` scales it.
_base_ = ['./mambagcn-full-b_243frm_1xb16-60e_h36m.py']
model = dict(backbone=dict(with_cp=True))
train_dataloader = dict(batch_size=48)
