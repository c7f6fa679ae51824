// node make_training_cases.mjs OUTDIR
//
// The training oracle: the real TF.js (cpu backend) trains small models with model.fit and
// records what tfjs-cpp's fit must reproduce. For each case, OUTDIR/<case>/ holds the model
// before training (model.json + group1-shard1of1.bin, saved with model.save), and
// OUTDIR/<case>/case.json holds the data (float32 hex), the compile and fit arguments in
// tfjs-cpp's spelling, TF.js's per-epoch history and its final weights (hex). Shuffling is off
// (TF.js's shuffle uses Math.random, not reproducible elsewhere); everything else is TF.js's
// default. Math.random is seeded, so every run writes the same files.
//
// The cases: every optimizer (sgd, momentum, adam, rmsprop) on each of the walkthrough, an MLP
// classifier and a small CNN (issue 5's matrix), then other models, losses and fit arguments
// (sparse labels, validation, binary crossentropy, BatchNormalization, LSTM and GRU).
import fs from 'node:fs';
import path from 'node:path';
import { tf, initTf, installFailureHandlers, Rng, hexOf, writeModelFolder, saveInMemory } from './lib.mjs';

installFailureHandlers();

function oneHot(labels, k) {
  const out = new Float32Array(labels.length * k);
  labels.forEach((c, i) => { out[i * k + c] = 1; });
  return out;
}

// An optimizer in TF.js (tf.train.*, positional arguments; undefined takes TF.js's default) and
// in tfjs-cpp's spelling (the name and config CompileArgs takes): one spec for both, so the two
// sides cannot drift apart.
const tfOptimizers = {
  sgd: (c) => tf.train.sgd(c.learning_rate),
  momentum: (c) => tf.train.momentum(c.learning_rate, c.momentum, c.nesterov),
  adam: (c) => tf.train.adam(c.learning_rate, c.beta_1, c.beta_2, c.epsilon),
  // Keras's `rho` is TF.js's `decay` (the moving average's factor).
  rmsprop: (c) => tf.train.rmsprop(c.learning_rate, c.rho ?? c.decay, c.momentum, c.epsilon, c.centered),
};

// A model family: its builder, its data (drawn from the case's seeded rng after the weights), its
// loss and metrics, and the seed its cases share: every optimizer on a family starts from the
// same weights and trains on the same data.
const walkthrough = {
  // The walkthrough: y = 2x - 1 on the blog's six points, Dense(1), meanSquaredError.
  seed: 'walkthrough_sgd_mse',
  build: () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 1, inputShape: [1] }));
    return m;
  },
  data: () => ({ x: [Float32Array.from([-1, 0, 1, 2, 3, 4]), [6, 1]], y: [Float32Array.from([-3, -1, 1, 3, 5, 7]), [6, 1]] }),
  loss: 'meanSquaredError',
  metrics: [],
};

const mlpClassifier = {
  // Dense relu -> Dense softmax on five features, three classes, categoricalCrossentropy.
  seed: 'mlp_adam_cce_accuracy',
  build: () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 16, activation: 'relu', inputShape: [5] }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    return m;
  },
  data: (rng) => {
    const n = 40;
    const x = rng.f32(n * 5);
    const labels = [];
    for (let i = 0; i < n; i++) labels.push((x[i * 5] + x[i * 5 + 1] > 0.3 ? 2 : 0) + (x[i * 5 + 2] > 0.5 ? -1 : 0) + (x[i * 5 + 2] > 0.5 ? 1 : 0) * (x[i * 5] > 0 ? 1 : 0));
    return { x: [x, [n, 5]], y: [oneHot(labels.map((c) => Math.max(0, Math.min(2, c))), 3), [n, 3]] };
  },
  loss: 'categoricalCrossentropy',
  metrics: ['accuracy'],
};

const smallCnn = {
  // A small CNN: Conv2D (relu, 'same') -> MaxPooling2D -> Conv2D -> AveragePooling2D -> Flatten
  // -> Dense softmax, categoricalCrossentropy.
  seed: 'cnn_adam_cce',
  build: () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, strides: 1, activation: 'tanh' }));
    m.add(tf.layers.averagePooling2d({ poolSize: 3 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    return m;
  },
  data: (rng) => {
    const n = 20;
    const x = rng.f32(n * 64, 0, 1);
    const labels = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < 32; k++) s += x[i * 64 + k];
      labels.push(s > 17 ? 2 : s > 15 ? 1 : 0);
    }
    return { x: [x, [n, 8, 8, 1]], y: [oneHot(labels, 3), [n, 3]] };
  },
  loss: 'categoricalCrossentropy',
  metrics: ['accuracy'],
};

