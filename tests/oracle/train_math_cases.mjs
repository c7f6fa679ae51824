// node train_math_cases.mjs OUTDIR
//
// Training-math oracle: what the real TF.js (4.22.0, cpu backend) computes for the losses,
// metrics and optimizers of tfjs-layers' fit(), on seeded inputs. Writes OUTDIR/train_math.json:
//
//   {"tfjs_version",
//    "losses": [{case, loss, yTrue, yPred, coeff, perSample, grad}],
//    "metrics": [{case, metric, lossName, outputDim, tfjsAccepts, historyName, yTrue, yPred,
//                 batchValue, values}],
//    "optimizers": [{case, name, config, tfjsClassName, tfjsConfig, variables: [{name, shape,
//                    init}], steps: [{grads: [hex...], values: [hex...]}], weights | weightsError}],
//    "initializers": [{case, spec, shape, mean, std, min, max, values (hex, small shapes only)}]}
//
// Tensors are {shape, hex} (hex: the little-endian float32 bytes of dataSync()). Losses: the loss
// function is the one tfjs-layers' compile() resolves for the name (model.lossFunctions[0]);
// "huber" is not a tfjs-layers loss, so it is Keras's huber (delta 1.0) written with tf ops.
// perSample is the loss function's output, averaged over the axes between the batch and the last
// axis when yPred has rank > 2 (rank 2: the output itself); grad is tf.grad of
// sum_i coeff_i * perSample_i with respect to yPred. Metrics: the function compile() resolves
// for the metric name given the loss and the output's last dimension (with the history name it
// gives); names compile() rejects are taken from tf.metrics / the loss functions and marked
// tfjsAccepts: false. batchValue: true marks a metric that gives one value per batch (precision,
// recall). Optimizers: 3 tf.variables, 5 optimizer.applyGradients steps with seeded gradients,
// the values after each step, then getWeights() (or the error it throws). Initializers: the
// moments of TF.js's draws for the same initializer (not the values: another random stream).
import fs from 'node:fs';
import path from 'node:path';
import { tf, initTf, installFailureHandlers, Rng, hexOf } from './lib.mjs';

installFailureHandlers();

// The cpu backend's cast of bool to float32 keeps the bool bytes (dataSync gives a Uint8Array of
// 0/1 for a float32 tensor): always write float32 values.
const f32Of = (t) => {
  const d = t.dataSync();
  return d instanceof Float32Array ? d : Float32Array.from(d);
};
const dumpT = (t) => ({ shape: t.shape.slice(), hex: hexOf(f32Of(t)) });
const count = (shape) => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------
// Inputs. Each generator returns a Float32Array for the shape, using the case's Rng.

const gen = {
  uniform: (lo, hi) => (rng, n) => rng.f32(n, lo, hi),
  // values in [0, 1] with some exact 0, 1 and 0.5
  prob01: (rng, n) => {
    const a = rng.f32(n, 0, 1);
    for (let i = 0; i < n; i++) {
      const r = rng.uniform();
      if (r < 0.12) a[i] = 0;
      else if (r < 0.24) a[i] = 1;
      else if (r < 0.3) a[i] = 0.5;
    }
    return a;
  },
  binary: (rng, n) => Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 0 : 1)),
  pm1: (rng, n) => Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1)),
  // rows of positive values (unnormalized probabilities), some rows with exact 0 / 1 entries
  positiveRows: (d) => (rng, n) => {
    const a = rng.f32(n, 0.01, 1);
    for (let r = 0; r < n / d; r++) {
      const k = rng.uniform();
      if (k < 0.2) {
        for (let j = 0; j < d; j++) a[r * d + j] = 0;
        a[r * d + rng.int(0, d - 1)] = 1;
      } else if (k < 0.4) {
        a[r * d + rng.int(0, d - 1)] = 0;
      }
    }
    return a;
  },
  oneHot: (d) => (rng, n) => {
    const a = new Float32Array(n);
    for (let r = 0; r < n / d; r++) a[r * d + rng.int(0, d - 1)] = 1;
    return a;
  },
  softRows: (d) => (rng, n) => {
    const a = rng.f32(n, 0, 1);
    for (let r = 0; r < n / d; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += a[r * d + j];
      for (let j = 0; j < d; j++) a[r * d + j] = Math.fround(a[r * d + j] / s);
    }
    return a;
  },
  labels: (d) => (rng, n) => Float32Array.from({ length: n }, () => rng.int(0, d - 1)),
  // targets with negatives and exact zeros (MAPE)
  withZeros: (lo, hi) => (rng, n) => {
    const a = rng.f32(n, lo, hi);
    for (let i = 0; i < n; i++) if (rng.uniform() < 0.15) a[i] = 0;
    return a;
  },
};

