#!/usr/bin/env bash
# Quick-start command (2): install what is missing, then run the whole test
# suite on the CPU (CUDA-only tests skip themselves without a GPU).
#   bash tools/run_tests.sh [pytest args...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/install.sh"
VENV=${MMEXT_VENV:-$ROOT/.venv}
cd "$ROOT"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONUNBUFFERED=1
exec "$VENV/bin/python" -m pytest tests -q -ra --durations=15 "$@"
