// Helpers of the per-op graph oracle (graph_op_cases.mjs and its family modules here): graph
// nodes and attributes spelled as tensorflowjs_converter writes them, and makeCase, which makes
// one small graph model with its seeded inputs.
import { Rng, dumpTyped, tf } from '../lib.mjs';

// --- attribute and node spellings ----------------------------------------------------------
export const DT = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL', string: 'DT_STRING',
                    complex64: 'DT_COMPLEX64' };
export const A = {
  i: (n) => ({ i: String(n) }),
  f: (x) => ({ f: x }),
  b: (x) => ({ b: x }),
  s: (str) => ({ s: Buffer.from(str).toString('base64') }),
  type: (dt) => ({ type: DT[dt] ?? dt }),
  ints: (list) => ({ list: { i: list.map(String) } }),
  strs: (list) => ({ list: { s: list.map((x) => Buffer.from(x).toString('base64')) } }),
  shape: (dims) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};
export const node = (name, op, input = [], attr = {}) => ({ name, op, input, attr });
export const count = (shape) => shape.reduce((a, b) => a * b, 1);

// A case: `inputs` {name: {dtype, shape, values?}} become Placeholders (values drawn when
// absent), `consts` {name: {dtype, shape, values}} Const nodes with weights, `nodes` the ops.
// Strings are given as JS strings (UTF-8) or byte arrays; complex64 values as re, im interleaved.
// `initializer` (nodes) becomes the model.json's modelInitializer graph, with
// `initializerSignature` and `signature` as given.
export function makeCase(name, op, { inputs = {}, consts = {}, nodes, fetch, functions = [],
                                     initializer, initializerSignature, signature }) {
  const rng = new Rng(`graph op ${name}`);
  const all = [];
  const feeds = {};
  const inputRecords = [];
  for (const [n, spec] of Object.entries(inputs)) {
    all.push(node(n, 'Placeholder', [], { dtype: A.type(spec.dtype), shape: A.shape(spec.shape) }));
    const size = count(spec.shape);
    const values = spec.values ?? (spec.dtype === 'int32'
      ? Array.from({ length: size }, () => rng.int(-3, 3))
      : Array.from(rng.f32(size, -2, 2)));
    const t = spec.dtype === 'string' ? tf.tensor(values.map(bytesOf), spec.shape, 'string')
      : spec.dtype === 'complex64'
        ? tf.complex(tf.tensor(values.filter((_, k) => k % 2 === 0), spec.shape),
                     tf.tensor(values.filter((_, k) => k % 2 === 1), spec.shape))
        : tf.tensor(values, spec.shape, spec.dtype);
    feeds[n] = t;
    inputRecords.push(dumpT(n, t));
  }
  const weights = [];
  const bytes = [];
  for (const [n, spec] of Object.entries(consts)) {
    all.push(node(n, 'Const', [], { dtype: A.type(spec.dtype), value: { tensor: { dtype: DT[spec.dtype] } } }));
    weights.push({ name: n, shape: spec.shape, dtype: spec.dtype });
    if (spec.dtype === 'string') {  // each string's uint32 LE byte length, then its bytes
      for (const v of spec.values) {
        const b = bytesOf(v);
        const len = Buffer.alloc(4);
        len.writeUInt32LE(b.length);
        bytes.push(len, b);
      }
      continue;
    }
    const arr = spec.dtype === 'float32' || spec.dtype === 'complex64'
      ? Float32Array.from(spec.values) : Int32Array.from(spec.values);
    bytes.push(Buffer.from(arr.buffer));
  }
  all.push(...nodes);
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'graph_op_cases.mjs',
    convertedBy: null,
    modelTopology: { node: all, versions: { producer: 1 },
                     ...(functions.length ? { library: { function: functions } } : {}) },
    weightsManifest: [{ paths: ['weights.bin'], weights }],
    ...(initializer ? { modelInitializer: { node: initializer, versions: { producer: 1 } } } : {}),
    ...(initializerSignature ? { initializerSignature } : {}),
    ...(signature ? { signature } : {}),
  };
  const weightData = Buffer.concat(bytes);
  return { name, op, modelJson, weightData, feeds, inputRecords, fetch };
}

const dumpT = dumpTyped;
const bytesOf = (v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v));

export const f32 = (shape) => ({ dtype: 'float32', shape });
export const i32c = (shape, values) => ({ dtype: 'int32', shape, values });
export const f32c = (shape, values) => ({ dtype: 'float32', shape, values });

// A function as the converter writes one: inputs by argument name, outputs "node:arg:k".
export const fn = (name, inputs, outputs, nodeDef, ret) => ({
  signature: { name, inputArg: inputs.map(([n, t]) => ({ name: n, type: DT[t] })),
               outputArg: outputs.map(([n, t]) => ({ name: n, type: DT[t] })) },
  nodeDef, ret,
});
