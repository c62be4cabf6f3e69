#!/usr/bin/env bash
# Install mmext and its pinned dependency set (requirements.txt) into a
# virtual environment: $MMEXT_VENV, default <repo>/.venv. Idempotent: a
# second run only checks that everything imports (a few seconds).
#
#   bash tools/install.sh            # then: . .venv/bin/activate
#
# Environment:
#   MMEXT_VENV          venv path (default <repo>/.venv)
#   MMEXT_PYTHON        interpreter used to create it (default python3)
#   MMEXT_WHEEL_CACHE   where the compiled mmcv wheel is cached
#                       (default ~/.cache/mmext/wheels)
#   MAX_JOBS            parallel compile jobs for mmcv (default: nproc)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MMEXT_VENV:-$ROOT/.venv}
CACHE=${MMEXT_WHEEL_CACHE:-$HOME/.cache/mmext/wheels}
TORCH_SPEC=${MMEXT_TORCH:-"torch==2.14.1 torchvision==0.29.1"}
MMCV_VERSION=2.1.0
T0=$(date +%s)
say() { printf '[install %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtual environment $VENV"
    "${MMEXT_PYTHON:-python3}" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install -q --disable-pip-version-check)

stamp="$VENV/.mmext-install-$(cat "$ROOT/requirements.txt" "$ROOT/tools/install.sh" "$ROOT/setup.py" | sha1sum | cut -c1-12)"
check_imports() {
    "$PY" - <<'PYEOF'
import mmcv, mmcv.ops, mmengine, mmpose, mmaction, mmdet, torch, torchvision
import timm, tensorboard
import mmext
import mmpose.models, mmaction.models  # needs the upstream patches
print(f'torch {torch.__version__} | mmengine {mmengine.__version__} | '
      f'mmcv {mmcv.__version__} | mmpose {mmpose.__version__} | '
      f'mmaction2 {mmaction.__version__} | mmext {mmext.__version__}')
PYEOF
}
# where the venv's mmext comes from (imported outside any checkout): a venv
# shared with another checkout (MMEXT_VENV) may point at that one
mmext_root() {
    (cd / && "$PY" -c 'import mmext, os.path as p
print(p.dirname(p.dirname(p.realpath(mmext.__file__))))' 2>/dev/null)
}
if [ -f "$stamp" ] && check_imports 2>/dev/null; then
    where=$(mmext_root)
    if [ "$where" != "$(cd "$ROOT" && pwd -P)" ]; then
        say "mmext in $VENV came from ${where:-nowhere}; installing this" \
            "checkout ($ROOT) in its place (editable)"
        "${PIP[@]}" --no-deps --no-build-isolation -e "$ROOT"
    fi
    say "already installed ($VENV)"
    exit 0
fi

say "pip tooling (setuptools<81: mmengine and mmcv import pkg_resources)"
"${PIP[@]}" "setuptools<81" wheel

say "torch: $TORCH_SPEC (a few minutes on a fresh machine)"
"${PIP[@]}" $TORCH_SPEC

say "pinned requirements (requirements.txt)"
"${PIP[@]}" -r "$ROOT/requirements.txt"

torch_ver=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')
wheel_dir="$CACHE/torch-$torch_ver"
if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
    if ! ls "$wheel_dir"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1; then
        say "compiling mmcv $MMCV_VERSION with ops for torch $torch_ver (~12 min on 2 cores; cached in $wheel_dir)"
        build=$(mktemp -d)
        "$PY" -m pip download -q --no-deps --no-binary :all: \
            --no-build-isolation "mmcv==$MMCV_VERSION" -d "$build"
        tar xzf "$build"/mmcv-$MMCV_VERSION.tar.gz -C "$build"
        # torch>=2.13 headers require C++20; mmcv 2.1.0 asks for C++14/17.
        sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' \
            "$build/mmcv-$MMCV_VERSION/setup.py"
        mkdir -p "$wheel_dir"
        (cd "$build/mmcv-$MMCV_VERSION" && \
            MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
            "$PY" -m pip wheel -q --no-deps --no-build-isolation \
            -w "$wheel_dir" .)
        rm -rf "$build"
    fi
    say "installing mmcv $MMCV_VERSION from $wheel_dir"
    "${PIP[@]}" --no-deps --force-reinstall "$wheel_dir"/mmcv-$MMCV_VERSION-*.whl
fi

say "OpenMMLab toolboxes (--no-deps; their real dependencies are pinned)"
"${PIP[@]}" --no-deps mmpose==1.3.2 mmaction2==1.2.0 mmdet==3.3.0

say "mmext (editable)"
"${PIP[@]}" --no-deps --no-build-isolation -e "$ROOT"

say "checking imports"
check_imports
rm -f "$VENV"/.mmext-install-*
touch "$stamp"
say "done: $(du -sh "$VENV" | cut -f1) in $VENV"
