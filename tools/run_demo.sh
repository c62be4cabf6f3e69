#!/usr/bin/env bash
# Quick-start command (1), the main job:
#   1. install what is missing (tools/install.sh, idempotent),
#   2. generate the SYNTHETIC Human3.6M-format demo data,
#   3. train the MotionAGFormer-XS-width and MambaGCN demo models through
#      tools/dist_train.sh (GPUS processes: GPUs with CUDA, CPU processes
#      without),
#   4. evaluate each best checkpoint through tools/dist_test.sh,
#   5. print the result table built from the work dirs, and where the logs
#      and curves are.
# Re-running resumes/reuses what exists (train.py --resume).
#   [GPUS=1] bash tools/run_demo.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$(date +%s)
say() { printf '\n[demo %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

bash tools/install.sh
VENV=${MMEXT_VENV:-$ROOT/.venv}
export PYTHON="$VENV/bin/python" PYTHONUNBUFFERED=1
GPUS=${GPUS:-1}
DATA=data/h36m_demo

if [ ! -f "$DATA/motion3d/h36m_sh_conf_cam_source_final.pkl" ]; then
    say "generating synthetic Human3.6M-format data in $DATA"
    "$PYTHON" tools/misc/generate_h36m_demo.py --out-dir "$DATA" \
        --train-subjects S1 S5 S6 S7 S8 --test-subjects S9
fi

CONFIGS=(
    configs/pose3d/motionagformer/motionagformer-xs_27frm_1xb16-10e_h36m-demo.py
    configs/pose3d/mambagcn/mambagcn-xs_27frm_1xb16-10e_h36m-demo.py
)
WORK_DIRS=()
for cfg in "${CONFIGS[@]}"; do
    name=$(basename "$cfg" .py)
    wd="work_dirs/$name"
    WORK_DIRS+=("$wd")
    say "training $name ($GPUS process(es)) -> $wd"
    PORT=${PORT:-29500} bash tools/dist_train.sh "$cfg" "$GPUS" \
        --work-dir "$wd" --resume
    best=$(ls -t "$wd"/best_MPJPE_epoch_*.pth | head -n 1)
    say "testing the best checkpoint $best"
    PORT=${PORT:-29500} bash tools/dist_test.sh "$cfg" "$best" "$GPUS" \
        --work-dir "$wd"
done

say "results (held-out subject S9 of the synthetic data; mm)"
"$PYTHON" tools/analysis_tools/collect_results.py "${WORK_DIRS[@]}" \
    --metrics MPJPE P-MPJPE N-MPJPE MPJVE --curve MPJPE \
    --out work_dirs/demo_results.md --plot work_dirs/demo_val_mpjpe.png
cat <<MSG

Table:        work_dirs/demo_results.md
Val curves:   work_dirs/demo_val_mpjpe.png
Logs:         ${WORK_DIRS[0]}/<timestamp>/<timestamp>.log (per-action tables)
Scalars:      <work dir>/<timestamp>/vis_data/scalars.json
TensorBoard:  $VENV/bin/tensorboard --logdir work_dirs
Checkpoints:  <work dir>/best_MPJPE_epoch_*.pth, epoch_*.pth
Done in $(( $(date +%s) - T0 )) s.
MSG
