// node graph_op_cases.mjs OUTDIR [FAMILY ...]
//
// Per-op graph oracle: small graph models written here as tensorflowjs_converter writes them
// (a GraphDef as JSON: Placeholder inputs, Const nodes whose values are in the weights manifest,
// attributes in protobuf JSON: `s` base64, `i` int64 strings, `type` DT_ names), one or a few ops
// each with attribute variants, run by the real TF.js (4.22.0, cpu backend) with
// tf.loadGraphModel + model.execute on seeded inputs. Writes OUTDIR/graph_op_cases.json:
//
//   {"tfjs_version", "cases": [{case, op, modelJson, weightsHex,
//     inputs: [{name, dtype, shape, hex}], fetch: [names],
//     outputs: [{name, dtype, shape, hex}] | error, check?, range?}],
//    opList: {family: [op names of TF.js's op list]}}
//
// modelJson is the model.json text, weightsHex its one weight file; error is TF.js's message for
// a case it refuses (the runtime must refuse it too); check 'shape' with range [lo, hi] marks a
// case whose values TF.js draws unseeded (only dtype, shape and the value range compare). Graphs with dynamic ops run in
// executeAsync, as TF.js requires.
//
// A case TF.js cannot load may carry `expect: async (feeds) => [tensors]`: the outputs (one per
// fetch, in order) computed by calling TF.js's own ops (tf.*) directly on the case's feeds, with
// the arguments the graph node's attributes and inputs mean; the runner records them (or the
// error they throw) instead of loading and executing the model. Used for the ops of TF.js's op
// list whose graph nodes TF.js's OperationMapper does not load (the ragged ops: tf.raggedGather,
// tf.raggedRange, tf.raggedTensorToTensor), so the modelJson is only what tfjs-cpp runs.
//
// The cases live in graph_ops/<family>.mjs (each exports `cases`, made with graph_ops/common.mjs);
// with FAMILY arguments only those families run (while working on one).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, startScript, dumpTyped, TFJS_VERSION } from './lib.mjs';

const FAMILIES = ['base', 'control', 'math', 'nn', 'arrays', 'text'];
const [outDir, ...only] = await startScript('node graph_op_cases.mjs OUTDIR [FAMILY ...]');
for (const f of only) {
  if (!FAMILIES.includes(f)) throw new Error(`unknown family ${f} (${FAMILIES.join(', ')})`);
}
const cases = [];
for (const family of only.length ? only : FAMILIES) {
  cases.push(...(await import(`./graph_ops/${family}.mjs`)).cases);
}
const dumpT = dumpTyped;

const ASYNC_OPS = /^(Enter|Exit|Switch|Merge|NextIteration|LoopCond|If|StatelessIf|While|StatelessWhile|TensorArray|TensorList|EmptyTensorList|NonMaxSuppression|Where|ListDiff|HashTable|LookupTable|InitializeTable)/;

// --- run them in TF.js --------------------------------------------------------------------------
const out = [];
for (const c of cases) {
  const record = {
    case: c.name, op: c.op, modelJson: JSON.stringify(c.modelJson),
    weightsHex: c.weightData.toString('hex'), inputs: c.inputRecords, fetch: c.fetch,
  };
  // A case whose values TF.js draws from Math.random: only dtype, shape and [lo, hi] compare.
  if (c.check) Object.assign(record, { check: c.check, range: c.range });
  if (c.expect) {  // TF.js's ops called directly (see above)
    let list;
    try {
      list = await c.expect(c.feeds);
    } catch (e) {
      record.error = String(e.message ?? e);
    }
    if (list && list.length !== c.fetch.length) {
      throw new Error(`case ${c.name}: expect gave ${list.length} tensors for ${c.fetch.length} fetches`);
    }
    if (list) record.outputs = list.map((t, k) => dumpT(c.fetch[k], t));
    out.push(record);
    continue;
  }
  try {
    const weightSpecs = c.modelJson.weightsManifest[0].weights;
    const buf = c.weightData.buffer.slice(c.weightData.byteOffset, c.weightData.byteOffset + c.weightData.length);
    const model = await tf.loadGraphModel(tf.io.fromMemory({
      modelTopology: c.modelJson.modelTopology, weightSpecs, weightData: buf, format: 'graph-model',
      modelInitializer: c.modelJson.modelInitializer,
      initializerSignature: c.modelJson.initializerSignature, signature: c.modelJson.signature,
    }));
    // The control flow, dynamic and hash-table ops run in executeAsync only (tfjs-cpp's one
    // execute runs them all); execute() would start them and leave their failures unhandled.
    const ops = [...c.modelJson.modelTopology.node,
                 ...(c.modelJson.modelTopology.library?.function ?? []).flatMap((f) => f.nodeDef ?? [])]
      .map((n) => n.op);
    let result;
    if (ops.some((op) => ASYNC_OPS.test(op))) {
      result = await model.executeAsync(c.feeds, c.fetch);
    } else {
      try {
        result = model.execute(c.feeds, c.fetch);
      } catch (e) {
        if (!String(e.message).includes('executeAsync')) throw e;
        result = await model.executeAsync(c.feeds, c.fetch);
      }
    }
    const list = Array.isArray(result) ? result : [result];
    record.outputs = list.map((t, k) => dumpT(c.fetch[k], t));
  } catch (e) {
    record.error = String(e.message ?? e);
  }
  out.push(record);
}
// TF.js's op list (tfjs-converter's op_list/*.ts): every op must run here and have a case.
const opListDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '@tensorflow',
                            'tfjs-converter', 'dist', 'operations', 'op_list');
const opList = {};
for (const file of fs.readdirSync(opListDir).filter((f) => f.endsWith('.js')).sort()) {
  const { json } = await import(path.join(opListDir, file));
  if (Array.isArray(json)) opList[file.replace(/\.js$/, '')] = json.map((o) => o.tfOpName);
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'graph_op_cases.json'),
                 JSON.stringify({ tfjs_version: TFJS_VERSION, partial: only.length > 0, opList, cases: out }));
const errors = out.filter((r) => r.error).length;
console.log(`graph_op_cases: ${out.length} cases (${errors} refused by TF.js) -> ${path.join(outDir, 'graph_op_cases.json')}`);
