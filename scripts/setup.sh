#!/usr/bin/env bash
# Installs what tfjs-cpp needs on a Debian 12 machine, skipping what is already there:
# the Debian packages (compiler, CMake, Ninja, the libraries of DESIGN.md, Node.js) and the
# pinned npm packages of the TF.js oracle (tests/oracle, from its package-lock.json).
# With --tests, also what scripts/test.sh needs beyond the build (clang, clang-format).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PKGS=(g++ cmake ninja-build pkg-config git
      nlohmann-json3-dev libfmt-dev libcli11-dev libcurl4-openssl-dev
      libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
      libdnnl-dev ocl-icd-opencl-dev libopenblas-dev libopenblas-openmp-dev libhdf5-dev libzip-dev time  # dnnl's CMake package requires OpenCL (only recommended)
      libprotobuf-dev protobuf-compiler
      libpng-dev libjpeg62-turbo-dev  # image inputs of tfjs predict / train (tools/tfjs/images.cpp)
      python3-h5py)  # tests (an independent reader of the .h5 files tfjs writes), bench/convert.sh
# scripts/test.sh --tests: the formatting check, and clang for the ThreadSanitizer and libFuzzer
# builds (LLVM's OpenMP runtime and sanitizer runtimes).
if [ "${1:-}" = "--tests" ]; then
  PKGS+=(clang-format clang libclang-rt-dev libomp-dev)
fi
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The oracle: @tensorflow/tfjs pinned by package-lock.json.
cd "$ROOT/tests/oracle"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing the pinned TF.js oracle (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
