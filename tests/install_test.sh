#!/usr/bin/env bash
# cmake --install puts the library, headers, the tfjs command and the CMake package in place, and
# a separate project finds it with find_package(tfjs) and links tfjs::tfjs.
set -euo pipefail
BUILD=$1; SRC=$2; MODEL=$3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
test -x "$TMP/prefix/bin/tfjs"
test -f "$TMP/prefix/include/tfjs/artifacts.h"
test -f "$TMP/prefix/include/tfjs/version.h"
"$TMP/prefix/bin/tfjs" --version
cmake -S "$SRC/examples/consumer" -B "$TMP/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/prefix" >/dev/null
cmake --build "$TMP/consumer" >/dev/null
"$TMP/consumer/load_model" "$MODEL"
