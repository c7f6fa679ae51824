// node bench/infer_models.mjs OUT_DIR
//
// Makes the four models of the inference benchmark (bench/infer.sh) with the real TF.js
// (@tensorflow/tfjs from tests/oracle/node_modules, cpu backend) and saves each as a TF.js
// layers-model folder (model.json + 4 MiB shards, what model.save writes), with seeded random
// weights (the same bytes on every run):
//
//   mobilenet96   MobileNet v1, alpha 1.0, on 96×96×3: Conv2D 3×3 stride 2 (32 filters, no bias)
//   mobilenet224  + BatchNormalization + ReLU(max_value 6), then 13 depthwise-separable blocks
//                 (DepthwiseConv2D 3×3 + BN + ReLU6, Conv2D 1×1 + BN + ReLU6; Keras's filter and
//                 stride plan), GlobalAveragePooling2D, Dense(1000, softmax). The same topology
//                 and weights at both input sizes.
//   mlp           Dense 64→2048 relu → 2048 relu → 10 softmax.
//   lstm          LSTM(256) over [100 steps, 64 features] (returnSequences false) → Dense(10).
//
// Weights are drawn so that activations stay O(1) through every layer (He-uniform kernels,
// BatchNormalization statistics near the identity): tiny values would become subnormal floats
// and slow any runtime down for reasons that have nothing to do with its kernels. Each model is
// run once on a random input here to check that its output is finite and not constant.
//
// Writes OUT_DIR/<name>/ for each model and OUT_DIR/models.json: for each model its input shape
// (without the batch), parameter count, weight bytes and multiply-add FLOPs per sample (2 per
// multiply-add of convolutions, matrix products and the LSTM's gate products; element-wise work
// is not counted). For the agreement check of infer.sh (ours must compute what TF.js computes,
// or its speed means nothing) it also writes OUT_DIR/<name>.check/x.npy, a seeded random input
// of batch 2, and y.npy, TF.js's (cpu backend) output for it.
import fs from 'node:fs';
import path from 'node:path';

import {
  tf, initTf, installFailureHandlers, Rng, saveInMemory, writeModelFolder,
} from '../tests/oracle/lib.mjs';

installFailureHandlers();

// --- MobileNet v1 --------------------------------------------------------------------------------
// Keras's depthwise-separable blocks: [pointwise filters, depthwise stride].
const MOBILENET_BLOCKS = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

function mobileNet(size) {
  const flops = { total: 0 };
  const input = tf.input({ shape: [size, size, 3], name: 'input' });
  let h = size;
  let c = 3;
  const bnRelu = (x, name) => {
    x = tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3, name: `${name}_bn` }).apply(x);
    return tf.layers.reLU({ maxValue: 6, name: `${name}_relu` }).apply(x);
  };
  let x = tf.layers.conv2d({
    filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1',
  }).apply(input);
  h = Math.ceil(h / 2);
  flops.total += 2 * h * h * 32 * 3 * 3 * c;
  c = 32;
  x = bnRelu(x, 'conv1');
  MOBILENET_BLOCKS.forEach(([filters, stride], i) => {
    const id = i + 1;
    x = tf.layers.depthwiseConv2d({
      kernelSize: 3, strides: stride, padding: 'same', useBias: false, name: `conv_dw_${id}`,
    }).apply(x);
    h = Math.ceil(h / stride);
    flops.total += 2 * h * h * c * 9;
    x = bnRelu(x, `conv_dw_${id}`);
    x = tf.layers.conv2d({
      filters, kernelSize: 1, strides: 1, padding: 'same', useBias: false, name: `conv_pw_${id}`,
    }).apply(x);
    flops.total += 2 * h * h * c * filters;
    c = filters;
    x = bnRelu(x, `conv_pw_${id}`);
  });
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling' }).apply(x);
  x = tf.layers.dense({ units: 1000, activation: 'softmax', name: 'predictions' }).apply(x);
  flops.total += 2 * c * 1000;
  return { model: tf.model({ inputs: input, outputs: x, name: `mobilenet_${size}` }),
           flopsPerSample: flops.total };
}

function mlp() {
  const model = tf.sequential({ name: 'mlp' });
  model.add(tf.layers.dense({ inputShape: [64], units: 2048, activation: 'relu', name: 'dense_1' }));
  model.add(tf.layers.dense({ units: 2048, activation: 'relu', name: 'dense_2' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'dense_3' }));
  return { model, flopsPerSample: 2 * (64 * 2048 + 2048 * 2048 + 2048 * 10) };
}

