#!/usr/bin/env bash
# bench/infer.sh — the inference benchmark, in one run:
#   makes four models with the real TF.js (bench/infer_models.mjs: MobileNet v1 at 96×96×3 and
#   224×224×3, an MLP 64→2048→2048→10, an LSTM(256) over 100×64; cached in the build folder),
#   then for every model × batch {1, 32} times
#     ours at 1 thread      `tfjs bench MODEL --batch N --iters K --json --threads 1`
#     ours at all cores     the same with --threads $(nproc)
#     TF.js wasm            bench/infer_tfjs.mjs --backend wasm (SIMD, one thread: what Node runs)
#     TF.js cpu             bench/infer_tfjs.mjs --backend cpu
#   checks that ours computes what TF.js computes (tfjs predict on a saved input of each model),
#   times OpenBLAS's sgemm on the MLP's batch-32 products (tfjs_bench_sgemm, when built; with
#   OpenBLAS's own kernel choice, and also with $OPENBLAS_CORETYPE when the environment sets
#   it) and oneDNN's sgemm on them, then prints a table with the ratios and writes the inference section of
#   bench/RESULTS.md (between its <!-- infer:begin --> / <!-- infer:end --> markers;
#   bench/run.sh keeps that section).
#
# A model our runtime cannot load or run is reported as "unsupported: <error>" and the run goes
# on. When `tfjs bench` has no --threads option, ours is run once at its default threading and
# the report says so. Peak RSS of every run comes from /usr/bin/time (when installed).
#
# Each measurement gets a time budget (INFER_BUDGET_S seconds of timed calls, after one untimed
# warm-up call); a call slower than the budget is timed once. TF.js's cpu backend needs about a
# minute per MobileNet-224 batch of 32: such a measurement is that one first call (it includes
# TF.js's warm-up, a few percent of that time), marked in the table. Each model is also run once
# with `tfjs predict` on a saved input, and its output compared with TF.js's (a fast wrong answer
# is not a result). Takes about 5 minutes (4.5 on a busy 2-core VM).
#
# Expects the build folder of scripts/build.sh (build/, or $BUILD_DIR; runs scripts/build.sh when
# there is none) and builds `tfjs`, `tfjs_bench_load` and `tfjs_bench_sgemm` there.
# Environment: BUILD_DIR, INFER_MODELS_DIR (default $BUILD_DIR/bench-infer-models),
# INFER_MODELS ("mobilenet96 mobilenet224 mlp lstm"), INFER_BATCHES ("1 32"), INFER_BUDGET_S (8),
# INFER_MAX_ITERS (1000), SGEMM_SECONDS (2), RESULTS (default bench/RESULTS.md; "-" writes nothing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
MODELS_DIR=${INFER_MODELS_DIR:-$BUILD_DIR/bench-infer-models}
MODELS=${INFER_MODELS:-mobilenet96 mobilenet224 mlp lstm}
BATCHES=${INFER_BATCHES:-1 32}
BUDGET_S=${INFER_BUDGET_S:-8}
MAX_ITERS=${INFER_MAX_ITERS:-1000}
SGEMM_SECONDS=${SGEMM_SECONDS:-2}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
NPROC=$(nproc)

