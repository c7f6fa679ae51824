// node bench/tfjs_load.mjs MODELDIR [repeats=5]
// node bench/tfjs_load.mjs --once decode|layers MODELDIR
//
// Times the real TF.js (@tensorflow/tfjs from tests/oracle/node_modules, CPU backend) loading a
// model folder from local files, as a Node user without tfjs-node does it:
//
//   decode  read model.json and every shard with fs.promises.readFile, build the artifacts with
//           tf.io.getModelArtifactsForJSON (weightData = the shards' ArrayBuffers, exactly what
//           tf.io.http's loader produces), then tf.io.decodeWeights -> tensors.
//   layers  tf.loadLayersModel with a custom IOHandler whose load() does the same fs reads and
//           returns {modelTopology, weightSpecs, weightData}: the real model is built and its
//           weights set.
//
// Reports min / median ms over `repeats` (after one untimed warm-up) as JSON on stdout. Peak RSS
// comes from fresh processes that each do ONE load (`--once MODE`, five per mode, spawned before
// this process loads anything): VmHWM from /proc/self/status and process.resourceUsage().maxRSS
// of the process with the highest peak, plus min / median of the time of that first load.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { require, log, vmHwmBytes, folderHandler } from './tfjs_node.mjs';

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { minMs: s[0], medianMs: median, maxMs: s[n - 1], runs: n };
}

function readArtifacts(tf, dir) {
  return folderHandler(tf, dir).load();
}

async function loadDecode(tf, dir) {
  const artifacts = await readArtifacts(tf, dir);
  return tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
}

async function loadLayers(tf, dir) {
  return tf.loadLayersModel({ load: () => readArtifacts(tf, dir) });
}

function dispose(tf, result) {
  if (result && typeof result.dispose === 'function') result.dispose();
  else tf.dispose(result);
}

async function initTf() {
  const tf = require('@tensorflow/tfjs');
  if (!(await tf.setBackend('cpu'))) throw new Error('could not select the cpu backend');
  await tf.ready();
  tf.tensor([0]).dispose();  // the cpu backend prints its tfjs-node banner on first use
  return tf;
}

const ONCE_PROCESSES = 5;  // fresh processes per --once mode
const modes = { decode: loadDecode, layers: loadLayers };

async function once(mode, dir) {
  const tf = await initTf();
  const fn = modes[mode];
  if (!fn) throw new Error(`--once takes 'decode' or 'layers', not '${mode}'`);
  const baselineRssBytes = vmHwmBytes();
  const t0 = process.hrtime.bigint();
  const result = await fn(tf, dir);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = {
    mode, ms, baselineRssBytes,
    peakRssBytes: vmHwmBytes(),
    maxRSSBytes: process.resourceUsage().maxRSS * 1024,
    tensors: tf.memory().numTensors,
  };
  dispose(tf, result);
  log(JSON.stringify(out));
}

async function bench(dir, repeats) {
  // Peak RSS first, each from a fresh process that does one load.
  const child = (mode) => JSON.parse(execFileSync(
      process.execPath, [fileURLToPath(import.meta.url), '--once', mode, dir],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  const onceRuns = (mode) => {
    const runs = Array.from({ length: ONCE_PROCESSES }, () => child(mode));
    const worst = runs.reduce((a, b) => (b.peakRssBytes > a.peakRssBytes ? b : a));
    const { ms: _ms, ...rest } = worst;
    return { ...rest, firstLoad: stats(runs.map((r) => r.ms)) };
  };
  const onceDecode = onceRuns('decode');
  const onceLayers = onceRuns('layers');

  const tf = await initTf();
  const gc = globalThis.gc ?? (() => {});
  const timings = {};
  for (const [mode, fn] of Object.entries(modes)) {
    dispose(tf, await fn(tf, dir));  // warm-up (JIT, page cache)
    const ms = [];
    for (let i = 0; i < repeats; ++i) {
      gc();
      const t0 = process.hrtime.bigint();
      const result = await fn(tf, dir);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      dispose(tf, result);
    }
    timings[mode] = stats(ms);
  }
  log(JSON.stringify({
    tool: 'tfjs',
    version: tf.version.tfjs,
    node: process.version,
    backend: tf.getBackend(),
    model: dir,
    repeats,
    decode: timings.decode,
    layers: timings.layers,
    once: { decode: onceDecode, layers: onceLayers },
  }, null, 2));
}

const args = process.argv.slice(2);
try {
  if (args[0] === '--once' && args.length === 3) {
    await once(args[1], args[2]);
  } else if (args.length >= 1 && args.length <= 2 && !args[0].startsWith('-')) {
    await bench(args[0], Math.max(1, Number(args[1] ?? 5) | 0));
  } else {
    console.error('usage: node tfjs_load.mjs MODELDIR [repeats=5]\n' +
                  '       node tfjs_load.mjs --once decode|layers MODELDIR');
    process.exit(2);
  }
} catch (e) {
  console.error('tfjs_load.mjs:', e && e.stack ? e.stack : e);
  process.exit(1);
}