function lstm() {
  const model = tf.sequential({ name: 'lstm' });
  // The recurrent kernel's default (orthogonal) initializer is slow in TF.js and overwritten anyway.
  model.add(tf.layers.lstm({
    inputShape: [100, 64], units: 256, returnSequences: false, name: 'lstm',
    recurrentInitializer: 'glorotUniform',
  }));
  model.add(tf.layers.dense({ units: 10, name: 'dense' }));
  return { model, flopsPerSample: 100 * 2 * (64 + 256) * 4 * 256 + 2 * 256 * 10 };
}

// --- seeded weights ------------------------------------------------------------------------------
function uniform(rng, n, lo, hi) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; ++i) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

// Values for one weight, by its variable name (the last part of e.g. "conv_pw_3/kernel").
function valuesFor(rng, v) {
  const n = v.shape.reduce((a, b) => a * b, 1);
  const kind = v.name.split('/').pop().replace(/_\d+$/, '');
  const he = (fanIn) => Math.sqrt(6 / fanIn);
  switch (kind) {
    case 'kernel': {
      // Conv2D [kh, kw, in, out], Dense / LSTM input kernel [in, out]: He uniform over fan-in.
      const fanIn = v.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const a = he(fanIn);
      return uniform(rng, n, -a, a);
    }
    case 'depthwise_kernel': {
      const a = he(v.shape[0] * v.shape[1]);
      return uniform(rng, n, -a, a);
    }
    case 'recurrent_kernel': {
      const a = Math.sqrt(3 / v.shape[0]);
      return uniform(rng, n, -a, a);
    }
    case 'bias': return uniform(rng, n, -0.05, 0.05);
    case 'gamma': return uniform(rng, n, 0.8, 1.2);
    case 'beta': return uniform(rng, n, -0.1, 0.1);
    case 'moving_mean': return uniform(rng, n, -0.1, 0.1);
    case 'moving_variance': return uniform(rng, n, 0.5, 1.5);
    default: throw new Error(`no initializer for weight ${v.name}`);
  }
}

function seedWeights(model, seed) {
  const rng = new Rng(seed);
  const values = model.weights.map((v) => tf.tensor(valuesFor(rng, v), v.shape, 'float32'));
  model.setWeights(values);
  values.forEach((t) => t.dispose());
}

// A float32 little-endian .npy (format 1.0, C order).
function npyBytes(values, shape) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.from(new Float32Array(values).buffer);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

// --- main ----------------------------------------------------------------------------------------
async function main() {
  const outDir = process.argv[2];
  if (!outDir || process.argv.length !== 3) {
    console.error('usage: node bench/infer_models.mjs OUT_DIR');
    process.exit(2);
  }
  await initTf();
  const makers = {
    mobilenet96: () => mobileNet(96),
    mobilenet224: () => mobileNet(224),
    mlp,
    lstm,
  };
  const index = { generatedBy: `@tensorflow/tfjs ${tf.version.tfjs}`, models: {} };
  for (const [name, make] of Object.entries(makers)) {
    const t0 = Date.now();
    const { model, flopsPerSample } = make();
    // mobilenet96 and mobilenet224 get the same seed: the same weights at both sizes.
    seedWeights(model, `tfjs-cpp infer bench ${name.replace(/\d+$/, '')}`);
    const inShape = model.inputs[0].shape.slice(1);
    const x = tf.randomUniform([2, ...inShape], -1, 1, 'float32', 7);
    const y = model.predict(x);
    const out = y.dataSync();
    const finite = out.every(Number.isFinite);
    const spread = Math.max(...out) - Math.min(...out);
    const checkDir = path.join(outDir, `${name}.check`);
    fs.mkdirSync(checkDir, { recursive: true });
    fs.writeFileSync(path.join(checkDir, 'x.npy'), npyBytes(x.dataSync(), x.shape));
    fs.writeFileSync(path.join(checkDir, 'y.npy'), npyBytes(out, y.shape));
    x.dispose();
    y.dispose();
    if (!finite || !(spread > 1e-6)) {
      throw new Error(`${name}: degenerate output on a random input (finite ${finite}, ` +
                      `max - min ${spread})`);
    }
    const dir = path.join(outDir, name);
    fs.rmSync(dir, { recursive: true, force: true });
    const { artifacts, weightBytes } = await saveInMemory(model);
    writeModelFolder(dir, artifacts, [{ bytes: weightBytes, specs: artifacts.weightSpecs }], 'js');
    index.models[name] = {
      dir: name,
      inputShape: inShape,
      params: model.countParams(),
      weightBytes: weightBytes.byteLength,
      flopsPerSample,
      layers: model.layers.length,
    };
    console.error(`${name}: ${model.countParams()} parameters, ` +
                  `${(flopsPerSample / 1e6).toFixed(1)} MFLOP per sample -> ${dir} ` +
                  `(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    model.dispose();
  }
  fs.writeFileSync(path.join(outDir, 'models.json'), JSON.stringify(index, null, 2) + '\n');
}

await main();
