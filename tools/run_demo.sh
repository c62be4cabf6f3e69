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
# Other research lines have their own demo, tools/demos/LINE.sh:
#   bash tools/run_demo.sh LINE [args...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ $# -gt 0 ] && [ "$1" != pose3d ]; then
    line=$1
    shift
    if [ ! -f "tools/demos/$line.sh" ]; then
        lines=$(cd tools/demos && ls -- *.sh 2>/dev/null | sed 's/\.sh$//' | tr '\n' ' ' || true)
        echo "error: no demo for research line '$line' (tools/demos/$line.sh);" \
            "choose one of: pose3d (default) ${lines}" >&2
        exit 2
    fi
    exec bash "tools/demos/$line.sh" "$@"
elif [ $# -gt 0 ]; then
    shift
fi
T0=$(date +%s)
say() { printf '\n[demo %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

bash tools/install.sh
VENV=${MMEXT_VENV:-$ROOT/.venv}
export PYTHON="$VENV/bin/python" PYTHONUNBUFFERED=1
GPUS=${GPUS:-1}
DATA=data/h36m_demo

if [ ! -f "$DATA/motion3d/h36m_sh_conf_cam_source_final.pkl" ]; then
    say "generating synthetic Human3.6M-format data in $DATA"
    "$PYTHON" tools/misc/generate_pose3d_demo.py --out-dir "$DATA" \
        --train-subjects S1 S5 S6 S7 S8 --test-subjects S9
fi

CONFIGS=(
    configs/pose3d/motionagformer/motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py
    configs/pose3d/mambagcn/mambagcn-xs4l_27frm_1xb16-10e_h36m-demo.py
)
# The two models train side by side (one CPU thread each without CUDA);
# their full logs go to work_dirs/<name>.train.log.
WORK_DIRS=()
PIDS=()
port=${PORT:-29500}
threads=$("$PYTHON" -c 'import torch; print(0 if torch.cuda.is_available() else 1)')
for cfg in "${CONFIGS[@]}"; do
    name=$(basename "$cfg" .py)
    wd="work_dirs/$name"
    WORK_DIRS+=("$wd")
    mkdir -p "$wd"
    say "training $name ($GPUS process(es)) -> $wd (log: $wd.train.log)"
    if [ "$threads" = 1 ]; then export OMP_NUM_THREADS=1; fi
    PORT=$port bash tools/dist_train.sh "$cfg" "$GPUS" --work-dir "$wd" \
        --resume > "$wd.train.log" 2>&1 &
    PIDS+=($!)
    port=$((port + 1))
done
while kill -0 "${PIDS[@]}" 2>/dev/null; do
    sleep 30
    for wd in "${WORK_DIRS[@]}"; do
        last=$(grep -ho 'Epoch(val) \[[0-9]*\].*MPJPE: [0-9.]*' "$wd.train.log" \
               | tail -n 1 | sed 's/ *P-MPJPE.*//' || true)
        printf '  %-48s %s\n' "$(basename "$wd")" "${last:-(first epoch running)}"
    done
done
for i in "${!PIDS[@]}"; do
    if ! wait "${PIDS[$i]}"; then
        tail -n 30 "${WORK_DIRS[$i]}.train.log"
        echo "error: training failed, see ${WORK_DIRS[$i]}.train.log" >&2
        exit 1
    fi
done
for i in "${!CONFIGS[@]}"; do
    wd=${WORK_DIRS[$i]}
    best=$(ls -t "$wd"/best_MPJPE_epoch_*.pth | head -n 1)
    say "testing the best checkpoint $best"
    PORT=$port bash tools/dist_test.sh "${CONFIGS[$i]}" "$best" "$GPUS" \
        --work-dir "$wd" > "$wd.test.log" 2>&1 || {
        tail -n 30 "$wd.test.log"; exit 1; }
    # the per-action table the metric logged
    awk '/3D pose errors/ {on=1; next} on && /^[+|]/ {print; next} on {exit}' \
        "$wd.test.log" || true
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
