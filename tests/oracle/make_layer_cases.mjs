// node make_layer_cases.mjs OUTDIR [FILTER]
//
// Per-layer oracle: for every case exported by layer_cases/*.mjs, builds the model with the real
// TF.js (4.22.0, cpu backend), gives it seeded random weights (uniform in [-1, 1]; values of
// variables whose name contains "variance" in [0.5, 1.5]), runs predict on seeded inputs, and
// writes OUTDIR/<case>/ with model.json + group1-shard1of1.bin (as TF.js saves it), and
// cases.json listing every case with its input and output tensors as hex (float32 / int32,
// little-endian) and its tolerance. FILTER keeps the cases whose name contains it.
//
// A case: { name, layers: (tf) => [layers of a tf.sequential] | model: (tf) => tf.LayersModel,
//           inputs: [[full shape incl. batch], ...], inputRange?: [lo, hi],
//           inputInt?: true | [per input true/false], tolerance?: {abs, rel},
//           inputHook?: (arrays, rng) => void   edits the input values (typed arrays) in place,
//                                               e.g. zeroes padded timesteps for masking cases,
//           reference?: (tf, model, inputs) => outputs   the expected outputs when they are not
//                                               model.predict (semantics TF.js lacks, computed
//                                               from their equations with plain tf ops),
//           patch?: ({artifacts, weightBytes}) => {artifacts, weightBytes}   edits what is saved }
// The C++ side (tests/layer_cases_test.cpp, via CTest) compares tfjs::LayersModel::predict with
// these outputs: |ours - tfjs| <= abs + rel * |tfjs| (default abs 1e-5, rel 1e-4).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, initTf, installFailureHandlers, Rng, hexOf, saveInMemory, writeModelFolder } from './lib.mjs';

installFailureHandlers();

async function loadCases() {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'layer_cases');
  const cases = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.mjs')).sort()) {
    const mod = await import(path.join(dir, f));
    for (const c of mod.default) cases.push({ ...c, file: f });
  }
  const names = new Set();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    names.add(c.name);
  }
  return cases;
}

async function main() {
  const outdir = process.argv[2];
  const filter = process.argv[3] ?? '';
  if (!outdir) {
    console.error('usage: node make_layer_cases.mjs OUTDIR [FILTER]');
    process.exit(2);
  }
  await initTf();
  fs.mkdirSync(outdir, { recursive: true });
  const index = { tfjs_version: tf.version.tfjs, cases: [] };
  for (const c of (await loadCases()).filter((k) => k.name.includes(filter))) {
    const rng = new Rng(c.name);
    const model = c.model ? c.model(tf) : tf.sequential({ layers: c.layers(tf) });
    model.setWeights(model.weights.map((w) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const v = w.name.includes('variance') ? rng.f32(n, 0.5, 1.5) : rng.f32(n, -1, 1);
      return tf.tensor(v, w.shape, 'float32');
    }));
    const [lo, hi] = c.inputRange ?? [-1, 1];
    const isInt = (i) => (Array.isArray(c.inputInt) ? c.inputInt[i] : c.inputInt);
    const raw = c.inputs.map((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      if (isInt(i)) return Int32Array.from(rng.f32(n, lo, hi), (v) => Math.floor(v));
      return rng.f32(n, lo, hi);
    });
    if (c.inputHook) c.inputHook(raw, rng);
    const inputs = raw.map((a, i) => tf.tensor(a, c.inputs[i], isInt(i) ? 'int32' : 'float32'));
    let outputs = c.reference ? c.reference(tf, model, inputs)
      : model.predict(inputs.length === 1 ? inputs[0] : inputs);
    if (!Array.isArray(outputs)) outputs = [outputs];
    const dir = path.join(outdir, c.name);
    fs.rmSync(dir, { recursive: true, force: true });
    let { artifacts, weightBytes } = await saveInMemory(model);
    if (c.patch) ({ artifacts, weightBytes } = c.patch({ artifacts, weightBytes }));
    writeModelFolder(dir, artifacts, [{ bytes: weightBytes, specs: artifacts.weightSpecs }], 'js');
    const dump = (t) => ({ shape: t.shape, dtype: t.dtype, hex: hexOf(t.dataSync()) });
    index.cases.push({
      name: c.name, file: c.file, tolerance: c.tolerance ?? { abs: 1e-5, rel: 1e-4 },
      inputs: inputs.map(dump), outputs: outputs.map(dump),
    });
    for (const t of [...inputs, ...outputs]) t.dispose();
    model.dispose();
  }
  fs.writeFileSync(path.join(outdir, 'cases.json'), JSON.stringify(index) + '\n');
  console.log(`wrote ${index.cases.length} layer cases to ${outdir}`);
}

await main();
