#!/usr/bin/env bash
# The whole test suite: sets up; checks the formatting (clang-format); builds in Release with
# -Werror (GCC) and runs CTest; builds again with AddressSanitizer + UndefinedBehaviorSanitizer and
# runs CTest once more; builds the library and threads_test with clang and ThreadSanitizer and runs
# it; builds the libFuzzer targets with clang and fuzzes the model.json parser for a minute and the
# binary GraphDef decoder for 30 s.
# After each CTest run it prints how many tests skipped, and why.
#
# TFJS_TEST_QUICK=1 runs the Release pass only (for local iteration; CI runs them all).
# TFJS_FIXTURES_STRICT=1 (set by CI) makes a missing fixture that the repository holds a failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=$(nproc)
"$ROOT/scripts/setup.sh" --tests

# Prints the number of skipped tests of a CTest run in $1 and their reasons (the SKIPPED text).
report_skips() {
  local log="$1/Testing/Temporary/LastTest.log"
  local skipped
  skipped=$(grep -c '\*\*\*Skipped' "$2" || true)
  echo "-- $skipped test(s) skipped"
  if [ "$skipped" != "0" ] && [ -f "$log" ]; then
    grep -ho 'SKIPPED: .*' "$log" | sort | uniq -c | sort -rn | sed 's/^/   /' || true
  fi
}

echo "== clang-format =="
(cd "$ROOT" && git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror)

echo "== Release build (GCC, -Werror) =="
BUILD_DIR="$ROOT/build" "$ROOT/scripts/build.sh" -DTFJS_WERROR=ON
ctest --test-dir "$ROOT/build" --output-on-failure -j "$JOBS" | tee "$ROOT/build/ctest.out"
report_skips "$ROOT/build" "$ROOT/build/ctest.out"

if [ "${TFJS_TEST_QUICK:-0}" = "1" ]; then exit 0; fi

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
# -O1 -g1: sanitizer builds at -O2 -g take GCC about 2.5 times as long to compile, for little.
cmake -S "$ROOT" -B "$ROOT/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DTFJS_WERROR=ON -DTFJS_SANITIZE=ON \
  -DTFJS_BUILD_BENCH=OFF >/dev/null
cmake --build "$ROOT/build-asan" --parallel "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$JOBS" | tee "$ROOT/build-asan/ctest.out"
report_skips "$ROOT/build-asan" "$ROOT/build-asan/ctest.out"

# clang builds the library and threads_test (the test that needs it), with -Werror, at -O1 (as
# ThreadSanitizer recommends; it also keeps this pass short).
# LLVM's OpenMP runtime (and GNU's, which oneDNN uses) is not instrumented: its own
# synchronisation is invisible to ThreadSanitizer, hence ignore_noninstrumented_modules and
# tests/tsan.supp.
echo "== clang + ThreadSanitizer build (library, threads_test) =="
cmake -S "$ROOT" -B "$ROOT/build-tsan" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DTFJS_WERROR=ON -DTFJS_TSAN=ON -DTFJS_BUILD_BENCH=OFF >/dev/null
cmake --build "$ROOT/build-tsan" --parallel "$JOBS" --target threads_test
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 suppressions=$ROOT/tests/tsan.supp" \
  "$ROOT/build-tsan/tests/threads_test"

echo "== libFuzzer: the model.json parser 60 s, the binary GraphDef decoder 30 s =="
cmake -S "$ROOT" -B "$ROOT/build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTFJS_BUILD_FUZZ=ON -DTFJS_BUILD_TESTS=OFF \
  -DTFJS_BUILD_BENCH=OFF >/dev/null
cmake --build "$ROOT/build-fuzz" --parallel "$JOBS" --target fuzz_model_json fuzz_graph_def
corpus=$(mktemp -d)
gcorpus=$(mktemp -d)
trap 'rm -rf "$corpus" "$gcorpus"' EXIT
cp "$ROOT"/fuzz/corpus/* "$corpus/"
if ! "$ROOT/build-fuzz/fuzz/fuzz_model_json" -max_total_time=60 -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$ROOT/build-fuzz/" -dict="$ROOT/fuzz/model_json.dict" "$corpus" \
  >"$ROOT/build-fuzz/fuzz.log" 2>&1; then
  tail -60 "$ROOT/build-fuzz/fuzz.log"
  echo "fuzz_model_json failed: the input is in $ROOT/build-fuzz/ (crash-*, leak-*, timeout-*)"
  exit 1
fi
grep -E '^(Done|stat::(number_of_executed_units|new_units_added))' "$ROOT/build-fuzz/fuzz.log"
cp "$ROOT"/fuzz/corpus_graph_def/* "$gcorpus/"
if ! "$ROOT/build-fuzz/fuzz/fuzz_graph_def" -max_total_time=30 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$ROOT/build-fuzz/graph-" "$gcorpus" >"$ROOT/build-fuzz/fuzz_graph.log" 2>&1; then
  tail -60 "$ROOT/build-fuzz/fuzz_graph.log"
  echo "fuzz_graph_def failed: the input is in $ROOT/build-fuzz/ (graph-crash-*, ...)"
  exit 1
fi
grep -E '^(Done|stat::(number_of_executed_units|new_units_added))' "$ROOT/build-fuzz/fuzz_graph.log"
echo "== all passes done =="
