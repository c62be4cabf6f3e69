#!/usr/bin/env bash
# A Slurm job array whose every task pulls trials from ONE Optuna study.
# Usage:
#   [TASKS=8] [GPUS_PER_TASK=1] [CPUS_PER_TASK=5] [SBATCH_ARGS=...] \
#   bash tools/slurm_sweep.sh PARTITION STUDY CONFIG SPACE STORAGE_URL [sweep.py args]
# e.g.
#   TASKS=12 bash tools/slurm_sweep.sh gpu lr-bs-wd \
#       configs/pose3d/mambagcn/mambagcn-b_243frm_1xb16-60e_h36m.py \
#       sweeps/pose3d_lr-bs-wd_grid.py \
#       postgresql://optuna@dbhost:5432/optuna --sampler grid
# STORAGE_URL must be reachable from every node: PostgreSQL for many
# machines, or journal:///shared/fs/study.log on a shared filesystem (SQLite
# is for one machine). Each array task runs tools/sweep.py, which trains one
# trial at a time with GPUS_PER_TASK processes (tools/dist_train.sh) until
# the study holds --trials finished trials (the grid size with --sampler
# grid); a task that dies is noticed by its missing heartbeat and its trial
# is retried by another task. Each task's worker id is its array task
# (slurm-<job>_<task>), so tasks that share --seed still sample different
# points. Logs: work_dirs/sweeps/<study>/slurm-<job>_<task>.out
set -euo pipefail
PARTITION=${1:?partition}
STUDY=${2:?study name}
CONFIG=${3:?config}
SPACE=${4:?space file}
STORAGE=${5:?storage URL (postgresql://... or journal:///shared/path.log)}
shift 5
TASKS=${TASKS:-8}
GPUS_PER_TASK=${GPUS_PER_TASK:-1}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SBATCH_ARGS=${SBATCH_ARGS:-""}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python}
LOGS="$ROOT/work_dirs/sweeps/$STUDY"
mkdir -p "$LOGS"
cd "$ROOT"

# Check the config, the space and the storage and create the study once,
# before the array starts (tools/sweep.py --check: every space key is looked
# up in the merged config, every distribution checked, the storage opened
# and a study of that name with another space refused), so that a mistake
# fails here with one message instead of in every task.
PYTHONPATH="$ROOT:${PYTHONPATH:-}" "$PYTHON" tools/sweep.py "$CONFIG" \
    --space "$SPACE" --study "$STUDY" --storage "$STORAGE" --check "$@"

ARGS=$(printf '%q ' "$@")
# shellcheck disable=SC2086
sbatch -p "$PARTITION" \
    --job-name="sweep-$STUDY" \
    --array="0-$((TASKS - 1))" \
    --nodes=1 \
    --ntasks=1 \
    --gres=gpu:"$GPUS_PER_TASK" \
    --cpus-per-task=$((CPUS_PER_TASK * GPUS_PER_TASK)) \
    --output="$LOGS/slurm-%A_%a.out" \
    ${SBATCH_ARGS} \
    --wrap="cd '$ROOT' && PYTHONPATH='$ROOT':\$PYTHONPATH \
'$PYTHON' -u tools/sweep.py '$CONFIG' --space '$SPACE' --study '$STUDY' \
--storage '$STORAGE' --gpus $GPUS_PER_TASK $ARGS"
