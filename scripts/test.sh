#!/usr/bin/env bash
# The whole test suite: sets up, builds in Release with -Werror and runs CTest, then builds again
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs CTest once more.
# TFJS_TEST_QUICK=1 skips the sanitizer pass (for local iteration only; CI runs both).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=$(nproc)

echo "== Release build (-Werror) =="
BUILD_DIR="$ROOT/build" "$ROOT/scripts/build.sh" -DTFJS_WERROR=ON
ctest --test-dir "$ROOT/build" --output-on-failure -j "$JOBS"

if [ "${TFJS_TEST_QUICK:-0}" != "1" ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
  cmake -S "$ROOT" -B "$ROOT/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTFJS_WERROR=ON -DTFJS_SANITIZE=ON -DTFJS_BUILD_BENCH=OFF >/dev/null
  cmake --build "$ROOT/build-asan" --parallel "$JOBS"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$JOBS"
fi