// One cell of the optimizer x model matrix.
function matrixCase(name, family, optimizer, optimizerConfig, fit) {
  return {
    name,
    seed: family.seed,
    build: family.build,
    data: family.data,
    compile: { optimizer, optimizerConfig, loss: family.loss, metrics: family.metrics },
    fit,
  };
}

const cases = [
  // The optimizer x model matrix: sgd, momentum (plain), adam and rmsprop on the walkthrough, an
  // MLP classifier and a small CNN. Beyond the defaults: adam with its own betas and epsilon on
  // the walkthrough, centered rmsprop (TF.js's spelling `decay`) on the walkthrough, rmsprop with
  // momentum, epsilon and Keras's spelling `rho` on the MLP. Centered rmsprop: TF.js takes
  // sqrt(ms - (mg^2 + epsilon)), NaN for a gradient that is exactly 0 (relu units give them), so
  // it runs on the walkthrough, whose gradients never are; its epsilon 1e-3 makes the sign
  // matter (adding it, as Keras does, changes the losses by up to 25%), and 1e-2 would be NaN.
  matrixCase('walkthrough_sgd_mse', walkthrough, 'sgd', { learning_rate: 0.01 }, { epochs: 500, batchSize: 32 }),
  matrixCase('walkthrough_momentum_mse', walkthrough, 'momentum', { learning_rate: 0.01, momentum: 0.9, nesterov: false }, { epochs: 30, batchSize: 4 }),
  matrixCase('walkthrough_adam_betas_mse', walkthrough, 'adam', { learning_rate: 0.1, beta_1: 0.8, beta_2: 0.95, epsilon: 1e-4 }, { epochs: 40, batchSize: 32 }),
  matrixCase('walkthrough_rmsprop_centered_mse', walkthrough, 'rmsprop', { learning_rate: 0.01, decay: 0.85, epsilon: 1e-3, centered: true }, { epochs: 100, batchSize: 32 }),
  matrixCase('mlp_sgd_cce_accuracy', mlpClassifier, 'sgd', { learning_rate: 0.1 }, { epochs: 25, batchSize: 8 }),
  matrixCase('mlp_momentum_cce_accuracy', mlpClassifier, 'momentum', { learning_rate: 0.05, momentum: 0.8 }, { epochs: 25, batchSize: 8 }),
  matrixCase('mlp_adam_cce_accuracy', mlpClassifier, 'adam', { learning_rate: 0.01 }, { epochs: 25, batchSize: 8 }),
  matrixCase('mlp_rmsprop_rho_momentum_cce_accuracy', mlpClassifier, 'rmsprop', { learning_rate: 0.005, rho: 0.8, momentum: 0.5, epsilon: 1e-5 }, { epochs: 25, batchSize: 8 }),
  matrixCase('cnn_sgd_cce', smallCnn, 'sgd', { learning_rate: 0.1 }, { epochs: 8, batchSize: 6 }),
  matrixCase('cnn_momentum_cce', smallCnn, 'momentum', { learning_rate: 0.02, momentum: 0.9 }, { epochs: 8, batchSize: 6 }),
  matrixCase('cnn_adam_cce', smallCnn, 'adam', { learning_rate: 0.01 }, { epochs: 8, batchSize: 6 }),
  matrixCase('cnn_rmsprop_cce', smallCnn, 'rmsprop', { learning_rate: 0.002 }, { epochs: 8, batchSize: 6 }),
  // Regularizers: every kind of weight TF.js's fit penalizes (kernel, bias, embeddings, gamma,
  // beta, alpha, depthwise and pointwise kernels, a layer inside TimeDistributed), with l1, l2
  // and both; the reported loss includes the penalties (tfjs-layers' makeTrainFunction).
  {
    name: 'regularized_dense_timedistributed_sgd_mse',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.timeDistributed({ inputShape: [3, 4], layer: tf.layers.dense({ units: 3, activation: 'tanh', kernelRegularizer: tf.regularizers.l1l2({ l1: 0.01, l2: 0.05 }) }) }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 2, kernelRegularizer: tf.regularizers.l1({ l1: 0.02 }), biasRegularizer: tf.regularizers.l2({ l2: 0.3 }) }));
      return m;
    },
    data: (rng) => {
      const n = 24;
      const x = rng.f32(n * 12);
      const y = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        y[i * 2] = x[i * 12] - x[i * 12 + 5];
        y[i * 2 + 1] = 0.5 * x[i * 12 + 7] + 0.25;
      }
      return { x: [x, [n, 3, 4]], y: [y, [n, 2]] };
    },
    compile: { optimizer: 'sgd', optimizerConfig: { learning_rate: 0.05 }, loss: 'meanSquaredError', metrics: ['mae'] },
    fit: { epochs: 15, batchSize: 8, validationSplit: 0.25 },
  },
  {
    name: 'regularized_embedding_norms_prelu_adam_cce',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: 6, outputDim: 3, inputLength: 4, embeddingsRegularizer: tf.regularizers.l2({ l2: 0.1 }) }));
      m.add(tf.layers.flatten());
      // No bias before the batch normalization: its gradient is rounding noise there, which
      // adam turns into full steps that differ between any two implementations.
      m.add(tf.layers.dense({ units: 5, useBias: false }));
      m.add(tf.layers.batchNormalization({ gammaRegularizer: tf.regularizers.l2({ l2: 0.2 }), betaRegularizer: tf.regularizers.l1({ l1: 0.05 }) }));
      m.add(tf.layers.prelu({ alphaRegularizer: tf.regularizers.l1l2({ l1: 0.03, l2: 0.03 }) }));
      m.add(tf.layers.layerNormalization({ gammaRegularizer: tf.regularizers.l1({ l1: 0.02 }), betaRegularizer: tf.regularizers.l2({ l2: 0.04 }) }));
      m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
      return m;
    },
    data: (rng) => {
      const n = 30;
      const x = new Float32Array(n * 4);
      const labels = [];
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < 4; k++) x[i * 4 + k] = rng.int(0, 5);
        labels.push((x[i * 4] + x[i * 4 + 1]) % 3);
      }
      return { x: [x, [n, 4]], y: [oneHot(labels, 3), [n, 3]] };
    },
    compile: { optimizer: 'adam', optimizerConfig: { learning_rate: 0.02 }, loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
    fit: { epochs: 12, batchSize: 10 },
  },
  {
    name: 'regularized_separable_depthwise_momentum_mse',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.separableConv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, depthwiseRegularizer: tf.regularizers.l2({ l2: 0.1 }), pointwiseRegularizer: tf.regularizers.l1({ l1: 0.02 }), biasRegularizer: tf.regularizers.l1l2({ l1: 0.01, l2: 0.01 }) }));
      m.add(tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, depthwiseRegularizer: tf.regularizers.l1l2({ l1: 0.02, l2: 0.1 }) }));
      m.add(tf.layers.conv2d({ filters: 2, kernelSize: 1, kernelRegularizer: tf.regularizers.l2({ l2: 0.05 }) }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 1 }));
      return m;
    },
    data: (rng) => {
      const n = 16;
      const x = rng.f32(n * 72);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) y[i] = x[i * 72] * 0.5 - x[i * 72 + 40];
      return { x: [x, [n, 6, 6, 2]], y: [y, [n, 1]] };
    },
    compile: { optimizer: 'momentum', optimizerConfig: { learning_rate: 0.02, momentum: 0.9 }, loss: 'meanSquaredError', metrics: [] },
    fit: { epochs: 10, batchSize: 4 },
  },
  // Other models, losses and fit arguments.
  {
    name: 'mlp_momentum_nesterov_sparse',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 12, activation: 'tanh', inputShape: [4] }));
      m.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
      return m;
    },
    data: (rng) => {
      const n = 30;
      const x = rng.f32(n * 4);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) y[i] = rng.int(0, 3);
      return { x: [x, [n, 4]], y: [y, [n]] };
    },
    compile: { optimizer: 'momentum', optimizerConfig: { learning_rate: 0.05, momentum: 0.9, nesterov: true }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
    fit: { epochs: 20, batchSize: 7 },
  },
  {
    name: 'mlp_rmsprop_mse_validation',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 8, activation: 'sigmoid', inputShape: [3] }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    },
    data: (rng) => {
      const n = 32;
      const x = rng.f32(n * 3);
      const y = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        y[i * 2] = x[i * 3] * 2 - x[i * 3 + 1];
        y[i * 2 + 1] = x[i * 3 + 2] * x[i * 3];
      }
      return { x: [x, [n, 3]], y: [y, [n, 2]] };
    },
    compile: { optimizer: 'rmsprop', optimizerConfig: { learning_rate: 0.01 }, loss: 'meanSquaredError', metrics: ['mae'] },
    fit: { epochs: 30, batchSize: 6, validationSplit: 0.25 },
  },
  {
    name: 'binary_sgd_bce',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 3, activation: 'elu', inputShape: [2, 2] }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
      return m;
    },
    data: (rng) => {
      const n = 24;
      const x = rng.f32(n * 4);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) y[i] = x[i * 4] * x[i * 4 + 3] > 0 ? 1 : 0;
      return { x: [x, [n, 2, 2]], y: [y, [n, 1]] };
    },
    compile: { optimizer: 'sgd', optimizerConfig: { learning_rate: 0.5 }, loss: 'binaryCrossentropy', metrics: ['accuracy'] },
    fit: { epochs: 40, batchSize: 5 },
  },
  {
    // BatchNormalization in training (batch statistics, moving averages with the default
    // momentum 0.99) after a small CNN. BatchNormalization is the last layer with weights, so
    // TF.js's getWeights() order (every trainable weight first) is the layers' order. No
    // validation: the seeded moving variance is negative, so inference gives NaN. The conv before
    // it ends in tanh: after linear layers only, BatchNormalization cancels their biases, whose
    // gradients are then zero but for rounding noise that adam scales up to full steps, which no
    // two implementations reproduce alike. (TF.js 4.22
    // cannot train BatchNormalization on another axis than the last, nor with center or scale
    // false: its gradient of the reshaped gamma fails, and it reads the missing gamma / beta.)
    name: 'cnn_batchnorm_adam',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 1] }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }));
      m.add(tf.layers.globalAveragePooling2d({}));
      m.add(tf.layers.batchNormalization({}));
      m.add(tf.layers.activation({ activation: 'softmax' }));
      return m;
    },
    data: (rng) => {
      const n = 25;
      const x = rng.f32(n * 36, 0, 1);
      const labels = [];
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < 18; k++) s += x[i * 36 + k];
        labels.push(s > 9.5 ? 2 : s > 8.5 ? 1 : 0);
      }
      return { x: [x, [n, 6, 6, 1]], y: [oneHot(labels, 3), [n, 3]] };
    },
    compile: { optimizer: 'adam', optimizerConfig: { learning_rate: 0.01 }, loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
    fit: { epochs: 6, batchSize: 5 },
  },
  {
    // Transfer learning: a frozen Dense and a frozen BatchNormalization (trainable: false in the
    // saved model.json) under a trainable head. TF.js's fit keeps the frozen weights, yet its
    // BatchNormalization still normalizes with the batch's statistics and updates its moving
    // averages (fit calls every layer with training: true, and LayerVariable.write ignores
    // trainable), unlike Keras 2, which runs a frozen BatchNormalization in inference mode.
    name: 'frozen_dense_batchnorm_adam',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 6, activation: 'tanh', inputShape: [4], trainable: false }));
      m.add(tf.layers.batchNormalization({ trainable: false }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    },
    data: (rng) => {
      const n = 20;
      const x = rng.f32(n * 4);
      const y = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        y[i * 2] = x[i * 4] - 0.5 * x[i * 4 + 1];
        y[i * 2 + 1] = x[i * 4 + 2] * x[i * 4 + 3];
      }
      return { x: [x, [n, 4]], y: [y, [n, 2]] };
    },
    compile: { optimizer: 'adam', optimizerConfig: { learning_rate: 0.01 }, loss: 'meanSquaredError', metrics: [] },
    fit: { epochs: 5, batchSize: 5 },
  },
  {
    // Backpropagation through time: LSTM(8) (TF.js's defaults: hard_sigmoid gates) -> Dense(1)
    // regressing a sequence's weighted sum, adam; then GRU (reset_after false, as TF.js computes
    // it) returning sequences under an LSTM going backwards, sgd.
    name: 'lstm_adam_mse',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.lstm({ units: 8, inputShape: [5, 3] }));
      m.add(tf.layers.dense({ units: 1 }));
      return m;
    },
    data: (rng) => {
      const n = 24;
      const x = rng.f32(n * 15);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < 5; t++) y[i] += (t + 1) * 0.1 * (x[i * 15 + t * 3] - x[i * 15 + t * 3 + 2]);
      }
      return { x: [x, [n, 5, 3]], y: [y, [n, 1]] };
    },
    compile: { optimizer: 'adam', optimizerConfig: { learning_rate: 0.01 }, loss: 'meanSquaredError', metrics: [] },
    fit: { epochs: 6, batchSize: 8 },
  },
  {
    name: 'gru_lstm_backwards_sgd_mse',
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.gru({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [4, 2] }));
      m.add(tf.layers.lstm({ units: 3, goBackwards: true }));
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    },
    data: (rng) => {
      const n = 20;
      const x = rng.f32(n * 8);
      const y = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        y[i * 2] = x[i * 8] * x[i * 8 + 7];
        y[i * 2 + 1] = x[i * 8 + 3] - x[i * 8 + 4];
      }
      return { x: [x, [n, 4, 2]], y: [y, [n, 2]] };
    },
    compile: { optimizer: 'sgd', optimizerConfig: { learning_rate: 0.1 }, loss: 'meanSquaredError', metrics: [] },
    fit: { epochs: 5, batchSize: 5 },
  },
];

