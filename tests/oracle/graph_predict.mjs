// node graph_predict.mjs MODEL INPUTS.json
//
// The real TF.js (pinned @tensorflow/tfjs, cpu backend) loads the graph model MODEL (a folder
// with model.json, or the JSON file) with tf.loadGraphModel and runs it with executeAsync on
// INPUTS.json ({"name": {dtype, shape, hex}} as the oracle writes tensors), printing its outputs
// as JSON: [{name, dtype, shape, hex}] in model.outputNodes order.
import fs from 'node:fs';
import path from 'node:path';
import { tf, initTf, installFailureHandlers, folderIOHandler, dumpTyped } from './lib.mjs';

installFailureHandlers();
const [where, inputsFile] = process.argv.slice(2);
if (!where || !inputsFile) {
  console.error('usage: node graph_predict.mjs MODEL INPUTS.json');
  process.exit(2);
}
await initTf();
const file = where.endsWith('.json') ? where : path.join(where, 'model.json');
const model = await tf.loadGraphModel(folderIOHandler(path.dirname(file), path.basename(file)));
const feeds = {};
for (const [name, t] of Object.entries(JSON.parse(fs.readFileSync(inputsFile, 'utf8')))) {
  const bytes = Buffer.from(t.hex, 'hex');
  const data = t.dtype === 'float32'
    ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
    : new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  feeds[name] = tf.tensor(Array.from(data), t.shape, t.dtype);
}
const out = await model.executeAsync(feeds);
const list = Array.isArray(out) ? out : [out];
console.log(JSON.stringify(list.map((t, k) => dumpTyped(model.outputNodes[k], t))));
