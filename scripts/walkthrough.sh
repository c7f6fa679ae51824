#!/usr/bin/env bash
# The main job: "A Look Inside TensorFlow.js Saved Models", replayed natively.
#
# Sets everything up (scripts/setup.sh), builds tfjs in Release, has the real TF.js (pinned,
# tests/oracle) train the walkthrough's y = 2x - 1 model and save it, then looks inside it with
# the native `tfjs` command: metadata and summary, the manifest, every weight decoded, the bytes
# of group1-shard1of1.bin with the IEEE-754 floats beside them, and the integrity check.
# (Native training and prediction replace the TF.js step when those issues land.)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/out/walkthrough}

export BUILD_DIR=${BUILD_DIR:-$ROOT/build}
"$ROOT/scripts/build.sh"
TFJS="$BUILD_DIR/tfjs"
MODEL="$OUT/linear"

step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

step "1. Train y = 2x - 1 with TF.js (Dense(1), sgd, meanSquaredError, 500 epochs) and save it"
node "$ROOT/tests/oracle/make_walkthrough.mjs" "$MODEL"
ls -l "$MODEL"

step "2. Reading model.json: metadata, topology (as a Keras summary) and the weights manifest"
"$TFJS" inspect "$MODEL"

step "3. The weights, decoded (no IEEE-754 converter needed)"
"$TFJS" weights "$MODEL" --stats --values -1

step "4. The binary weights file, byte by byte, with the little-endian floats beside the bytes"
"$TFJS" hexdump "$MODEL" --all

step "5. Is it intact?"
"$TFJS" validate "$MODEL"

step "6. The same, machine-readable (tfjs inspect --json), e.g. for a CI check"
"$TFJS" inspect "$MODEL" --json | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
    const j = JSON.parse(s);
    for (const w of j.weights) console.log(`${w.name} ${JSON.stringify(w.shape)} ${w.dtype} @${w.byteOffset}+${w.byteLength} in ${w.shards.join(",")}`);
    console.log(`totalParams ${j.totalParams}, intact: ${j.integrity.ok}`);
  });'
printf '\nDone. The model is in %s\n' "$MODEL"