async function main() {
  const outdir = process.argv[2];
  if (!outdir || process.argv.length !== 3) {
    console.error('usage: node make_training_cases.mjs OUTDIR');
    process.exit(2);
  }
  const seeded = new Rng('training-math-random');
  Math.random = () => seeded.uniform();
  await initTf();
  const index = [];
  for (const c of cases) {
    const rng = new Rng(c.seed ?? c.name);
    const model = c.build();
    // Seeded initial weights (uniform in [-0.5, 0.5)), not the initializers' draws.
    model.setWeights(model.getWeights().map((w) => tf.tensor(rng.f32(w.size, -0.5, 0.5), w.shape)));
    const dir = path.join(outdir, c.name);
    fs.rmSync(dir, { recursive: true, force: true });
    const { artifacts, weightBytes } = await saveInMemory(model);
    writeModelFolder(dir, artifacts, [{ bytes: weightBytes, specs: artifacts.weightSpecs }], 'js');
    const d = c.data(rng);
    const x = tf.tensor(d.x[0], d.x[1]);
    const y = tf.tensor(d.y[0], d.y[1]);
    const { optimizer, optimizerConfig, loss, metrics } = c.compile;
    model.compile({ optimizer: tfOptimizers[optimizer](optimizerConfig), loss, metrics });
    const hist = await model.fit(x, y, { ...c.fit, shuffle: false, verbose: 0 });
    for (const [key, values] of Object.entries(hist.history)) {
      if (!values.every(Number.isFinite)) throw new Error(`${c.name}: TF.js's ${key} is not finite: ${values}`);
    }
    // Layer by layer (each layer's trainable weights, then its non-trainable ones), the order
    // tfjs-cpp's getWeights() lists them in (TF.js's model.getWeights() puts every trainable
    // weight of the model first).
    const weights = model.layers.flatMap((l) => l.getWeights())
                         .map((w) => ({ shape: w.shape, hex: hexOf(w.dataSync()) }));
    const record = {
      name: c.name,
      x: { shape: d.x[1], hex: hexOf(d.x[0]) },
      y: { shape: d.y[1], hex: hexOf(d.y[0]) },
      compile: c.compile,
      fit: c.fit,
      history: hist.history,
      weights,
    };
    fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(record) + '\n');
    index.push(c.name);
    x.dispose();
    y.dispose();
    model.dispose();
  }
  fs.writeFileSync(path.join(outdir, 'index.json'), JSON.stringify(index) + '\n');
  console.log(`${index.length} training cases written to ${outdir}`);
}

await main();