// yPred = yTrue + something for a few entries, to hit exact-zero differences and boundaries.
const hooks = {
  someEqual: (t, p, rng) => {
    for (let i = 0; i < p.length; i++) if (rng.uniform() < 0.2) p[i] = t[i];
  },
  hingeEdge: (t, p, rng) => {
    for (let i = 0; i < p.length; i++) if (rng.uniform() < 0.2) p[i] = t[i];  // 1 - t*p == 0
  },
  huberEdge: (t, p, rng) => {
    for (let i = 0; i < p.length; i++) {
      const r = rng.uniform();
      if (r < 0.15) p[i] = Math.fround(t[i] + 1);  // |err| == 1 (when exact)
      else if (r < 0.3) p[i] = t[i];
    }
  },
  zeroPredRow: (d) => (t, p) => {
    for (let j = 0; j < d; j++) p[j] = 0;  // l2Normalize of a zero row
  },
};

function huber(yTrue, yPred) {
  // Keras losses.huber with delta = 1.0, in Keras's order of operations.
  const err = tf.sub(yPred, yTrue);
  const absErr = tf.abs(err);
  const quad = tf.mul(0.5, tf.square(err));
  const lin = tf.sub(tf.mul(1.0, absErr), 0.5);
  // The condition is taken out of the gradient tape (TF.js has no gradient for LessEqual).
  const cond = tf.tensor(Uint8Array.from(absErr.dataSync(), (v) => (v <= 1.0 ? 1 : 0)),
                         absErr.shape, 'bool');
  return tf.mean(tf.where(cond, quad, lin), -1);
}

function lossFunction(name) {
  if (name === 'huber') return huber;
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [1] })] });
  m.compile({ loss: name, optimizer: 'sgd' });
  const fn = m.model.lossFunctions[0];
  m.dispose();
  return fn;
}

