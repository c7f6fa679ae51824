// node legacy_graph.mjs FILE.pb
//
// What the real tfjs-converter 0.x (pinned as tfjs-converter-0x, @tensorflow/tfjs-converter
// 0.8.4, the last release that read tensorflowjs_model.pb) decodes from a binary GraphDef: its
// own compiled protobuf decoder (dist/src/data/compiled_api.js, tensorflow.GraphDef.decode, the
// one FrozenModel.load called) reads FILE, and the result is printed as JSON in the spelling of
// protobuf's JSON mapping, as model.json's modelTopology has it: lowerCamelCase fields, int64 as
// decimal strings, bytes as base64, DataType enums by name, fields at their proto3 default left
// out (except a set AttrValue oneof member, which the JSON mapping prints). Floats are the
// decoder's float32 values as JS numbers. Prints {"node": [...], "versions": {...},
// "library": {...}} (library and versions only when the file has them).
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { tensorflow } = require('tfjs-converter-0x/dist/src/data/compiled_api.js');

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node legacy_graph.mjs FILE.pb');
  process.exit(2);
}

// DataType ids to names, from the decoder's own enum.
const dtypeNames = {};
for (const name of Object.keys(tensorflow.DataType)) dtypeNames[tensorflow.DataType[name]] = name;
const enumFields = new Set(['dtype', 'type']);
// AttrValue's oneof members: printed when set, even at their default value.
const attrOneof = new Set(['list', 's', 'i', 'f', 'b', 'type', 'shape', 'tensor', 'placeholder',
                           'func']);

function isLong(v) {
  return v !== null && typeof v === 'object' && typeof v.low === 'number' &&
      typeof v.high === 'number' && typeof v.unsigned === 'boolean';
}

function scalar(key, v) {
  if (isLong(v)) return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (enumFields.has(key) && typeof v === 'number') return dtypeNames[v] ?? v;
  return v;
}

function isDefault(v) {
  if (isLong(v)) return v.isZero();
  if (v instanceof Uint8Array) return v.length === 0;
  if (Array.isArray(v)) return v.length === 0;
  return v === 0 || v === '' || v === false || v === null || v === undefined;
}

// A decoded message (own properties only: the decoder sets those the wire holds) as JSON.
function toJson(m, inAttrValue = false) {
  const out = {};
  for (const key of Object.keys(m)) {
    const v = m[key];
    const keep = inAttrValue && attrOneof.has(key);
    if (!keep && isDefault(v)) continue;
    if (key === 'attr' && v && typeof v === 'object') {
      if (Object.keys(v).length === 0) continue;  // an empty map is left out
      out.attr = {};
      for (const k of Object.keys(v)) out.attr[k] = toJson(v[k], true);
    } else if (Array.isArray(v)) {
      out[key] = v.map((e) => (e !== null && typeof e === 'object' && !isLong(e) &&
                                !(e instanceof Uint8Array)) ?
                             toJson(e) :
                             scalar(key, e));
    } else if (v !== null && typeof v === 'object' && !isLong(v) && !(v instanceof Uint8Array)) {
      out[key] = toJson(v);
    } else {
      out[key] = scalar(key, v);
    }
  }
  return out;
}

const graph = tensorflow.GraphDef.decode(new Uint8Array(fs.readFileSync(file)));
console.log(JSON.stringify(toJson(graph)));
