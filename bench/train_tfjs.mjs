// node bench/train_tfjs.mjs --data DIR
// node bench/train_tfjs.mjs --case walkthrough|mlp|cnn --backend cpu|wasm --data DIR
//
// The training benchmark's TF.js side (bench/train.sh). With --data alone, writes the data both
// sides train on as .npy files into DIR: the walkthrough's six points (walk_x.npy, walk_y.npy)
// and 60000 seeded random samples of 784 floats in [0, 1) with one-hot labels of 10 classes
// (mlp_x.npy, mlp_y.npy), and 2000 seeded random 28x28x1 images with one-hot labels of 10
// classes (cnn_x.npy, cnn_y.npy). With --case, times the real TF.js's model.fit on that data:
//   walkthrough: Dense(1), sgd, meanSquaredError, 500 epochs, batch 32 (one batch of 6);
//   mlp:         Dense(256, relu) -> Dense(10, softmax), adam, categoricalCrossentropy, one epoch,
//                batch 32 (1875 steps);
//   cnn:         Conv2D(8, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(16, 3x3, relu) ->
//                MaxPooling2D(2) -> Flatten -> Dense(10, softmax), adam, categoricalCrossentropy,
//                one epoch, batch 32 (63 steps; informational).
// Prints JSON: {backend, flags, case, fitSeconds, finalLoss, peakRssBytes}.
import fs from 'node:fs';
import path from 'node:path';
import { require, log, vmHwmBytes, initBackend } from './tfjs_node.mjs';

function usage(msg) {
  if (msg) console.error(`train_tfjs.mjs: ${msg}`);
  console.error('usage: node bench/train_tfjs.mjs --data DIR [--case walkthrough|mlp|cnn --backend cpu|wasm]');
  process.exit(2);
}

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dataDir = opt('--data');
const which = opt('--case');
const backend = opt('--backend');
if (!dataDir) usage('no --data');

// A little-endian float32 .npy of `shape`.
function writeNpy(file, values, shape) {
  let h = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h = h.padEnd(Math.ceil((10 + h.length + 1) / 64) * 64 - 10 - 1) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(h.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(h, 'latin1'),
                                        Buffer.from(values.buffer, values.byteOffset, values.byteLength)]));
}

function readNpy(file) {
  const b = fs.readFileSync(file);
  const hlen = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + hlen);
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length));
  return { data, shape };
}

function makeData(dir) {
  fs.mkdirSync(dir, { recursive: true });
  writeNpy(path.join(dir, 'walk_x.npy'), Float32Array.from([-1, 0, 1, 2, 3, 4]), [6, 1]);
  writeNpy(path.join(dir, 'walk_y.npy'), Float32Array.from([-3, -1, 1, 3, 5, 7]), [6, 1]);
  // n samples of `shape` in [0, 1) and one-hot labels of 10 classes, from mulberry32(seed).
  const samples = (prefix, n, shape, seed) => {
    let state = seed;
    const next = () => {  // mulberry32
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const size = shape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n * size);
    for (let i = 0; i < x.length; ++i) x[i] = next();
    const y = new Float32Array(n * 10);
    for (let i = 0; i < n; ++i) y[i * 10 + Math.floor(next() * 10)] = 1;
    writeNpy(path.join(dir, `${prefix}_x.npy`), x, [n, ...shape]);
    writeNpy(path.join(dir, `${prefix}_y.npy`), y, [n, 10]);
  };
  samples('mlp', 60000, [784], 12345);
  samples('cnn', 2000, [28, 28, 1], 54321);
}

async function main() {
  if (!which) {
    makeData(dataDir);
    return;
  }
  if (backend !== 'cpu' && backend !== 'wasm') usage('--backend must be cpu or wasm');
  const tf = require('@tensorflow/tfjs');
  const flags = await initBackend(tf, backend);
  const prefix = { walkthrough: 'walk', mlp: 'mlp', cnn: 'cnn' }[which] ?? usage(`unknown --case ${which}`);
  const xs = readNpy(path.join(dataDir, `${prefix}_x.npy`));
  const ys = readNpy(path.join(dataDir, `${prefix}_y.npy`));
  const x = tf.tensor(xs.data, xs.shape);
  const y = tf.tensor(ys.data, ys.shape);
  const model = tf.sequential();
  let fitArgs;
  if (which === 'walkthrough') {
    model.add(tf.layers.dense({ units: 1, inputShape: [1] }));
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    fitArgs = { epochs: 500, batchSize: 32, verbose: 0 };
  } else if (which === 'cnn') {
    model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    fitArgs = { epochs: 1, batchSize: 32, verbose: 0 };
  } else {
    model.add(tf.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    fitArgs = { epochs: 1, batchSize: 32, verbose: 0 };
  }
  const t0 = process.hrtime.bigint();
  const h = await model.fit(x, y, fitArgs);
  const fitSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  log(JSON.stringify({
    tool: 'tfjs', version: tf.version.tfjs, node: process.version, backend: tf.getBackend(), flags,
    case: which, fitSeconds, finalLoss: h.history.loss[h.history.loss.length - 1],
    peakRssBytes: vmHwmBytes(),
  }));
}

try {
  await main();
} catch (e) {
  console.error('train_tfjs.mjs:', e && e.stack ? e.stack : e);
  process.exit(1);
}
