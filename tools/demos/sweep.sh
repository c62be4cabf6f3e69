#!/usr/bin/env bash
# Research-workflow demo:  bash tools/run_demo.sh sweep
#   1. install what is missing (tools/install.sh) and generate the SYNTHETIC
#      Human3.6M-format demo data (as the main demo does);
#   2. run a small Optuna sweep on the pose demo config: TRIALS trials
#      (default 4) of EPOCHS epochs (default 2) over the learning rate and the
#      stream variant (sweeps/pose3d_demo.py), every trial a real
#      training run through tools/dist_train.sh, pruned by the median rule;
#   3. print the sweep summary (best trials, importances, Optuna plots,
#      best config) and the sweep overhead per trial;
#   4. test the two best trials with per-sample errors, count their
#      parameters and MACs, and write the report (Markdown + HTML) from the
#      trial work dirs, with the paired significance test between them.
# Re-running continues the same study (finished trials are not repeated).
#   [GPUS=1] [TRIALS=4] [EPOCHS=2] bash tools/run_demo.sh sweep
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T0=$(date +%s)
say() { printf '\n[sweep demo %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

# MMEXT_SKIP_INSTALL=1: the venv is managed elsewhere (shared machines)
if [ -z "${MMEXT_SKIP_INSTALL:-}" ]; then
    bash tools/install.sh
fi
VENV=${MMEXT_VENV:-$ROOT/.venv}
export PYTHON="$VENV/bin/python" PYTHONUNBUFFERED=1
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"
GPUS=${GPUS:-1}
TRIALS=${TRIALS:-4}
EPOCHS=${EPOCHS:-2}
DATA=data/h36m_demo
CONFIG=configs/pose3d/motionagformer/motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py
STUDY=pose3d-demo
SWEEP=work_dirs/sweeps/$STUDY
# trials run one after the other: on a CPU each may use two threads
if [ "$("$PYTHON" -c 'import torch; print(int(torch.cuda.is_available()))')" = 0 ]; then
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
fi

if [ ! -f "$DATA/motion3d/h36m_sh_conf_cam_source_final.pkl" ]; then
    say "generating synthetic Human3.6M-format data in $DATA"
    "$PYTHON" tools/misc/generate_pose3d_demo.py --out-dir "$DATA" \
        --train-subjects S1 S5 S6 S7 S8 --test-subjects S9
fi

say "sweep: $TRIALS trials x $EPOCHS epochs, $GPUS process(es) each -> $SWEEP"
"$PYTHON" tools/sweep.py "$CONFIG" --space sweeps/pose3d_demo.py \
    --study "$STUDY" --trials "$TRIALS" --gpus "$GPUS" --seed 0 \
    --sampler tpe --pruner median --n-startup-trials 2 \
    --cfg-options "train_cfg.max_epochs=$EPOCHS"

say "summary"
"$PYTHON" tools/sweep.py "$CONFIG" --study "$STUDY" --summary

# the two best completed trials: test them with per-sample errors
mapfile -t BEST < <("$PYTHON" - "$SWEEP/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
done = [t for t in s['trials'] if t['state'] == 'COMPLETE']
done.sort(key=lambda t: t['value'], reverse=s['direction'] == 'maximize')
for t in done[:2]:
    print(t['work_dir'])
PY
)
for wd in "${BEST[@]}"; do
    ckpt=$(ls -t "$wd"/best_*.pth | head -n 1)
    say "testing $ckpt (per-sample errors -> $wd/per_sample.json)"
    PORT=$(( 29600 + RANDOM % 1000 )) bash tools/dist_test.sh \
        "$wd/trial_config.py" "$ckpt" "$GPUS" --work-dir "$wd" \
        --per-sample "$wd/per_sample.json" > "$wd/test.log" 2>&1 || {
        tail -n 30 "$wd/test.log"; exit 1; }
done
TRIAL_DIRS=()
for wd in "$SWEEP"/trial_*; do
    [ -f "$wd/trial_config.py" ] || continue
    TRIAL_DIRS+=("$wd")
    if [ ! -f "$wd/complexity.json" ]; then
        "$PYTHON" tools/analysis_tools/get_flops.py "$wd/trial_config.py" \
            --no-table --out "$wd/complexity.json" > /dev/null
    fi
done
if [ "${#BEST[@]}" -ge 2 ]; then
    say "paired comparison of the two best trials on the same test frames"
    "$PYTHON" tools/analysis_tools/compare_runs.py \
        "${BEST[1]}/per_sample.json" "${BEST[0]}/per_sample.json"
fi

say "report from the trial work dirs"
BASE_ARGS=()
if [ "${#BEST[@]}" -ge 2 ]; then
    BASE_ARGS=(--baseline "$(basename "${BEST[1]}")")
fi
"$PYTHON" tools/analysis_tools/report.py "${TRIAL_DIRS[@]}" \
    --out "$SWEEP/report" --metric MPJPE --title "Sweep $STUDY" \
    "${BASE_ARGS[@]}"

"$PYTHON" - "$SWEEP/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
share = s.get('overhead_share')
t = [r for r in s['trials'] if r['trial_seconds'] and r['train_seconds']]
if share is not None:
    print(f'sweep overhead: {100 * share:.1f}% of trial time is spent '
          f'outside the train loop (process start, imports, model and data '
          f'build, bookkeeping), over {len(t)} trials')
PY
cat <<MSG

Sweep:     $SWEEP/ (study.db, trial_<n>/, summary.json, *.png/pdf plots)
Best:      $SWEEP/best_config.py
Report:    $SWEEP/report/report.md and report.html
Done in $(( $(date +%s) - T0 )) s.
MSG
