// node graph_cases.mjs OUTDIR
//
// Graph-model oracle: what the real TF.js (4.22.0, cpu backend) computes with tf.loadGraphModel
// and model.execute for the real graph models under tests/fixtures/real, on seeded inputs made
// from model.inputs (each unknown dimension 2; float32 uniform in [-1, 1), or [0, 1) for images,
// int32 in [0, 4)). Writes OUTDIR/graph_cases.json:
//
//   {"tfjs_version", "models": [{model, inputNodes, outputNodes,
//     inputs: [{name, dtype, shape, hex}], outputs: [{name, dtype, shape, hex}],
//     nodes: [{name, dtype, shape, hex}] | error}]}
//
// nodes: the first output of every node but Const, Placeholder, NoOp and the TensorList makers,
// fetched by name.
//
// nodesError: why TF.js could not fetch the intermediates (nodes is then empty).
// model is the model.json path under tests/fixtures/real; hex the little-endian bytes of
// dataSync() (float32 or int32). A model TF.js cannot run records its error instead.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, startScript, Rng, dumpTyped, TFJS_VERSION, toArrayBuffer } from './lib.mjs';

const [outDir] = await startScript('node graph_cases.mjs OUTDIR');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', 'fixtures', 'real');
const models = [
  'graph_eyeblink_uint16/model.json',
  'graph_tfjs_rn_dense/model.json',
  'graph_tfjs_e2e_dense/model/model.json',
  'graph_tfjs_examples_prefetch/model.json',
  'pair_keras3_cnn_to_graph_conv318/tfjs_model/model.json',
  'pair_pytraining_tiny_mnist_bn/web_model2/model.json',
  'tfjs_e2e_load_predict_data/graph_model/model.json',
  'graph_tfjs_move_lstm/model.json',
  'graph_faceboxes_float16/faceboxes.json',
];
// Input shapes where "each unknown dimension 2" would not exercise the model: a detector on a
// 2x2 image finds nothing to suppress.
const shapes = { 'graph_faceboxes_float16/faceboxes.json': [1, 128, 128, 3] };
// Nodes whose outputs are TensorList handles (TF.js gives an id tensor for them): not compared.
const listOps = ['TensorListReserve', 'EmptyTensorList', 'TensorListFromTensor', 'TensorListSetItem',
                 'TensorListPushBack'];

function handlerFor(file) {
  const dir = path.dirname(file);
  return {
    load: async () => {
      const modelJSON = JSON.parse(fs.readFileSync(file, 'utf8'));
      const buffers = [];
      for (const group of modelJSON.weightsManifest ?? []) {
        for (const p of group.paths) buffers.push(toArrayBuffer(fs.readFileSync(path.join(dir, p))));
      }
      const specs = tf.io.getWeightSpecs(modelJSON.weightsManifest ?? []);
      return tf.io.getModelArtifactsForJSON(modelJSON, async () => [specs, buffers]);
    },
  };
}

const dump = dumpTyped;
const out = [];
for (const rel of models) {
  const file = path.join(root, rel);
  if (!fs.existsSync(file)) continue;
  const rng = new Rng(`graph ${rel}`);
  const record = { model: rel };
  try {
    const model = await tf.loadGraphModel(handlerFor(file));
    record.inputNodes = model.inputNodes;
    record.outputNodes = model.outputNodes;
    const feeds = {};
    record.inputs = model.inputs.map((info, k) => {
      const shape = shapes[rel] ?? (info.shape ?? [2]).map((d) => (d == null || d < 0 ? 2 : d));
      const n = shape.reduce((a, b) => a * b, 1);
      const t = info.dtype === 'int32'
        ? tf.tensor(Int32Array.from({ length: n }, () => rng.int(0, 3)), shape, 'int32')
        : tf.tensor(rng.f32(n, shape.length === 4 ? 0 : -1, 1), shape, 'float32');
      feeds[model.inputNodes[k]] = t;
      return dump(model.inputNodes[k], t);
    });
    // Graphs with dynamic ops (While, ...) run in executeAsync, as TF.js requires.
    const run = async (outputs) => {
      try {
        return model.execute(feeds, outputs);
      } catch (e) {
        if (!String(e.message).includes('executeAsync')) throw e;
        return model.executeAsync(feeds, outputs);
      }
    };
    const result = await run();
    const list = Array.isArray(result) ? result : [result];
    record.outputs = list.map((t, k) => dump(model.outputNodes[k], t));
    // Every computed node's first output too (TF.js's execute fetches intermediates): each op
    // of the model checked on its own.
    // Nodes inside loop frames (reached from an Enter before an Exit) have a value per iteration
    // and none TF.js can fetch: left out.
    const graphNodes = model.artifacts.modelTopology.node;
    const readers = new Map();
    for (const n of graphNodes) {
      for (const i of n.input ?? []) {
        const from = i.replace(/^\^/, '').split(':')[0];
        if (!readers.has(from)) readers.set(from, []);
        readers.get(from).push(n);
      }
    }
    const inFrame = new Set();
    const frontier = graphNodes.filter((n) => n.op === 'Enter');
    while (frontier.length) {
      const n = frontier.pop();
      if (inFrame.has(n.name) || n.op === 'Exit') continue;
      inFrame.add(n.name);
      frontier.push(...(readers.get(n.name) ?? []));
    }
    const names = graphNodes
      .filter((n) => !['Const', 'Placeholder', 'NoOp', ...listOps].includes(n.op) && !inFrame.has(n.name))
      .map((n) => n.name);
    try {
      const fetched = await run(names);
      const all = Array.isArray(fetched) ? fetched : [fetched];  // one name: one tensor
      record.nodes = names.map((name, k) => dump(name, all[k]));
    } catch (e) {
      // TF.js 4.22's executeAsync cannot fetch intermediates of a model with loop frames
      // ("Tensor is disposed"): only the outputs are compared.
      record.nodes = [];
      record.nodesError = String(e.message ?? e);
    }
  } catch (e) {
    record.error = String(e.message ?? e);
  }
  out.push(record);
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'graph_cases.json'),
                 JSON.stringify({ tfjs_version: TFJS_VERSION, models: out }));
console.log(`graph_cases: ${out.length} models -> ${path.join(outDir, 'graph_cases.json')}`);
