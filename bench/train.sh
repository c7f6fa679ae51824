#!/usr/bin/env bash
# bench/train.sh — the training benchmark, in one run (issue 5):
#   the walkthrough model (Dense(1), sgd, meanSquaredError) for 500 epochs on its six points, and
#   one epoch of an MLP 784 -> 256 (relu) -> 10 (softmax) with adam and categoricalCrossentropy
#   on 60000 seeded random samples, batch 32 (1875 steps); and, informational (not part of the
#   goal), one epoch of a small CNN (28x28x1 -> conv2d 8 3x3 relu -> maxpool 2 -> conv2d 16 3x3
#   relu -> maxpool 2 -> flatten -> dense 10 softmax) with adam and categoricalCrossentropy on
#   2000 seeded random images, batch 32 (63 steps);
# each trained by
#   ours at 1 thread      `tfjs train SPEC ... --threads 1 --json` (fitSeconds: fit alone)
#   ours at all cores     the same with --threads $(nproc)
#   TF.js cpu / wasm      bench/train_tfjs.mjs (model.fit alone; wasm: SIMD, one thread)
# on the same data (bench/train_tfjs.mjs --data writes it as .npy), with shuffling on for both
# (each its own order). Each figure is the best of TRAIN_REPEATS runs (default 2; TF.js's cpu
# MLP and CNN epochs run once). TF.js's wasm backend cannot train the CNN (no
# Conv2DBackpropFilter kernel): its cell reads n/a. Prints a table and writes the training section of bench/RESULTS.md
# (between its <!-- train:begin --> / <!-- train:end --> markers). Goal: at least 10x faster
# than the fastest TF.js backend. Takes about 3 minutes on 2 cores.
# Environment: BUILD_DIR (default build/), TRAIN_REPEATS, RESULTS (default bench/RESULTS.md;
# "-" writes nothing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
REPEATS=${TRAIN_REPEATS:-2}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
[ -x "$BUILD_DIR/tfjs" ] || "$ROOT/scripts/build.sh"
cmake --build "$BUILD_DIR" --target tfjs_cli >/dev/null
TFJS="$BUILD_DIR/tfjs"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DATA="$BUILD_DIR/bench-train-data"
[ -f "$DATA/cnn_y.npy" ] || node "$ROOT/bench/train_tfjs.mjs" --data "$DATA"

# ours CASE THREADS -> fitSeconds (best of REPEATS)
ours() {
  local spec args best=""
  if [ "$1" = walkthrough ]; then
    spec=in:1,dense:1
    args=(--x "$DATA/walk_x.npy" --y "$DATA/walk_y.npy" --epochs 500 --optimizer sgd --loss meanSquaredError)
  elif [ "$1" = cnn ]; then
    spec=in:28x28x1,conv2d:8:3:relu,maxpool2d:2,conv2d:16:3:relu,maxpool2d:2,flatten,dense:10:softmax
    args=(--x "$DATA/cnn_x.npy" --y "$DATA/cnn_y.npy" --epochs 1 --optimizer adam --loss categoricalCrossentropy)
  else
    spec=in:784,dense:256:relu,dense:10:softmax
    args=(--x "$DATA/mlp_x.npy" --y "$DATA/mlp_y.npy" --epochs 1 --optimizer adam --loss categoricalCrossentropy)
  fi
  for _ in $(seq "$REPEATS"); do
    rm -rf "$WORK/out"
    local s
    s=$("$TFJS" train "$spec" "${args[@]}" --batch-size 32 --threads "$2" --quiet --json --out "$WORK/out" |
        node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const j=JSON.parse(t);const h=j.history.loss;console.log(j.fitSeconds+" "+h[h.length-1])})')
    if [ -z "$best" ] || awk -v a="${s%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$s; fi
  done
  echo "$best"
}

# theirs CASE BACKEND -> fitSeconds finalLoss (best of REPEATS)
theirs() {
  local best="" n=$REPEATS
  [ "$1" != walkthrough ] && [ "$2" = cpu ] && n=1
  for _ in $(seq "$n"); do
    local s
    s=$(node "$ROOT/bench/train_tfjs.mjs" --data "$DATA" --case "$1" --backend "$2" |
        node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const j=JSON.parse(t);console.log(j.fitSeconds+" "+j.finalLoss)})')
    if [ -z "$best" ] || awk -v a="${s%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$s; fi
  done
  echo "$best"
}

CORES=$(nproc)
{
  echo "{\"cores\": $CORES, \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\", \"rows\": ["
  first=1
  for c in walkthrough mlp cnn; do
    for who in "ours 1" "ours $CORES" "theirs cpu" "theirs wasm"; do
      set -- $who
      echo "  $c $who ..." >&2
      if [ "$c" = cnn ] && [ "$1 $2" = "theirs wasm" ]; then
        r="null null"  # tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter: it cannot train a CNN
      else
        r=$("$1" "$c" "$2")
      fi
      [ $first = 1 ] || echo ","
      first=0
      printf '{"case": "%s", "who": "%s", "how": "%s", "seconds": %s, "loss": %s}' "$c" "$1" "$2" ${r% *} ${r#* }
    done
  done
  echo "]}"
} > "$WORK/train.json"
node "$ROOT/bench/train_report.mjs" "$WORK/train.json" "$RESULTS"
