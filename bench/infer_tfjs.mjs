// node bench/infer_tfjs.mjs MODEL_DIR --backend cpu|wasm [--batch 1] [--iters 10] [--warmup 1]
//                                      [--budget-s 0]
//
// Times the real TF.js (@tensorflow/tfjs 4.22.0 from tests/oracle/node_modules) running a
// layers-model or graph-model folder, as a Node program without tfjs-node does it:
//   - cpu:  the pure-JS cpu backend.
//   - wasm: @tensorflow/tfjs-backend-wasm with SIMD and without threads (TF.js never uses wasm
//           threads in Node: WASM_HAS_MULTITHREAD_SUPPORT is false there, set explicitly here);
//           the .wasm files come from node_modules/@tensorflow/tfjs-backend-wasm/dist/.
// The model is loaded with tf.loadLayersModel (or tf.loadGraphModel for a graph model) through an
// IOHandler that reads the folder with fs (what tfjs-node's file:// loader does); a graph model's
// call is model.execute(inputs) with every float input seeded random and every int32 / bool input
// zeros, unknown dimensions 1 (the batch --batch). The input is seeded random uniform [-1, 1) of the
// model's input shape with batch --batch. After --warmup untimed calls, each timed call is
// `y = model.predict(x); y.dataSync(); y.dispose()`, --iters times; with --budget-s > 0 the timed
// loop stops early once that many seconds have been spent in it (at least one call is timed),
// and the report says how many calls it timed; a warm-up call slower than the whole budget is
// itself the measurement (one call, firstCallOnly: true; it includes TF.js's first-call set-up).
//
// Prints JSON on stdout: backend, flags, load / first-call / median / min / max ms, calls timed,
// peak RSS (VmHWM) of this process.
import fs from 'node:fs';
import path from 'node:path';
import { require, log, vmHwmBytes, stats, folderHandler, initBackend } from './tfjs_node.mjs';

function usage(msg) {
  if (msg) console.error(`infer_tfjs.mjs: ${msg}`);
  console.error('usage: node bench/infer_tfjs.mjs MODEL_DIR|MODEL_JSON --backend cpu|wasm [--batch N] ' +
                '[--iters N] [--warmup N] [--budget-s S] [--shape DxDx...]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { dir: null, backend: null, batch: 1, iters: 10, warmup: 1, budgetS: 0, shape: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const num = (min) => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < min) usage(`${a} needs a number >= ${min}`);
      return v;
    };
    if (a === '--backend') o.backend = argv[++i];
    else if (a === '--batch') o.batch = Math.floor(num(1));
    else if (a === '--iters') o.iters = Math.floor(num(1));
    else if (a === '--warmup') o.warmup = Math.floor(num(0));
    else if (a === '--budget-s') o.budgetS = num(0);
    else if (a === '--shape') o.shape = argv[++i].split('x').map(Number);  // the first input's
    else if (!a.startsWith('-') && o.dir === null) o.dir = a;
    else usage(`unknown argument ${a}`);
  }
  if (!o.dir) usage('no MODEL_DIR');
  if (o.backend !== 'cpu' && o.backend !== 'wasm') usage('--backend must be cpu or wasm');
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const tf = require('@tensorflow/tfjs');
  const flags = await initBackend(tf, o.backend);
  const rssBeforeLoad = vmHwmBytes();

  let t0 = process.hrtime.bigint();
  const msSince = (t) => Number(process.hrtime.bigint() - t) / 1e6;
  const json = JSON.parse(fs.readFileSync(o.dir.endsWith('.json') ? o.dir : path.join(o.dir, 'model.json'), 'utf8'));
  const graph = json.format === 'graph-model' ||
                (json.modelTopology && Array.isArray(json.modelTopology.node));
  const model = graph ? await tf.loadGraphModel(folderHandler(tf, o.dir))
                      : await tf.loadLayersModel(folderHandler(tf, o.dir));
  const loadMs = msSince(t0);
  const inputOf = (info, k) => {
    const shape = (k === 0 && o.shape ? o.shape : info.shape ?? [-1]).map((d, i) => (d == null || d < 0 ? (i === 0 ? o.batch : 1) : d));
    return info.dtype === 'int32' || info.dtype === 'bool'
      ? tf.zeros(shape, info.dtype)
      : tf.randomUniform(shape, -1, 1, 'float32', 42 + k);
  };
  let x, call;
  if (graph) {
    x = {};
    model.inputs.forEach((info, k) => { x[model.inputNodes[k]] = inputOf(info, k); });
    // Graphs with dynamic ops (While, Where, ...) run only in executeAsync.
    let dynamic = false;
    call = async () => {
      let r;
      if (!dynamic) {
        try {
          r = model.execute(x);
        } catch (e) {
          if (!String(e.message).includes('executeAsync')) throw e;
          dynamic = true;
        }
      }
      if (dynamic) r = await model.executeAsync(x);
      for (const y of Array.isArray(r) ? r : [r]) {
        y.dataSync();
        y.dispose();
      }
    };
  } else {
    if (model.inputs.length !== 1) throw new Error(`expected one input, got ${model.inputs.length}`);
    x = inputOf({ shape: [-1, ...model.inputs[0].shape.slice(1)], dtype: 'float32' }, 0);
    call = () => {
      const y = model.predict(x);
      y.dataSync();
      y.dispose();
    };
  }
  const times = [];
  let firstCallMs = null;
  let firstCallOnly = false;
  for (let i = 0; i < o.warmup; ++i) {
    t0 = process.hrtime.bigint();
    await call();
    const ms = msSince(t0);
    if (i === 0) firstCallMs = ms;
    // A call slower than the whole budget: that first call is the measurement.
    if (o.budgetS > 0 && ms > o.budgetS * 1000) {
      times.push(ms);
      firstCallOnly = true;
      break;
    }
  }
  const loopStart = process.hrtime.bigint();
  for (let i = 0; i < o.iters && !firstCallOnly; ++i) {
    t0 = process.hrtime.bigint();
    await call();
    times.push(msSince(t0));
    if (i === 0 && firstCallMs === null) firstCallMs = times[0];
    if (o.budgetS > 0 && msSince(loopStart) > o.budgetS * 1000) break;
  }
  for (const t of graph ? Object.values(x) : [x]) t.dispose();
  const leaked = tf.memory().numTensors - (graph ? Object.keys(model.weights).length : model.weights.length);
  model.dispose();
  log(JSON.stringify({
    tool: 'tfjs',
    version: tf.version.tfjs,
    node: process.version,
    backend: tf.getBackend(),
    flags,
    model: o.dir,
    batch: o.batch,
    warmup: o.warmup,
    itersAsked: o.iters,
    budgetS: o.budgetS,
    loadMs,
    firstCallMs,
    ...stats(times),
    firstCallOnly,
    tensorsLeftPerCall: leaked,
    rssBeforeLoadBytes: rssBeforeLoad,
    peakRssBytes: vmHwmBytes(),
  }));
}

try {
  await main();
} catch (e) {
  console.error('infer_tfjs.mjs:', e && e.stack ? e.stack : e);
  process.exit(1);
}
