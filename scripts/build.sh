#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and builds tfjs-cpp in Release, libtfjs shared, into build/ (or
# $BUILD_DIR).
# Extra arguments go to CMake's configure step.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/setup.sh"
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON "$@" >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
