#!/usr/bin/env bash
# Co-speech gesture demo (bash tools/run_demo.sh gesture):
#   1. SYNTHETIC BEAT-format data (75-joint BVH at 120 fps + 16 kHz speech-like
#      wav with stressed beats; arm/hand strokes peak on the beats) converted
#      by the real BEAT converter,
#   2. the FGD autoencoder (configs/gesture/motion-ae-tiny_*-60e_*; it must
#      pass the FGD quality gate),
#   3. the gesture GAN (configs/gesture/gesture-gan-tiny_*: curriculum, GAN
#      balance, AMP from epoch 8) on the CPU,
#   4. evaluation through tools/test.py,
#   5. the model beside the baselines (hold-seed, mean pose, random real
#      clip, real motion with mismatched audio) and its shuffled-audio
#      control, with the metrics' noise, on windows and on whole sequences
#      (work_dirs/gesture_demo_results.json / .md),
#   6. a video of generated motion for a held-out (test split) wav, with
#      its audio and waveform, and a BVH.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T0=$(date +%s)
say() { printf '\n[gesture demo %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
bash tools/install.sh
VENV=${MMEXT_VENV:-$ROOT/.venv}
PY=${PYTHON:-$VENV/bin/python}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
DATA=data/gesture_demo
AE_CFG=configs/gesture/motion-ae-tiny_1xb32-60e_beat-demo.py
GAN_CFG=configs/gesture/gesture-gan-tiny_1xb16-12e_beat-demo.py
AE_DIR=work_dirs/gesture_demo_ae
GAN_DIR=work_dirs/gesture_demo_gan

if [ ! -f "$DATA/beat/skeleton.json" ]; then
    say "generating SYNTHETIC BEAT-format data in $DATA"
    "$PY" tools/misc/generate_gesture_demo.py --out-dir "$DATA"
fi
say "training the FGD autoencoder -> $AE_DIR"
"$PY" tools/train.py "$AE_CFG" --work-dir "$AE_DIR" --resume \
    > "$AE_DIR.train.log" 2>&1 || { tail -n 30 "$AE_DIR.train.log"; exit 1; }
AE_CKPT=$(ls -t "$AE_DIR"/best_motion_ae_mpjpe_epoch_*.pth | head -n 1)
say "training the gesture GAN -> $GAN_DIR (log: $GAN_DIR.train.log)"
"$PY" tools/train.py "$GAN_CFG" --work-dir "$GAN_DIR" --resume \
    --cfg-options val_evaluator.fgd_checkpoint="$AE_CKPT" \
    > "$GAN_DIR.train.log" 2>&1 || { tail -n 30 "$GAN_DIR.train.log"; exit 1; }
grep -E '\[GAN\] =====|\[GANBalance\]|\[AMP\]' "$GAN_DIR.train.log" \
    | sed 's/^.* - mmengine - INFO - //' | head -n 40 || true
CKPT=$(cat "$GAN_DIR/last_checkpoint")  # the final epoch
say "evaluating $CKPT through tools/test.py"
"$PY" tools/test.py "$GAN_CFG" "$CKPT" --work-dir "$GAN_DIR" \
    --cfg-options test_evaluator.fgd_checkpoint="$AE_CKPT" \
    > "$GAN_DIR.test.log" 2>&1 || { tail -n 30 "$GAN_DIR.test.log"; exit 1; }
grep -o 'gesture/FGD.*' "$GAN_DIR.test.log" | tail -n 1 || true
say "the model beside the baselines (test split of the synthetic data)"
"$PY" tools/analysis_tools/gesture_baselines.py "$GAN_CFG" "$CKPT" \
    --fgd-checkpoint "$AE_CKPT" --sequences --loss-balance 4 \
    --json work_dirs/gesture_demo_results.json \
    --out work_dirs/gesture_demo_results.md
WAV="$DATA/beat_src/$(head -n 1 "$DATA/beat/splits/test.txt").wav"
say "rendering generated motion for the held-out $WAV"
"$PY" tools/inference/gesture_inference.py "$GAN_CFG" "$CKPT" "$WAV" \
    --out work_dirs/gesture_demo/motion.npz \
    --bvh work_dirs/gesture_demo/motion.bvh \
    --video work_dirs/gesture_demo/motion.mp4
cat <<MSG

Table:   work_dirs/gesture_demo_results.json (and .md)
Video:   work_dirs/gesture_demo/motion.mp4 (skeleton, waveform, audio)
BVH:     work_dirs/gesture_demo/motion.bvh
Logs:    $GAN_DIR.train.log ([GAN] / [GANBalance] / [AMP] lines)
Scalars: $GAN_DIR/<timestamp>/vis_data/scalars.json (gan/* every iteration)
Done in $(( $(date +%s) - T0 )) s. Numbers on synthetic data say nothing
about real BEAT; they show the pipeline learns.
MSG
