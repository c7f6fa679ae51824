#!/usr/bin/env bash
# bench/graph.sh — graph models against the real TF.js, in one run: for every real graph model of
# tests/fixtures/real that tfjs-cpp runs (GRAPH_MODELS) × batch {1, 32} (GRAPH_BATCHES), times
#   ours at 1 thread      `tfjs bench MODEL --batch N --iters K --json --threads 1`
#   ours at all cores     the same with --threads $(nproc)
#   TF.js wasm            bench/infer_tfjs.mjs --backend wasm (SIMD, one thread, as Node runs it;
#                         executeAsync for a model with dynamic ops such as While)
#   TF.js cpu             bench/infer_tfjs.mjs --backend cpu
# then prints a table with the medians and the ratios to wasm, and writes the graph section of
# bench/RESULTS.md (between <!-- graph:begin --> and <!-- graph:end -->). Outputs are checked
# against TF.js by the tests (tests/graph_model_test.cpp), not here. Takes about a minute.
# Environment: BUILD_DIR (default build/), GRAPH_MODELS, GRAPH_BATCHES, GRAPH_ITERS (50),
# RESULTS (default bench/RESULTS.md; "-" writes nothing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
FIX=$ROOT/tests/fixtures/real
# A model may carry its first input's shape after '@' (B: the batch), for inputs of unknown size.
MODELS=${GRAPH_MODELS:-graph_eyeblink_uint16 pair_keras3_cnn_to_graph_conv318/tfjs_model pair_pytraining_tiny_mnist_bn/web_model2 graph_tfjs_examples_prefetch graph_tfjs_move_lstm graph_faceboxes_float16/faceboxes.json@Bx256x256x3}
BATCHES=${GRAPH_BATCHES:-1 32}
ITERS=${GRAPH_ITERS:-50}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
NPROC=$(nproc)
[[ -f $BUILD_DIR/CMakeCache.txt ]] || BUILD_DIR=$BUILD_DIR "$ROOT/scripts/build.sh"
cmake --build "$BUILD_DIR" --target tfjs_cli >&2
TFJS=$BUILD_DIR/tfjs
OUT=$(mktemp); trap 'rm -f "$OUT"' EXIT
load=$(cut -d' ' -f1 /proc/loadavg)
for spec in $MODELS; do
  m=${spec%%@*}
  for b in $BATCHES; do
    shape=()
    [[ $spec == *@* ]] && shape=(--shape "${spec#*@}") && shape[1]=${shape[1]//B/$b}
    echo "== $m batch $b ${shape[*]}" >&2
    for t in 1 "$NPROC"; do
      "$TFJS" bench "$FIX/$m" --batch "$b" --iters "$ITERS" --threads "$t" "${shape[@]}" --json |
        node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log(JSON.stringify({model:'$m',batch:$b,who:'ours-$t',medianMs:j.medianMs,minMs:j.minMs}))" >>"$OUT"
    done
    for be in wasm cpu; do
      node "$ROOT/bench/infer_tfjs.mjs" "$FIX/$m" --backend $be --batch "$b" --iters "$ITERS" --budget-s 8 "${shape[@]}" 2>/dev/null |
        node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log(JSON.stringify({model:'$m',batch:$b,who:'$be',medianMs:j.medianMs,minMs:j.minMs}))" >>"$OUT"
    done
  done
done
node - "$OUT" "$RESULTS" "$NPROC" "$load" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" <<'JS'
const fs = require('fs');
const [out, results, nproc, load, cpu] = process.argv.slice(2);
const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const key = (r) => `${r.model}|${r.batch}`;
const groups = new Map();
for (const r of rows) {
  if (!groups.has(key(r))) groups.set(key(r), {});
  groups.get(key(r))[r.who] = r.medianMs;
}
const f = (x) => (x == null ? '—' : x < 1 ? x.toFixed(3) : x.toFixed(2));
const lines = [
  `Graph models (\`bench/graph.sh\`), ${new Date().toISOString().slice(0, 10)}, ${cpu}, ${nproc} cores, ` +
    `load average ${load} at the start. Median ms per call; ratio = TF.js wasm / ours (higher is faster).`,
  '',
  `| model | batch | ours 1t | ours ${nproc}t | TF.js wasm (1t) | TF.js cpu | wasm / ours 1t | wasm / ours ${nproc}t |`,
  '|---|---|---|---|---|---|---|---|',
];
for (const [k, g] of groups) {
  const [model, batch] = k.split('|');
  const one = g['ours-1'], all = g[`ours-${nproc}`];
  lines.push(`| ${model} | ${batch} | ${f(one)} | ${f(all)} | ${f(g.wasm)} | ${f(g.cpu)} | ` +
             `${g.wasm && one ? (g.wasm / one).toFixed(1) + '×' : '—'} | ${g.wasm && all ? (g.wasm / all).toFixed(1) + '×' : '—'} |`);
}
const table = lines.join('\n');
console.log(table);
if (results !== '-') {
  let text = fs.readFileSync(results, 'utf8');
  const begin = '<!-- graph:begin -->', end = '<!-- graph:end -->';
  const section = `${begin}\n${table}\n${end}`;
  if (text.includes(begin)) {
    text = text.slice(0, text.indexOf(begin)) + section + text.slice(text.indexOf(end) + end.length);
  } else {
    text = text.trimEnd() + '\n\n## Graph models\n\n' + section + '\n';
  }
  fs.writeFileSync(results, text);
}
JS
