// node decode_folder.mjs DIR [--load-layers] [--predict-only]
//
// The other direction of the oracle: the real TF.js reads a model folder written by tfjs-cpp.
// Prints (stdout) what tf.io.decodeWeights decodes from DIR/model.json and its weight files, in
// the decoded.json format of make_models.mjs. With --load-layers, also builds the model with
// tf.loadLayersModel (proving TF.js accepts the folder) and adds "predict": the model's output on
// a seeded input, with that input ("inputs" / "outputs": every input and output of the model,
// "input" / "output" the first ones). --predict-only leaves the weights out of the output.
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
    // One seeded input per model input (the first one's values as before more inputs were fed).
    const rng = new Rng('decode_folder');
    const xs = model.inputs.map((input) => {
      const shape = input.shape.map((d) => (d === null ? 2 : d));
      const n = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(rng.f32(n), shape, 'float32');
    });
    const ys = [].concat(model.predict(xs.length === 1 ? xs[0] : xs));
    const dump = (t) => ({ shape: t.shape, hex: hexOf(t.dataSync()) });
    out.predict = { input: dump(xs[0]), output: dump(ys[0]), inputs: xs.map(dump), outputs: ys.map(dump) };
    model.dispose();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
