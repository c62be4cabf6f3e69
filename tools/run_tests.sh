#!/usr/bin/env bash
# Quick-start command (2): install what is missing, then run the whole test
# suite on the CPU (CUDA-only tests skip themselves without a GPU).
#   [MMEXT_TEST_WORKERS=N] bash tools/run_tests.sh [pytest args...]
# Test files run in parallel (pytest-xdist, --dist loadfile: a file's tests
# and module fixtures stay on one worker), one worker per core up to 4, each
# with one BLAS/OpenMP thread; MMEXT_TEST_WORKERS=1 runs them serially.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/install.sh"
VENV=${MMEXT_VENV:-$ROOT/.venv}
cd "$ROOT"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONUNBUFFERED=1
# (GNU nproc honours OMP_NUM_THREADS, hence env -u)
workers=${MMEXT_TEST_WORKERS:-$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)}
if ! [[ "$workers" =~ ^[0-9]+$ ]]; then
    echo "error: MMEXT_TEST_WORKERS must be a number, got '$workers'" >&2
    exit 2
fi
(( workers > 4 )) && [ -z "${MMEXT_TEST_WORKERS:-}" ] && workers=4
parallel=()
(( workers > 1 )) && parallel=(-n "$workers" --dist loadfile)
exec "$VENV/bin/python" -m pytest tests -q -ra --durations=15 \
    ${parallel[@]+"${parallel[@]}"} "$@"