const lossCases = [];
function lossCase(loss, shapeT, shapeP, genT, genP, hook) {
  lossCases.push({ loss, shapeT, shapeP, genT, genP, hook });
}
const u = gen.uniform;
for (const [loss, gT, gP, hook] of [
  ['meanSquaredError', u(-2, 2), u(-2, 2), null],
  ['meanAbsoluteError', u(-2, 2), u(-2, 2), hooks.someEqual],
  ['meanAbsolutePercentageError', gen.withZeros(-3, 3), u(-3, 3), hooks.someEqual],
  ['meanSquaredLogarithmicError', u(-0.5, 3), u(-0.5, 3), hooks.someEqual],
  ['squaredHinge', gen.pm1, u(-2, 2), hooks.hingeEdge],
  ['hinge', gen.pm1, u(-2, 2), hooks.hingeEdge],
  ['logcosh', u(-3, 3), u(-12, 12), hooks.someEqual],
  ['binaryCrossentropy', gen.binary, gen.prob01, null],
  ['binaryCrossentropy', u(0, 1), gen.prob01, null],
  ['kullbackLeiblerDivergence', gen.prob01, u(-0.2, 1.3), null],
  ['poisson', u(0, 3), gen.prob01, null],
  ['huber', u(-2, 2), u(-3, 3), hooks.huberEdge],
]) {
  lossCase(loss, [4, 3], [4, 3], gT, gP, hook);
  lossCase(loss, [5, 1], [5, 1], gT, gP, hook);
  lossCase(loss, [3, 2, 4], [3, 2, 4], gT, gP, hook);
  lossCase(loss, [2, 7], [2, 7], gT, gP, hook);
}
for (const d of [3, 5]) {
  lossCase('categoricalCrossentropy', [4, d], [4, d], gen.oneHot(d), gen.positiveRows(d), null);
  lossCase('categoricalCrossentropy', [4, d], [4, d], gen.softRows(d), gen.softRows(d), null);
  lossCase('categoricalCrossentropy', [2, 3, d], [2, 3, d], gen.oneHot(d), gen.positiveRows(d), null);
  lossCase('sparseCategoricalCrossentropy', [4], [4, d], gen.labels(d), gen.positiveRows(d), null);
  lossCase('sparseCategoricalCrossentropy', [4, 1], [4, d], gen.labels(d), gen.softRows(d), null);
  lossCase('sparseCategoricalCrossentropy', [2, 3], [2, 3, d], gen.labels(d), gen.positiveRows(d), null);
  lossCase('categoricalHinge', [4, d], [4, d], gen.oneHot(d), u(-1, 2), null);
  lossCase('cosineProximity', [4, d], [4, d], u(-1, 1), u(-1, 1), hooks.zeroPredRow(d));
  lossCase('cosineProximity', [2, 2, d], [2, 2, d], u(-1, 1), u(-1, 1), null);
}

// ---------------------------------------------------------------------------------------------
// Metrics.

const metricCases = [];
function metricCase(metric, lossName, shapeT, shapeP, genT, genP) {
  metricCases.push({ metric, lossName, shapeT, shapeP, genT, genP });
}
for (const m of ['accuracy', 'acc', 'crossentropy', 'ce']) {
  metricCase(m, 'binaryCrossentropy', [6, 3], [6, 3], gen.binary, gen.prob01);
  metricCase(m, 'meanSquaredError', [6, 1], [6, 1], gen.binary, gen.prob01);
  metricCase(m, 'categoricalCrossentropy', [6, 4], [6, 4], gen.oneHot(4), gen.positiveRows(4));
  metricCase(m, 'sparseCategoricalCrossentropy', [6], [6, 4], gen.labels(4), gen.positiveRows(4));
  metricCase(m, 'sparseCategoricalCrossentropy', [6, 1], [6, 4], gen.labels(4), gen.positiveRows(4));
  metricCase(m, 'meanSquaredError', [6, 4], [6, 4], gen.oneHot(4), gen.positiveRows(4));
}
metricCase('binaryAccuracy', 'meanSquaredError', [8, 3], [8, 3], gen.binary, gen.prob01);
metricCase('categoricalAccuracy', 'meanSquaredError', [8, 3], [8, 3], gen.oneHot(3), gen.positiveRows(3));
metricCase('categoricalAccuracy', 'meanSquaredError', [2, 3, 4], [2, 3, 4], gen.oneHot(4), gen.positiveRows(4));
metricCase('sparseCategoricalAccuracy', 'meanSquaredError', [8], [8, 3], gen.labels(3), gen.positiveRows(3));
metricCase('precision', 'meanSquaredError', [8, 3], [8, 3], gen.binary, gen.prob01);
metricCase('recall', 'meanSquaredError', [8, 3], [8, 3], gen.binary, gen.prob01);
metricCase('precision', 'meanSquaredError', [4, 2], [4, 2], gen.binary, u(0.1, 0.9));  // tp+fp = 0
for (const m of ['mse', 'MSE', 'mae', 'MAE', 'mape', 'MAPE', 'cosine', 'binaryCrossentropy',
                 'categoricalCrossentropy', 'meanSquaredError', 'meanAbsoluteError',
                 'meanAbsolutePercentageError', 'cosineProximity']) {
  metricCase(m, 'meanSquaredError', [5, 3], [5, 3], gen.softRows(3), gen.softRows(3));
}
metricCase('mse', 'meanSquaredError', [2, 3, 4], [2, 3, 4], u(-1, 1), u(-1, 1));
metricCase('sparseCategoricalCrossentropy', 'meanSquaredError', [5], [5, 3], gen.labels(3), gen.softRows(3));

