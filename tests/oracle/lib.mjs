// Shared helpers for the TF.js oracle scripts (make_models.mjs,
// make_walkthrough.mjs). Everything here is plain Node + @tensorflow/tfjs.

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export { tf };

export const TFJS_VERSION = '4.22.0';

/** Select the pure-JS CPU backend and silence the "install tfjs-node" banner. */
export async function initTf() {
  if (tf.version.tfjs !== TFJS_VERSION) {
    throw new Error(`expected @tensorflow/tfjs ${TFJS_VERSION}, got ${tf.version.tfjs}`);
  }
  const origWarn = console.warn;
  const origLog = console.log;
  const quiet = (orig) => (...args) => {
    const s = args.map(String).join(' ');
    if (s.includes('tfjs-node') || /^=+$/.test(s.trim())) return;
    orig(...args);
  };
  console.warn = quiet(origWarn);
  console.log = quiet(origLog);
  try {
    if (!(await tf.setBackend('cpu'))) throw new Error('could not select the cpu backend');
    await tf.ready();
    // The cpu backend prints its "install tfjs-node" banner on first write.
    tf.tensor([0]).dispose();
  } finally {
    console.warn = origWarn;
    console.log = origLog;
  }
  if (tf.getBackend() !== 'cpu') throw new Error(`backend is ${tf.getBackend()}, expected cpu`);
}

/** Make uncaught errors and rejections exit non-zero with a message. */
export function installFailureHandlers() {
  const die = (e) => {
    console.error('ERROR:', e && e.stack ? e.stack : e);
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}

/**
 * The start of an oracle script run as `node SCRIPT ARG`: failure handlers installed, the
 * arguments (exit 2 with `usage` when the first is missing), TF.js's cpu backend ready.
 */
export async function startScript(usage) {
  installFailureHandlers();
  const args = process.argv.slice(2);
  if (!args[0]) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  await initTf();
  return args;
}

/**
 * A tensor as the oracle's JSON writes it: {name, dtype, shape, hex} with hex the little-endian
 * bytes of its values in its own dtype (float32, or int32 for int32 and bool; complex64 float32
 * re, im interleaved; string each element's uint32 LE byte length and bytes). The cpu backend's
 * cast between int32 and float32 keeps the source's typed array, so dataSync() alone may give
 * the wrong bytes.
 */
export function dumpTyped(name, t) {
  if (t.dtype === 'string') {
    // Each element's raw bytes after its uint32 little-endian byte length (as string weights).
    const parts = [];
    for (const b of tf.backend().readSync(t.dataId)) {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      parts.push(len, Buffer.from(b));
    }
    return { name, dtype: t.dtype, shape: t.shape.slice(), hex: Buffer.concat(parts).toString('hex') };
  }
  if (t.dtype === 'complex64') {  // float32 re, im interleaved
    return { name, dtype: t.dtype, shape: t.shape.slice(), hex: hexOf(Float32Array.from(t.dataSync())) };
  }
  const d = t.dataSync();
  const typed = t.dtype === 'float32' ? Float32Array.from(d) : Int32Array.from(d);
  return { name, dtype: t.dtype, shape: t.shape.slice(), hex: hexOf(typed) };
}

// ---------------------------------------------------------------------------
// Deterministic PRNG (mulberry32) seeded from a string.

export function seedFromString(s) {
  // FNV-1a 32-bit
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  constructor(seed) {
    this.state = (typeof seed === 'string' ? seedFromString(seed) : seed) >>> 0;
  }
  /** uint32 */
  u32() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** double in [0, 1) */
  uniform() {
    return this.u32() / 4294967296;
  }
  /** integer in [lo, hi] */
  int(lo, hi) {
    return lo + (this.u32() % (hi - lo + 1));
  }
  /** Float32Array of n values in [lo, hi), each exactly a float32. */
  f32(n, lo = -1, hi = 1) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.fround(lo + (hi - lo) * this.uniform());
    return out;
  }
  u8(n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  u16(n) {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xffff;
    return out;
  }
  i32(n) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() | 0;
    return out;
  }
}

// ---------------------------------------------------------------------------
// Bytes helpers.

/** Little-endian bytes of a typed array (the host is little-endian; checked). */
export function bytesOf(ta) {
  return new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength);
}

export function hexOf(taOrBytes) {
  return Buffer.from(bytesOf(taOrBytes)).toString('hex');
}

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('oracle requires a little-endian host');
}

export function concatBytes(list) {
  const total = list.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of list) {
    out.set(bytesOf(b), off);
    off += b.byteLength;
  }
  return out;
}

/** A fresh, exactly-sized ArrayBuffer holding a copy of the bytes. */
export function toArrayBuffer(bytes) {
  const u = bytesOf(bytes);
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength);
}

/** TF.js string encoding: per element uint32 LE length + raw bytes. */
export function encodeStrings(list) {
  const parts = [];
  for (const s of list) {
    const b = typeof s === 'string' ? new Uint8Array(Buffer.from(s, 'utf8')) : s;
    parts.push(bytesOf(new Uint32Array([b.length])), b);
  }
  return concatBytes(parts);
}

// ---------------------------------------------------------------------------
// JSON writers.

/** Marks a number that Python would have as a float (printed as 6.0, 1e-05). */
export class PyFloat {
  constructor(v) {
    this.v = v;
  }
  toJSON() {
    return this.v;
  }
}

