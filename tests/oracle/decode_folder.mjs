// node decode_folder.mjs DIR [--load-layers] [--predict-only]
//
// The other direction of the oracle: the real TF.js reads a model folder written by tfjs-cpp.
// Prints (stdout) what tf.io.decodeWeights decodes from DIR/model.json and its weight files, in
// the decoded.json format of make_models.mjs. With --load-layers, also builds the model with
// tf.loadLayersModel (proving TF.js accepts the folder) and adds "predict": the model's output on
// a seeded input, with that input. --predict-only leaves the weights out of the output.
import { tf, initTf, installFailureHandlers, Rng, hexOf, readModelFolder, folderIOHandler, dumpTensor } from './lib.mjs';

installFailureHandlers();

async function main() {
  const dir = process.argv[2];
  const predictOnly = process.argv.includes('--predict-only');
  const loadLayers = predictOnly || process.argv.includes('--load-layers');
  if (!dir) {
    console.error('usage: node decode_folder.mjs DIR [--load-layers]');
    process.exit(2);
  }
  await initTf();
  const { specs, buffers } = readModelFolder(dir);
  const decoded = tf.io.decodeWeights(buffers, specs);
  const weights = [];
  if (!predictOnly) {
    for (const spec of specs) weights.push(await dumpTensor(spec.name, decoded[spec.name]));
  }
  const out = { weights };
  if (loadLayers) {
    const model = await tf.loadLayersModel(folderIOHandler(dir));
    const inShape = model.inputs[0].shape.map((d) => (d === null ? 2 : d));
    const n = inShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(new Rng('decode_folder').f32(n), inShape, 'float32');
    const y = model.predict(x);
    out.predict = { input: { shape: x.shape, hex: hexOf(x.dataSync()) }, output: { shape: y.shape, hex: hexOf(y.dataSync()) } };
    model.dispose();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