function resolveMetric(metric, lossName, outputDim) {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: outputDim, inputShape: [1] })] });
  try {
    m.compile({ loss: lossName, optimizer: 'sgd', metrics: [metric] });
    return { fn: m.model.metricsTensors[0][0], historyName: m.model.metricsNames[1], tfjsAccepts: true };
  } catch (e) {
    const fn = tf.metrics[metric] ?? lossFunction(metric);
    return { fn, historyName: metric, tfjsAccepts: false, error: e.message };
  } finally {
    m.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizers. `name`/`config` are what the C++ side passes to makeOptimizer; `make` builds the
// TF.js optimizer it must behave as.

const optimizerCases = [
  { case: 'sgd_layers_default', name: 'sgd', config: {}, make: () => layersOptimizer('sgd') },
  { case: 'sgd_lr', name: 'sgd', config: { learningRate: 0.1 }, make: () => tf.train.sgd(0.1) },
  { case: 'momentum', name: 'momentum', config: { learningRate: 0.05, momentum: 0.9 },
    make: () => tf.train.momentum(0.05, 0.9) },
  { case: 'momentum_nesterov', name: 'momentum',
    config: { learningRate: 0.05, momentum: 0.8, useNesterov: true },
    make: () => tf.train.momentum(0.05, 0.8, true) },
  { case: 'keras_sgd_momentum', name: 'SGD',
    config: { name: 'SGD', learning_rate: 0.1, momentum: 0.9, nesterov: true, decay: 0.0 },
    make: () => tf.train.momentum(0.1, 0.9, true) },
  { case: 'adam_layers_default', name: 'adam', config: {}, make: () => layersOptimizer('adam') },
  { case: 'adam_custom', name: 'adam',
    config: { learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6 },
    make: () => tf.train.adam(0.01, 0.8, 0.95, 1e-6) },
  { case: 'keras_adam_k224', name: 'Adam',
    config: { lr: 0.0010000000474974513, beta_1: 0.8999999761581421, beta_2: 0.9990000128746033,
              decay: 0.0, epsilon: 1e-07, amsgrad: false },
    make: () => tf.train.adam(0.0010000000474974513, 0.8999999761581421, 0.9990000128746033, 1e-7) },
  { case: 'adamax_layers_default', name: 'adamax', config: {}, make: () => layersOptimizer('adamax') },
  { case: 'adamax_decay', name: 'adamax',
    config: { learningRate: 0.01, beta1: 0.85, beta2: 0.99, epsilon: 1e-6, decay: 0.1 },
    make: () => tf.train.adamax(0.01, 0.85, 0.99, 1e-6, 0.1) },
  { case: 'rmsprop_layers_default', name: 'rmsprop', config: {}, make: () => layersOptimizer('rmsprop') },
  { case: 'rmsprop_momentum', name: 'rmsprop',
    config: { learningRate: 0.01, decay: 0.8, momentum: 0.5, epsilon: 1e-6 },
    make: () => tf.train.rmsprop(0.01, 0.8, 0.5, 1e-6) },
  { case: 'rmsprop_centered', name: 'rmsprop',
    config: { learningRate: 0.01, decay: 0.9, momentum: 0.0, centered: true },
    make: () => tf.train.rmsprop(0.01, 0.9, 0.0, null, true) },
  { case: 'rmsprop_centered_momentum', name: 'RMSProp',
    config: { learningRate: 0.02, decay: 0.7, momentum: 0.3, epsilon: 1e-7, centered: true },
    make: () => tf.train.rmsprop(0.02, 0.7, 0.3, 1e-7, true) },
  { case: 'keras_rmsprop_k216', name: 'RMSprop',
    config: { epsilon: 1e-07, lr: 0.0020000000949949026, rho: 0.8999999761581421, decay: 0.0 },
    make: () => tf.train.rmsprop(0.0020000000949949026, 0.8999999761581421, 0, 1e-7) },
  { case: 'adagrad_layers_default', name: 'adagrad', config: {}, make: () => layersOptimizer('adagrad') },
  { case: 'adagrad_custom', name: 'adagrad', config: { learningRate: 0.1, initialAccumulatorValue: 0.5 },
    make: () => tf.train.adagrad(0.1, 0.5) },
  { case: 'adadelta_layers_default', name: 'adadelta', config: {}, make: () => layersOptimizer('adadelta') },
  { case: 'adadelta_custom', name: 'adadelta', config: { learningRate: 0.5, rho: 0.9, epsilon: 1e-6 },
    make: () => tf.train.adadelta(0.5, 0.9, 1e-6) },
];

function layersOptimizer(name) {
  // The optimizer tfjs-layers' compile() makes for a string (tfjs-layers optimizers.ts).
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  m.compile({ loss: 'meanSquaredError', optimizer: name });
  return m.optimizer;
}

const variableSpecs = [
  { name: 'dense/kernel', shape: [3, 4] },
  { name: 'dense/bias', shape: [4] },
  { name: 'conv/kernel', shape: [2, 3, 5] },
];

// ---------------------------------------------------------------------------------------------
// Initializers: the moments of TF.js's draws (the values themselves cannot match: TF.js's random
// stream is seedrandom's alea, ours is std::mt19937_64). `spec` is what the C++ side passes.

const initializerCases = [
  { case: 'glorotUniform_dense', spec: 'glorot_uniform', shape: [200, 300],
    make: () => tf.initializers.glorotUniform({ seed: 1 }) },
  { case: 'glorotNormal_dense', spec: { class_name: 'GlorotNormal', config: { seed: null } },
    shape: [200, 300], make: () => tf.initializers.glorotNormal({ seed: 2 }) },
  { case: 'heNormal_conv', spec: 'he_normal', shape: [3, 3, 64, 32],
    make: () => tf.initializers.heNormal({ seed: 3 }) },
  { case: 'heUniform_conv1d', spec: 'heUniform', shape: [5, 40, 64],
    make: () => tf.initializers.heUniform({ seed: 4 }) },
  { case: 'lecunNormal', spec: { class_name: 'LecunNormal', config: {} }, shape: [300, 100],
    make: () => tf.initializers.leCunNormal({ seed: 5 }) },
  { case: 'lecunUniform_bias', spec: 'lecun_uniform', shape: [40000],
    make: () => tf.initializers.leCunUniform({ seed: 6 }) },
  { case: 'varianceScaling_fanOut_uniform',
    spec: { class_name: 'VarianceScaling', config: { scale: 2.5, mode: 'fan_out', distribution: 'uniform' } },
    shape: [100, 400],
    make: () => tf.initializers.varianceScaling({ scale: 2.5, mode: 'fanOut', distribution: 'uniform', seed: 13 }) },
  { case: 'varianceScaling_fanAvg_normal',
    spec: { class_name: 'VarianceScaling', config: { scale: 0.5, mode: 'fan_avg', distribution: 'normal' } },
    shape: [3, 3, 30, 20],
    make: () => tf.initializers.varianceScaling({ scale: 0.5, mode: 'fanAvg', distribution: 'normal', seed: 14 }) },
  { case: 'varianceScaling_truncatedNormal',
    spec: { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal' } },
    shape: [100, 400],
    make: () => tf.initializers.varianceScaling({
      scale: 1.0, mode: 'fanIn', distribution: 'truncatedNormal', seed: 15 }) },
  { case: 'randomUniform', spec: { class_name: 'RandomUniform', config: { minval: -0.3, maxval: 0.7 } },
    shape: [50000], make: () => tf.initializers.randomUniform({ minval: -0.3, maxval: 0.7, seed: 7 }) },
  { case: 'randomUniform_min0', spec: { class_name: 'RandomUniform', config: { minval: 0, maxval: 1 } },
    shape: [50000], make: () => tf.initializers.randomUniform({ minval: 0, maxval: 1, seed: 8 }) },
  { case: 'randomUniform_default', spec: 'random_uniform', shape: [50000],
    make: () => tf.initializers.randomUniform({ seed: 9 }) },
  { case: 'randomNormal', spec: { class_name: 'RandomNormal', config: { mean: 1.5, stddev: 2.0 } },
    shape: [50000], make: () => tf.initializers.randomNormal({ mean: 1.5, stddev: 2.0, seed: 10 }) },
  { case: 'truncatedNormal', spec: { class_name: 'TruncatedNormal', config: { mean: -1, stddev: 0.5 } },
    shape: [50000], make: () => tf.initializers.truncatedNormal({ mean: -1, stddev: 0.5, seed: 11 }) },
  { case: 'truncatedNormal_default', spec: 'truncatedNormal', shape: [50000],
    make: () => tf.initializers.truncatedNormal({ seed: 12 }) },
  { case: 'constant', spec: { class_name: 'Constant', config: { value: 0.25 } }, shape: [7, 3],
    make: () => tf.initializers.constant({ value: 0.25 }) },
  { case: 'ones', spec: 'ones', shape: [4, 5], make: () => tf.initializers.ones() },
  { case: 'zeros', spec: 'Zeros', shape: [4, 5], make: () => tf.initializers.zeros() },
  { case: 'identity', spec: { class_name: 'Identity', config: { gain: 2.5 } }, shape: [6, 6],
    make: () => tf.initializers.identity({ gain: 2.5 }) },
  { case: 'orthogonal_tall', spec: { class_name: 'Orthogonal', config: { gain: 1.0, seed: 3 } },
    shape: [60, 20], make: () => tf.initializers.orthogonal({ gain: 1.0, seed: 3 }) },
  { case: 'orthogonal_wide_gain', spec: { class_name: 'Orthogonal', config: { gain: 2.0 } },
    shape: [20, 60], make: () => tf.initializers.orthogonal({ gain: 2.0, seed: 4 }) },
];

function moments(values) {
  let s = 0, s2 = 0, mn = Infinity, mx = -Infinity;
  for (const v of values) {
    s += v;
    s2 += v * v;
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  const mean = s / values.length;
  return { mean, std: Math.sqrt(Math.max(0, s2 / values.length - mean * mean)), min: mn, max: mx };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const outdir = process.argv[2];
  if (!outdir) {
    console.error('usage: node train_math_cases.mjs OUTDIR');
    process.exit(2);
  }
  await initTf();
  fs.mkdirSync(outdir, { recursive: true });
  const out = { tfjs_version: tf.version.tfjs, losses: [], metrics: [], optimizers: [], initializers: [] };

  const names = new Set();
  const uniqueName = (base) => {
    let n = base;
    for (let k = 1; names.has(n); k++) n = `${base}_${k}`;
    names.add(n);
    return n;
  };

  for (const c of lossCases) {
    const name = uniqueName(`${c.loss}_${c.shapeP.join('x')}`);
    const rng = new Rng(name);
    const t = c.genT(rng, count(c.shapeT));
    const p = c.genP(rng, count(c.shapeP));
    if (c.hook) c.hook(t, p, rng);
    const coeff = rng.f32(c.shapeP[0], -1, 1);
    const fn = lossFunction(c.loss);
    const yT = tf.tensor(t, c.shapeT, 'float32');
    const yP = tf.tensor(p, c.shapeP, 'float32');
    const co = tf.tensor(coeff, [c.shapeP[0]], 'float32');
    const perSample = (pred) => {
      const l = fn(yT, pred);
      if (l.rank === 1) return l;
      return tf.mean(l, Array.from({ length: l.rank - 1 }, (_, i) => i + 1));
    };
    const ps = perSample(yP);
    if (ps.shape.length !== 1 || ps.shape[0] !== c.shapeP[0]) {
      throw new Error(`${name}: per-sample shape ${ps.shape}`);
    }
    const grad = tf.grad((pred) => tf.sum(tf.mul(perSample(pred), co)))(yP);
    out.losses.push({
      case: name, loss: c.loss, yTrue: dumpT(yT), yPred: dumpT(yP),
      coeff: hexOf(coeff), perSample: hexOf(f32Of(ps)), grad: dumpT(grad),
    });
    tf.dispose([yT, yP, co, ps, grad]);
  }

  for (const c of metricCases) {
    const name = uniqueName(`metric_${c.metric}_${c.lossName}_${c.shapeT.join('x')}`);
    const rng = new Rng(name);
    const t = c.genT(rng, count(c.shapeT));
    const p = c.genP(rng, count(c.shapeP));
    const outputDim = c.shapeP[c.shapeP.length - 1];
    const r = resolveMetric(c.metric, c.lossName, outputDim);
    const yT = tf.tensor(t, c.shapeT, 'float32');
    const yP = tf.tensor(p, c.shapeP, 'float32');
    let v = r.fn(yT, yP);
    const batchValue = v.rank === 0;
    if (v.rank > 1) v = tf.mean(v, Array.from({ length: v.rank - 1 }, (_, i) => i + 1));
    out.metrics.push({
      case: name, metric: c.metric, lossName: c.lossName, outputDim, tfjsAccepts: r.tfjsAccepts,
      tfjsError: r.error, historyName: r.historyName, yTrue: dumpT(yT), yPred: dumpT(yP),
      batchValue, values: hexOf(f32Of(v)),
    });
    tf.dispose([yT, yP, v]);
  }

  for (const c of optimizerCases) {
    const rng = new Rng(uniqueName(`optimizer_${c.case}`));
    const opt = c.make();
    const inits = variableSpecs.map((s) => rng.f32(count(s.shape), -1, 1));
    const vars = variableSpecs.map((s, i) => tf.variable(tf.tensor(inits[i], s.shape), true, s.name));
    const steps = [];
    for (let step = 0; step < 5; step++) {
      const grads = variableSpecs.map((s) => rng.f32(count(s.shape), -1, 1));
      const gt = grads.map((g, i) => tf.tensor(g, variableSpecs[i].shape));
      opt.applyGradients(variableSpecs.map((s, i) => ({ name: s.name, tensor: gt[i] })));
      steps.push({ grads: grads.map(hexOf), values: vars.map((v) => hexOf(f32Of(v))) });
      tf.dispose(gt);
    }
    const rec = {
      case: c.case, name: c.name, config: c.config, tfjsClassName: opt.getClassName(),
      tfjsConfig: opt.getConfig(),
      variables: variableSpecs.map((s, i) => ({ name: s.name, shape: s.shape, init: hexOf(inits[i]) })),
      steps,
    };
    try {
      const w = await opt.getWeights();
      rec.weights = w.map((x) => ({ name: x.name, dtype: x.tensor.dtype, ...dumpT(x.tensor) }));
    } catch (e) {
      rec.weightsError = e.message;
    }
    out.optimizers.push(rec);
    tf.dispose(vars);
    opt.dispose();
  }

  for (const c of initializerCases) {
    const origWarn = console.warn;
    console.warn = () => {};  // Orthogonal's "slowness may result" note
    const t = c.make().apply(c.shape, 'float32');
    console.warn = origWarn;
    const v = f32Of(t);
    const rec = { case: c.case, spec: c.spec, shape: c.shape, ...moments(v) };
    if (v.length <= 64) rec.values = hexOf(v);
    out.initializers.push(rec);
    t.dispose();
  }

  fs.writeFileSync(path.join(outdir, 'train_math.json'), JSON.stringify(out, null, 1));
  console.log(`train_math.json: ${out.losses.length} loss cases, ${out.metrics.length} metric cases, ` +
              `${out.optimizers.length} optimizer cases, ${out.initializers.length} initializer cases`);
}

main();