/** Python repr() of a float (shortest round-trip, Python's exponent rules). */
export function pyFloatRepr(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(x).toExponential().split('e');
  const exp = parseInt(expStr, 10);
  const digits = mant.replace('.', '');
  const decpt = exp + 1;
  if (decpt <= -4 || decpt > 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

function pyString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/**
 * Serialize like Python's json.dump(obj, f) with default settings, as the
 * tensorflowjs converter does: separators ", " and ": ", ensure_ascii (non
 * ASCII as lowercase \uXXXX, astral chars as surrogate pairs), floats via
 * repr. Plain JS numbers that are integers print as ints; wrap a value in
 * PyFloat to force float formatting.
 */
export function pyJson(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof PyFloat) return pyFloatRepr(v.v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e16 && !Object.is(v, -0)) return String(v);
    return pyFloatRepr(v);
  }
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return '[' + v.map(pyJson).join(', ') + ']';
  if (typeof v === 'object') {
    const parts = [];
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      parts.push(`${pyString(k)}: ${pyJson(val)}`);
    }
    return '{' + parts.join(', ') + '}';
  }
  throw new Error(`pyJson: cannot serialize ${typeof v}`);
}

/** JSON.stringify, as TF.js itself writes model.json (compact). */
export function jsJson(v) {
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------
// Writing a model folder.

export function shardName(style, g, k, n) {
  if (style === 'converter') return `group${g}-shard${k}of${n}.bin`;
  if (style === 'old') return `group${g}-shard${k}of${n}`;
  throw new Error(`unknown shard naming ${style}`);
}

/**
 * Cut bytes into shards of shardSize (last one shorter) like the converter's
 * write_weights: ceil(total / shardSize) files; a 0-byte group has no file.
 */
export function splitShards(bytes, shardSize) {
  if (!(shardSize > 0)) throw new Error('shard size must be positive');
  const out = [];
  for (let off = 0; off < bytes.byteLength; off += shardSize) {
    out.push(bytes.subarray(off, Math.min(off + shardSize, bytes.byteLength)));
  }
  return out;
}

/**
 * groups: [{bytes: Uint8Array, specs: [...], shardSize?, naming?: 'converter'|'old',
 *           paths?: [explicit names, one per shard]}]
 * head: {format, generatedBy, convertedBy, userDefinedMetadata?, modelTopology, ...extra}
 * Returns the model JSON object (as written).
 */
export function writeModelFolder(dir, head, groups, jsonStyle) {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = [];
  groups.forEach((grp, gi) => {
    const shardSize = grp.shardSize ?? 4194304;
    const shards = splitShards(grp.bytes, shardSize);
    const paths = grp.paths ??
        shards.map((_, k) => shardName(grp.naming ?? 'converter', gi + 1, k + 1, shards.length));
    if (paths.length !== shards.length) {
      throw new Error(`group ${gi + 1}: ${paths.length} paths for ${shards.length} shards`);
    }
    shards.forEach((b, k) => fs.writeFileSync(path.join(dir, paths[k]), b));
    manifest.push({ paths, weights: grp.specs });
  });
  // Converter key order: format, generatedBy, convertedBy,
  // [userDefinedMetadata], modelTopology, weightsManifest, then extras.
  // weightSpecs/weightData of in-memory artifacts are replaced by the manifest.
  // eslint-disable-next-line no-unused-vars
  const { format, generatedBy, convertedBy, userDefinedMetadata, modelTopology, weightSpecs, weightData, ...extra } = head;
  const modelJSON = { format, generatedBy, convertedBy };
  if (userDefinedMetadata !== undefined) modelJSON.userDefinedMetadata = userDefinedMetadata;
  modelJSON.modelTopology = modelTopology;
  modelJSON.weightsManifest = manifest;
  Object.assign(modelJSON, extra);
  const text = jsonStyle === 'python' ? pyJson(modelJSON) : jsJson(modelJSON);
  fs.writeFileSync(path.join(dir, 'model.json'), text);
  return modelJSON;
}

// ---------------------------------------------------------------------------
// Reading a model folder back, the way a TF.js file/http IOHandler does:
// model.json, then every path of every group, in manifest order, each path
// relative to the folder of model.json.

export function readModelFolder(dir, file = 'model.json') {
  const modelJSON = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const buffers = [];
  for (const group of modelJSON.weightsManifest ?? []) {
    for (const p of group.paths) {
      buffers.push(toArrayBuffer(fs.readFileSync(path.join(dir, p))));
    }
  }
  const specs = tf.io.getWeightSpecs(modelJSON.weightsManifest ?? []);
  return { modelJSON, specs, buffers };
}

/** An IOHandler that loads the folder (like tfjs-node's file:// loader); `file` its JSON. */
export function folderIOHandler(dir, file = 'model.json') {
  return {
    load: async () => {
      const { modelJSON, specs, buffers } = readModelFolder(dir, file);
      return tf.io.getModelArtifactsForJSON(modelJSON, async () => [specs, buffers]);
    },
  };
}

/** {name, dtype, shape, hex | strings} for one decoded tensor. */
export async function dumpTensor(name, t) {
  const rec = { name, dtype: t.dtype, shape: t.shape.slice() };
  if (t.dtype === 'string') {
    const vals = await t.bytes();
    rec.strings = vals.map((b) => Buffer.from(b).toString('hex'));
  } else {
    const d = t.dataSync();
    const want = { float32: Float32Array, int32: Int32Array, bool: Uint8Array, complex64: Float32Array }[t.dtype];
    if (!want || !(d instanceof want)) {
      throw new Error(`${name}: unexpected dataSync type ${d && d.constructor.name} for ${t.dtype}`);
    }
    rec.hex = hexOf(d);
  }
  return rec;
}

/** Save a LayersModel in memory (model.save through tf.io.withSaveHandler). */
export async function saveInMemory(model, config) {
  let artifacts = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }), config);
  if (!artifacts) throw new Error('save handler was not called');
  const weightBytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  return { artifacts, weightBytes };
}
