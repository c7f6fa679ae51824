#!/usr/bin/env bash
# bench/run.sh — the load benchmark, in one run:
#   makes a 64 MiB float32 layers-model in 16 shards (tfjs_bench_make_model), warms the page
#   cache, then times `cat` of its files, tfjs::loadModel (and + decodeWeights), and the real
#   TF.js in Node loading the same folder (tfjs_load.mjs), measures the peak RSS of one load, prints
#   a table with the ratios and rewrites bench/RESULTS.md.
#
# Expects the build folder of scripts/build.sh (build/, or $BUILD_DIR; runs scripts/build.sh when
# there is none) and builds the two bench targets there. Takes about 15-30 s.
# Environment: BUILD_DIR, MODEL_DIR (default $BUILD_DIR/bench-model), BENCH_MIB (64),
# BENCH_SHARDS (16), CAT_REPEATS (30), OUR_REPEATS (20), TFJS_REPEATS (10),
# RESULTS (default bench/RESULTS.md).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
MODEL_DIR=${MODEL_DIR:-$BUILD_DIR/bench-model}
MIB=${BENCH_MIB:-64}
SHARDS=${BENCH_SHARDS:-16}
CAT_REPEATS=${CAT_REPEATS:-30}
OUR_REPEATS=${OUR_REPEATS:-20}
TFJS_REPEATS=${TFJS_REPEATS:-10}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}

die() { echo "bench/run.sh: $*" >&2; exit 1; }

# --- build --------------------------------------------------------------------------------------
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  echo "== no build in $BUILD_DIR: running scripts/build.sh" >&2
  BUILD_DIR=$BUILD_DIR "$ROOT/scripts/build.sh"
fi
MAKE_MODEL=$BUILD_DIR/bench/tfjs_bench_make_model
LOAD_BENCH=$BUILD_DIR/bench/tfjs_bench_load
# Always (re)build the two targets: a no-op when up to date, and never a stale measurement.
echo "== building tfjs_bench_make_model tfjs_bench_load in $BUILD_DIR" >&2
cmake --build "$BUILD_DIR" --target tfjs_bench_make_model tfjs_bench_load >&2
[[ -x $MAKE_MODEL && -x $LOAD_BENCH ]] ||
  die "no bench binaries in $BUILD_DIR/bench (configured with -DTFJS_BUILD_BENCH=OFF?)"
command -v node >/dev/null || die "node is not installed"
[[ -d $ROOT/tests/oracle/node_modules/@tensorflow/tfjs ]] ||
  die "tests/oracle/node_modules is missing: run 'npm ci' in tests/oracle (scripts/setup.sh)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- the model ----------------------------------------------------------------------------------
echo "== making a ${MIB} MiB model in ${SHARDS} shards: $MODEL_DIR" >&2
"$MAKE_MODEL" "$MODEL_DIR" "$MIB" "$SHARDS" >"$WORK/model.json"
FILES=("$MODEL_DIR/model.json")
while IFS= read -r f; do FILES+=("$f"); done < <(find "$MODEL_DIR" -maxdepth 1 -name '*.bin' | sort)
(( ${#FILES[@]} == SHARDS + 1 )) || die "expected $SHARDS shards in $MODEL_DIR"

# Warm the page cache.
cat "${FILES[@]}" >/dev/null
cat "${FILES[@]}" >/dev/null

# Microseconds taken by a command, from bash's $EPOCHREALTIME (no extra process per sample).
usOf() {
  local s e
  s=${EPOCHREALTIME/./}
  "$@"
  e=${EPOCHREALTIME/./}
  echo $(( 10#$e - 10#$s ))
}
catFiles() { cat "${FILES[@]}" >/dev/null; }
oneLoad() { "$LOAD_BENCH" --once load "$MODEL_DIR" >/dev/null; }

# --- measurements, all in this run --------------------------------------------------------------
# `cat` and a whole `tfjs_bench_load --once load` process, interleaved so that both see the same
# machine load.
echo "== cat and tfjs_bench_load --once load, x$CAT_REPEATS each" >&2
catFiles
oneLoad
CAT_US=()
PROC_US=()
for ((i = 0; i < CAT_REPEATS; ++i)); do
  CAT_US+=("$(usOf catFiles)")
  PROC_US+=("$(usOf oneLoad)")
done

echo "== tfjs_bench_load x$OUR_REPEATS" >&2
"$LOAD_BENCH" "$MODEL_DIR" "$OUR_REPEATS" >"$WORK/ours.json"

echo "== TF.js (node tfjs_load.mjs) x$TFJS_REPEATS" >&2
node --expose-gc "$ROOT/bench/tfjs_load.mjs" "$MODEL_DIR" "$TFJS_REPEATS" >"$WORK/tfjs.json"

# --- facts about the machine and the build ------------------------------------------------------
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
join() { local IFS=,; echo "$*"; }
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
CXX=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
CXX_VERSION=$("${CXX:-c++}" --version 2>/dev/null | head -1 || echo unknown)
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
THP=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)
MEM_KB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
VIRT=false
grep -qw hypervisor /proc/cpuinfo && VIRT=true
cat >"$WORK/meta.json" <<EOF
{
  "date": $(json_str "$(date -u '+%Y-%m-%d %H:%M UTC')"),
  "nproc": $(nproc),
  "cpu": $(json_str "${CPU:-unknown}"),
  "memory": $(json_str "$((MEM_KB / 1024 / 1024)) GiB"),
  "kernel": $(json_str "$(uname -r)"),
  "virtualized": $VIRT,
  "thp": $(json_str "$THP"),
  "loadavg": $(json_str "$(cut -d' ' -f1-3 /proc/loadavg)"),
  "compiler": $(json_str "$CXX_VERSION"),
  "buildType": $(json_str "${BUILD_TYPE:-unknown}"),
  "model": $(cat "$WORK/model.json"),
  "catUs": [$(join "${CAT_US[@]}")],
  "processUs": [$(join "${PROC_US[@]}")]
}
EOF

node "$ROOT/bench/report.mjs" "$WORK/meta.json" "$WORK/ours.json" "$WORK/tfjs.json" "$RESULTS"
