#!/usr/bin/env bash
# The main job: "A Look Inside TensorFlow.js Saved Models", replayed natively, with no Python and
# no TF.js needed.
#
# Sets everything up (scripts/setup.sh) and builds tfjs in Release, then:
#   1. trains the blog's y = 2x - 1 model natively (Dense(1), sgd, meanSquaredError, 500 epochs,
#      the blog's six points, given as JSON: --x '[[-1],[0],...]') and saves it as a TF.js
#      layers model;
#   2. saves it as a Keras .h5 too (tfjs train --h5);
#   3. converts the .h5 to TF.js with --quantize_uint8 (the blog's tensorflowjs_converter step);
#   4. looks inside both models: metadata (generatedBy / convertedBy), the topology as a Keras
#      summary, the training config, the manifest, every weight decoded, and the bytes of each
#      .bin with the float32 values (and the uint8 codes with their dequantized values) beside
#      them, and the integrity check;
#   5. predicts y for x = 10 natively with both models and, when Node and the pinned TF.js are
#      there (tests/oracle), with the real TF.js from the saved files.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/out/walkthrough}

export BUILD_DIR=${BUILD_DIR:-$ROOT/build}
"$ROOT/scripts/build.sh"
TFJS="$BUILD_DIR/tfjs"

step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }
rm -rf "$OUT"
mkdir -p "$OUT"
# The blog's six points, as JSON on the command line (shape [6, 1]; no .npy files, no Python).
XS='[[-1],[0],[1],[2],[3],[4]]'
YS='[[-3],[-1],[1],[3],[5],[7]]'
X10='[[10]]'

step "1. Train y = 2x - 1 natively: Dense(1), sgd, meanSquaredError, 500 epochs on the blog's six points"
"$TFJS" train in:1,dense:1 --x "$XS" --y "$YS" --epochs 500 --optimizer sgd \
  --loss meanSquaredError --seed 1587980957 --history "$OUT/history.json" --quiet \
  --out "$OUT/trained" --h5 "$OUT/linear.h5"
"$TFJS" weights "$OUT/trained" --values -1

step "2. Saved twice: as a TF.js layers model and as a Keras .h5 (no Python)"
ls -l "$OUT/trained" "$OUT/linear.h5"

step "3. The converter step: tfjs convert linear.h5 linear --quantize_uint8"
"$TFJS" convert "$OUT/linear.h5" "$OUT/linear" --quantize_uint8 --report --sample "$X10"

for m in trained linear; do
  step "4. Inside $m: metadata, topology (as a Keras summary), training config and manifest"
  "$TFJS" inspect "$OUT/$m"
  step "4. Inside $m: the weights, decoded (no IEEE-754 converter needed)"
  "$TFJS" weights "$OUT/$m" --stats --values -1
  step "4. Inside $m: group1-shard1of1.bin byte by byte, each value beside its bytes"
  "$TFJS" hexdump "$OUT/$m" --all
  "$TFJS" validate "$OUT/$m"
done

step "5. Predict y for x = 10 natively (the blog's model.predict)"
for m in trained linear; do
  printf '%-8s tfjs-cpp: ' "$m"
  "$TFJS" predict "$OUT/$m" --input "$X10"
done
if command -v node >/dev/null 2>&1 && [ -d "$ROOT/tests/oracle/node_modules/@tensorflow/tfjs" ]; then
  for m in trained linear; do
    printf '%-8s TF.js:    ' "$m"
    node "$ROOT/tests/oracle/predict_value.mjs" "$OUT/$m" 10
  done
else
  echo "(Node or the pinned TF.js is not installed: the TF.js cross-check is skipped)"
fi

printf '\nDone. The models are in %s\n' "$OUT"