die() { echo "bench/infer.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

# --- build --------------------------------------------------------------------------------------
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  say "no build in $BUILD_DIR: running scripts/build.sh"
  BUILD_DIR=$BUILD_DIR "$ROOT/scripts/build.sh"
fi
TFJS=$BUILD_DIR/tfjs
SGEMM=$BUILD_DIR/bench/tfjs_bench_sgemm
LOAD_BENCH=$BUILD_DIR/bench/tfjs_bench_load
# Always (re)build: a no-op when up to date, and never a stale measurement.
say "building tfjs and tfjs_bench_load in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target tfjs_cli tfjs_bench_load >&2
[[ -x $TFJS && -x $LOAD_BENCH ]] ||
  die "no $TFJS or $LOAD_BENCH after building (configured with -DTFJS_BUILD_BENCH=OFF?)"
HAVE_SGEMM=false
if cmake --build "$BUILD_DIR" --target help 2>/dev/null | grep -q 'tfjs_bench_sgemm'; then
  say "building tfjs_bench_sgemm"
  cmake --build "$BUILD_DIR" --target tfjs_bench_sgemm >&2
  HAVE_SGEMM=true
else
  say "OpenBLAS was not found at configure time (libopenblas-dev): no sgemm reference this run"
fi
command -v node >/dev/null || die "node is not installed"
[[ -d $ROOT/tests/oracle/node_modules/@tensorflow/tfjs-backend-wasm ]] ||
  die "tests/oracle/node_modules is missing: run 'npm ci' in tests/oracle (scripts/setup.sh)"
TIME=()
if [[ -x /usr/bin/time ]]; then TIME=(/usr/bin/time -f '%M'); else say "no /usr/bin/time: no peak RSS"; fi

THREADS_OPTION=false
if "$TFJS" bench --help 2>&1 | grep -q -- '--threads'; then THREADS_OPTION=true; fi
$THREADS_OPTION || say "tfjs bench has no --threads option yet: ours runs once, at its default threading"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- the models (made once, remade when infer_models.mjs or TF.js changes) ---------------------
STAMP=$( (sha256sum "$ROOT/bench/infer_models.mjs" "$ROOT/tests/oracle/lib.mjs" \
           "$ROOT/tests/oracle/package-lock.json" | cut -d' ' -f1) | sha256sum | cut -d' ' -f1)
if [[ ! -f $MODELS_DIR/stamp || $(cat "$MODELS_DIR/stamp") != "$STAMP" ]]; then
  say "making the models in $MODELS_DIR"
  rm -rf "$MODELS_DIR"
  mkdir -p "$MODELS_DIR"
  node "$ROOT/bench/infer_models.mjs" "$MODELS_DIR"
  echo "$STAMP" >"$MODELS_DIR/stamp"
else
  say "models are up to date in $MODELS_DIR"
fi

# --- one measurement ----------------------------------------------------------------------------
# run KEY CMD...: stdout -> KEY.out, stderr -> KEY.err, peak RSS (KiB) -> KEY.rss, status -> KEY.rc.
# Never fails: a failed run is reported by the report script.
run() {
  local key=$1
  shift
  local rc=0
  if ((${#TIME[@]})); then
    "${TIME[@]}" -o "$WORK/$key.rss" "$@" >"$WORK/$key.out" 2>"$WORK/$key.err" || rc=$?
  else
    "$@" >"$WORK/$key.out" 2>"$WORK/$key.err" || rc=$?
  fi
  echo "$rc" >"$WORK/$key.rc"
  return 0
}

# ours KEY MODEL BATCH [--threads N]: a probe of one timed call, then as many calls as fit in the
# budget (at least 3, at most INFER_MAX_ITERS); a call slower than a third of the budget keeps the
# probe as the measurement.
ours() {
  local key=$1 model=$2 batch=$3
  shift 3
  run "$key" "$TFJS" bench "$MODELS_DIR/$model" --batch "$batch" --iters 1 --json "$@"
  [[ $(cat "$WORK/$key.rc") == 0 ]] || return 0
  local ms iters
  ms=$(node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).medianMs" \
         "$WORK/$key.out" 2>/dev/null || echo "")
  [[ $ms =~ ^[0-9.e+-]+$ ]] || return 0
  iters=$(awk -v ms="$ms" -v b="$BUDGET_S" -v m="$MAX_ITERS" \
    'BEGIN { n = int(b * 1000 / (ms > 0.001 ? ms : 0.001)); if (n > m) n = m; print n }')
  if ((iters >= 3)); then
    run "$key" "$TFJS" bench "$MODELS_DIR/$model" --batch "$batch" --iters "$iters" --json "$@"
  fi
}

# tfjs KEY MODEL BATCH BACKEND
tfjs() {
  local key=$1 model=$2 batch=$3 backend=$4
  run "$key" node "$ROOT/bench/infer_tfjs.mjs" "$MODELS_DIR/$model" --backend "$backend" \
    --batch "$batch" --iters "$MAX_ITERS" --warmup 1 --budget-s "$BUDGET_S"
}

# --- measurements, all in this run --------------------------------------------------------------
: >"$WORK/runs.tsv"
: >"$WORK/checks.tsv"
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$SECONDS
for model in $MODELS; do
  [[ -d $MODELS_DIR/$model ]] || die "no model '$model' in $MODELS_DIR"
  for batch in $BATCHES; do
    if $THREADS_OPTION; then
      say "$model batch $batch: ours, 1 thread"
      ours "$model.$batch.ours1" "$model" "$batch" --threads 1
      echo -e "$model\t$batch\tours1\t$model.$batch.ours1" >>"$WORK/runs.tsv"
      say "$model batch $batch: ours, $NPROC threads"
      ours "$model.$batch.oursN" "$model" "$batch" --threads "$NPROC"
      echo -e "$model\t$batch\toursN\t$model.$batch.oursN" >>"$WORK/runs.tsv"
    else
      say "$model batch $batch: ours (default threading)"
      ours "$model.$batch.ours" "$model" "$batch"
      echo -e "$model\t$batch\tours1\t$model.$batch.ours" >>"$WORK/runs.tsv"
      echo -e "$model\t$batch\toursN\t$model.$batch.ours" >>"$WORK/runs.tsv"
    fi
    for backend in wasm cpu; do
      say "$model batch $batch: TF.js $backend"
      tfjs "$model.$batch.$backend" "$model" "$batch" "$backend"
      echo -e "$model\t$batch\t$backend\t$model.$batch.$backend" >>"$WORK/runs.tsv"
    done
  done
  # Agreement: ours on the check input (batch 2) at 1 thread and at all cores, against TF.js's
  # output saved by infer_models.mjs.
  say "$model: ours vs TF.js on the check input"
  for threads in 1 "$NPROC"; do
    run "$model.check$threads" "$TFJS" predict "$MODELS_DIR/$model" \
      --input "$MODELS_DIR/$model.check/x.npy" --output "$WORK/$model.check$threads.npy" \
      --threads "$threads"
    echo -e "$model\t$threads\t$model.check$threads" >>"$WORK/checks.tsv"
  done
done
if $HAVE_SGEMM; then
  # OpenBLAS's own choice of kernels for this CPU (OPENBLAS_CORETYPE unset), and, when the
  # environment forces a core type, that one too: the reference is the faster of the two.
  say "OpenBLAS sgemm on the MLP's batch-32 products, 1 and $NPROC threads"
  run sgemm env -u OPENBLAS_CORETYPE "$SGEMM" --batch 32 --seconds "$SGEMM_SECONDS" --threads "$NPROC"
  if [[ -n ${OPENBLAS_CORETYPE:-} ]]; then
    say "... and with OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE from the environment"
    run sgemm_env "$SGEMM" --batch 32 --seconds "$SGEMM_SECONDS" --threads "$NPROC"
  fi
  say "oneDNN sgemm on the same products"
  run sgemm_onednn "$SGEMM" --library onednn --batch 32 --seconds "$SGEMM_SECONDS" --threads "$NPROC"
fi
# Peak RSS baselines: an idle `tfjs` process, and a process that only loads + decodes the MLP
# (tfjs_bench_load --once decode: the weights once, no layers, no predict).
run idle "$TFJS" --version
if [[ -d $MODELS_DIR/mlp ]]; then run loadonly "$LOAD_BENCH" --once decode "$MODELS_DIR/mlp"; fi
ELAPSED=$((SECONDS - START))

# --- facts about the machine and the build ------------------------------------------------------
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
CXX=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
CXX_VERSION=$("${CXX:-c++}" --version 2>/dev/null | head -1 || echo unknown)
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
CXX_FLAGS=$(sed -n 's/^CMAKE_CXX_FLAGS:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
MEM_KB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
VIRT=false
grep -qw hypervisor /proc/cpuinfo && VIRT=true
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
HAVE_TIME=false
((${#TIME[@]})) && HAVE_TIME=true
cat >"$WORK/meta.json" <<EOF
{
  "date": $(json_str "$(date -u '+%Y-%m-%d %H:%M UTC')"),
  "nproc": $NPROC,
  "cpu": $(json_str "${CPU:-unknown}"),
  "memory": $(json_str "$((MEM_KB / 1024 / 1024)) GiB"),
  "kernel": $(json_str "$(uname -r)"),
  "virtualized": $VIRT,
  "loadavgStart": $(json_str "$LOADAVG_START"),
  "loadavgEnd": $(json_str "$(cut -d' ' -f1-3 /proc/loadavg)"),
  "compiler": $(json_str "$CXX_VERSION"),
  "buildType": $(json_str "${BUILD_TYPE:-unknown}"),
  "cxxFlags": $(json_str "$CXX_FLAGS"),
  "version": $(json_str "$("$TFJS" --version 2>/dev/null | head -1)"),
  "threadsOption": $THREADS_OPTION,
  "haveSgemm": $HAVE_SGEMM,
  "openblasCoretypeEnv": $(json_str "${OPENBLAS_CORETYPE:-}"),
  "haveTime": $HAVE_TIME,
  "budgetS": $BUDGET_S,
  "maxIters": $MAX_ITERS,
  "elapsedS": $ELAPSED,
  "modelsDir": $(json_str "$MODELS_DIR")
}
EOF

node "$ROOT/bench/infer_report.mjs" "$WORK" "$MODELS_DIR/models.json" "$RESULTS"
