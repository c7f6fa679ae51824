// node make_walkthrough.mjs OUTDIR
//
// The TF.js "getting started" model: one Dense unit learning y = 2x - 1.
// Trains with sgd + meanSquaredError for 500 epochs, saves through
// model.save(withSaveHandler) into OUTDIR/model.json + OUTDIR/group1-shard1of1.bin
// (converter shard naming; model.json is exactly TF.js's artifacts, compact
// JSON, converter key order; no trainingConfig since includeOptimizer is off),
// then reloads the folder with tf.loadLayersModel and checks it predicts the
// same. Prints kernel, bias and predict([[10]]) and writes them (values and
// float32 hex) to OUTDIR/walkthrough_expected.json.
//
// Math.random is replaced by a seeded PRNG before anything runs, so the
// initial kernel (glorotUniform without seed draws its seed from Math.random)
// and fit's shuffling are reproducible: every run writes identical bytes.

import fs from 'node:fs';
import path from 'node:path';
import {
  tf, initTf, installFailureHandlers, Rng, hexOf, writeModelFolder, folderIOHandler, saveInMemory,
} from './lib.mjs';

installFailureHandlers();

async function main() {
  const outdir = process.argv[2];
  if (!outdir || process.argv.length !== 3) {
    console.error('usage: node make_walkthrough.mjs OUTDIR');
    process.exit(2);
  }
  const rng = new Rng('walkthrough');
  Math.random = () => rng.uniform();
  await initTf();

  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1] }));
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const xs = tf.tensor2d([-1, 0, 1, 2, 3, 4], [6, 1]);
  const ys = tf.tensor2d([-3, -1, 1, 3, 5, 7], [6, 1]);
  const t0 = Date.now();
  const hist = await model.fit(xs, ys, { epochs: 500, verbose: 0 });
  const trainMs = Date.now() - t0;

  const [kernelT, biasT] = model.getWeights();
  const kernel = kernelT.dataSync();
  const bias = biasT.dataSync();
  const x10 = tf.tensor2d([[10]]);
  const y10 = model.predict(x10);
  const pred = y10.dataSync();

  const { artifacts, weightBytes } = await saveInMemory(model);
  fs.mkdirSync(outdir, { recursive: true });
  for (const f of ['model.json', 'group1-shard1of1.bin']) fs.rmSync(path.join(outdir, f), { force: true });
  writeModelFolder(outdir, artifacts, [{ bytes: weightBytes, specs: artifacts.weightSpecs }], 'js');

  // Reload through a file-reading IOHandler: TF.js must accept the folder and
  // predict exactly the same value.
  const loaded = await tf.loadLayersModel(folderIOHandler(outdir));
  const y10b = loaded.predict(x10);
  if (hexOf(y10b.dataSync()) !== hexOf(pred)) {
    throw new Error('reloaded model predicts differently');
  }

  const expected = {
    kernel: { shape: kernelT.shape, values: Array.from(kernel), hex: hexOf(kernel) },
    bias: { shape: biasT.shape, values: Array.from(bias), hex: hexOf(bias) },
    predict: { input: [[10]], output: Array.from(pred), hex: hexOf(pred) },
    final_loss: hist.history.loss[hist.history.loss.length - 1],
    epochs: 500,
  };
  fs.writeFileSync(path.join(outdir, 'walkthrough_expected.json'), JSON.stringify(expected, null, 1) + '\n');

  console.log(`kernel: ${kernel[0]} (hex ${hexOf(kernel)})`);
  console.log(`bias: ${bias[0]} (hex ${hexOf(bias)})`);
  console.log(`predict([[10]]): ${pred[0]} (hex ${hexOf(pred)})`);
  console.log(`final loss: ${expected.final_loss}; training took ${trainMs} ms`);

  // (getWeights() returns the model's own variables: disposed with the model)
  for (const t of [xs, ys, x10, y10, y10b]) t.dispose();
  model.dispose();
  loaded.dispose();
}

await main();
