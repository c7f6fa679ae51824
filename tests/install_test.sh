#!/usr/bin/env bash
# cmake --install puts the library, headers, the tfjs command, the CMake package and the
# pkg-config file in place; separate projects then use it as a newcomer would:
#  - examples/ (the README's library examples) with find_package(tfjs), built and run;
#  - a consumer whose own HDF5_* / Protobuf_* variables find_package(tfjs) must leave alone;
#  - a program compiled with `pkg-config --cflags --libs tfjs`.
set -euo pipefail
BUILD=$1; SRC=$2; MODEL=$3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
test -x "$TMP/prefix/bin/tfjs"
test -f "$TMP/prefix/include/tfjs/artifacts.h"
test -f "$TMP/prefix/include/tfjs/version.h"
test -f "$TMP/prefix/share/doc/tfjs/LICENSE"
"$TMP/prefix/bin/tfjs" --version

cmake -S "$SRC/examples" -B "$TMP/examples" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/prefix" >/dev/null
cmake --build "$TMP/examples" >/dev/null
"$TMP/examples/inspect_model" "$MODEL"
"$TMP/examples/train_linear" "$TMP/out" | grep -E 'y\(10\) = 1[89]\.9'
"$TMP/examples/functional" >/dev/null
"$TMP/examples/graph_model" "$SRC/tests/fixtures/real/pair_keras3_cnn_to_graph_conv318/tfjs_model" |
  grep -E 'output_0: float32 \[1,10\]'

mkdir -p "$TMP/vars"
cat > "$TMP/vars/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(vars LANGUAGES CXX)
set(HDF5_FOUND "mine")
set(HDF5_INCLUDE_DIRS "/my/hdf5")
set(Protobuf_FOUND "mine")
set(LIBZIP_FOUND "mine")
find_package(tfjs 0.1 REQUIRED)
foreach(v HDF5_FOUND HDF5_INCLUDE_DIRS Protobuf_FOUND LIBZIP_FOUND)
  if(NOT DEFINED ${v} OR (NOT "${${v}}" STREQUAL "mine" AND NOT "${${v}}" STREQUAL "/my/hdf5"))
    message(FATAL_ERROR "find_package(tfjs) changed the consumer's ${v}: '${${v}}'")
  endif()
endforeach()
CMAKE
cmake -S "$TMP/vars" -B "$TMP/vars/build" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/prefix" >/dev/null

export PKG_CONFIG_PATH="$(dirname "$(find "$TMP/prefix" -name tfjs.pc)")"
FLAGS=$(pkg-config --cflags --libs tfjs)
c++ -std=c++20 "$SRC/examples/inspect_model.cpp" -o "$TMP/pc_inspect" $FLAGS
LD_LIBRARY_PATH="$(pkg-config --variable=libdir tfjs)" "$TMP/pc_inspect" "$MODEL" >/dev/null
echo "install, find_package, pkg-config: OK"
