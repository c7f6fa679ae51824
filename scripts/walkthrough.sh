#!/usr/bin/env bash
# The main job: "A Look Inside TensorFlow.js Saved Models", replayed natively.
#
# Sets everything up (scripts/setup.sh), builds tfjs in Release, has the real TF.js (pinned,
# tests/oracle) train the walkthrough's y = 2x - 1 model and save it, then looks inside it with
# the native `tfjs` command: metadata and summary, the manifest, every weight decoded, the bytes
# of group1-shard1of1.bin with the IEEE-754 floats beside them, and the integrity check.
# then predicts natively with `tfjs predict`. (Native training replaces the TF.js step when that
# issue lands.)
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
step "7. Predict natively: the model's y for x = 10 (the blog's model.predict), no TF.js"
node -e '
  const fs = require("fs");  // a 1x1 float32 .npy holding 10
  let h = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (1, 1), }";
  h = h.padEnd(64 - 10 - 1) + "\n";
  const b = Buffer.alloc(10 + h.length + 4);
  b.write("\x93NUMPY", 0, "latin1"); b[6] = 1; b[7] = 0; b.writeUInt16LE(h.length, 8);
  b.write(h, 10, "latin1"); b.writeFloatLE(10, 10 + h.length);
  fs.writeFileSync(process.argv[1], b);' "$OUT/x10.npy"
"$TFJS" predict "$MODEL" --input "$OUT/x10.npy" --output "$OUT/y10.npy" --json
printf 'TF.js computed: '
node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).predict.output[0])' \
  "$MODEL/walkthrough_expected.json"

printf '\nDone. The model is in %s\n' "$MODEL"
