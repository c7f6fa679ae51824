// node make_models.mjs OUTDIR
//
// Creates OUTDIR/<case>/ (model.json + weight files + decoded.json) for every
// case below, and OUTDIR/index.json. decoded.json is produced only from the
// files on disk, by tf.io.decodeWeights (and, for real layers models, also by
// tf.loadLayersModel through a folder IOHandler, whose variables must match
// decodeWeights bit for bit). All data comes from seeded PRNGs: two runs write
// identical bytes.

import fs from 'node:fs';
import path from 'node:path';
import {
  tf, TFJS_VERSION, initTf, installFailureHandlers, Rng, bytesOf, hexOf, concatBytes,
  encodeStrings, PyFloat, writeModelFolder, readModelFolder, folderIOHandler, dumpTensor,
  saveInMemory,
} from './lib.mjs';

installFailureHandlers();

const GENERATED_BY = `TensorFlow.js tfjs-layers v${TFJS_VERSION}`;
const DTYPE_SIZE = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

// A minimal topology for weights-only cases: an empty Sequential, in the form
// JS model.save() writes (keras_version/backend are what tfjs-layers writes).
const EMPTY_SEQUENTIAL = {
  class_name: 'Sequential',
  config: { name: 'empty', layers: [] },
  keras_version: `tfjs-layers ${TFJS_VERSION}`,
  backend: 'tensor_flow.js',
};

// ---------------------------------------------------------------------------
// helpers

function setSeededWeights(model, rng, lo = -0.5, hi = 0.5) {
  const ws = model.getWeights().map((w) => tf.tensor(rng.f32(w.size, lo, hi), w.shape, 'float32'));
  model.setWeights(ws);
  ws.forEach((w) => w.dispose());
}

/** Wrap a JS-saved topology the way the Python converter lays it out. */
function converterTopology(jsTopology) {
  const { class_name, config, keras_version, backend } = jsTopology;
  return { keras_version, backend, model_config: { class_name, config } };
}

function f32FromBits(bits) {
  return new Float32Array(new Uint32Array(bits).buffer);
}

function roundHalfEven(x) {
  const r = Math.round(x);
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
}

/** Converter-style affine parameters for a value range [lo, hi] (quantization.py). */
function affineParams(lo, hi, qmax) {
  const scale = (hi - lo) / qmax;
  if (lo <= 0 && 0 <= hi) {
    const zp = roundHalfEven((0 - lo) / scale);
    return { min: -zp * scale, scale };
  }
  return { min: lo, scale };
}

/** Build one weights group from entries {spec, bytes}. */
function group(entries, opts = {}) {
  return {
    bytes: concatBytes(entries.map((e) => e.bytes)),
    specs: entries.map((e) => e.spec),
    ...opts,
  };
}

function plain(name, dtype, shape, ta) {
  return { spec: { name, shape, dtype }, bytes: bytesOf(ta) };
}

function strings(name, shape, list) {
  return { spec: { name, shape, dtype: 'string' }, bytes: encodeStrings(list) };
}

function quant(name, dtype, shape, qdtype, codes, min, scale, withOriginal = true) {
  const q = { dtype: qdtype };
  if (min !== undefined) q.min = min instanceof PyFloat ? min : new PyFloat(min);
  if (scale !== undefined) q.scale = scale instanceof PyFloat ? scale : new PyFloat(scale);
  if (withOriginal) q.original_dtype = 'float32';
  const ta = qdtype === 'uint8' ? Uint8Array.from(codes) : Uint16Array.from(codes);
  return { spec: { name, shape, dtype, quantization: q }, bytes: bytesOf(ta) };
}

// ---------------------------------------------------------------------------
// Cases. Each returns index metadata; the folder is written to dir.

const cases = [];
function defCase(name, description, fn) {
  cases.push({ name, description, fn });
}

defCase('dense_f32',
  'Real tf.sequential Dense(16,relu,[8]) -> Dense(4) -> Dense(1), auto layer names, saved by model.save(withSaveHandler); ' +
  'one group, group1-shard1of1.bin; model.json written compact as TF.js would (JSON.stringify).',
  async (dir, rng) => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 16, activation: 'relu', inputShape: [8] }));
    model.add(tf.layers.dense({ units: 4 }));
    model.add(tf.layers.dense({ units: 1 }));
    setSeededWeights(model, rng);
    const { artifacts, weightBytes } = await saveInMemory(model);
    writeModelFolder(dir, artifacts, [{ bytes: weightBytes, specs: artifacts.weightSpecs }], 'js');
    model.dispose();
    return { layers_model: true, json_style: 'js', topology: 'js-save' };
  });

defCase('sharded_f32',
  'Real model Dense(300,relu,[100]) -> Dense(128,tanh) -> Dense(32,sigmoid) -> Dense(10,softmax), 293144 bytes of float32 ' +
  'in one group cut into 65536-byte shards (5 files; tensors span shard boundaries). Converter-style topology ' +
  '(model_config wrapper), Python json.dump style model.json.',
  async (dir, rng) => {
    const model = tf.sequential({ name: 'sharded_model' });
    model.add(tf.layers.dense({ name: 'big_1', units: 300, activation: 'relu', inputShape: [100] }));
    model.add(tf.layers.dense({ name: 'big_2', units: 128, activation: 'tanh' }));
    model.add(tf.layers.dense({ name: 'big_3', units: 32, activation: 'sigmoid' }));
    model.add(tf.layers.dense({ name: 'big_4', units: 10, activation: 'softmax' }));
    setSeededWeights(model, rng, -0.1, 0.1);
    const { artifacts, weightBytes } = await saveInMemory(model);
    const head = { ...artifacts, modelTopology: converterTopology(artifacts.modelTopology) };
    writeModelFolder(dir, head, [{ bytes: weightBytes, specs: artifacts.weightSpecs, shardSize: 65536 }], 'python');
    model.dispose();
    return { layers_model: true, json_style: 'python', topology: 'converter-wrapped', shard_size: 65536 };
  });

defCase('multigroup',
  'Real model Dense(20,relu,[12]) -> Dense(30,elu) -> Dense(5,linear), weights split into 3 groups (one per layer), ' +
  'each cut into 1000-byte shards (2, 3 and 1 files). Has userDefinedMetadata. Python json.dump style.',
  async (dir, rng) => {
    const model = tf.sequential({ name: 'multigroup_model' });
    model.add(tf.layers.dense({ name: 'mg_a', units: 20, activation: 'relu', inputShape: [12] }));
    model.add(tf.layers.dense({ name: 'mg_b', units: 30, activation: 'elu' }));
    model.add(tf.layers.dense({ name: 'mg_c', units: 5 }));
    model.setUserDefinedMetadata({ oracle: { case: 'multigroup', note: 'é ✓' } });
    setSeededWeights(model, rng);
    const { artifacts, weightBytes } = await saveInMemory(model);
    const groups = [];
    let off = 0;
    for (const spec of artifacts.weightSpecs) {
      const layer = spec.name.split('/')[0];
      const n = spec.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[spec.dtype];
      let g = groups.find((x) => x.layer === layer);
      if (!g) groups.push(g = { layer, specs: [], parts: [] });
      g.specs.push(spec);
      g.parts.push(weightBytes.subarray(off, off + n));
      off += n;
    }
    if (off !== weightBytes.byteLength || groups.length !== 3) throw new Error('multigroup split failed');
    const head = { ...artifacts, modelTopology: converterTopology(artifacts.modelTopology) };
    writeModelFolder(dir, head,
      groups.map((g) => ({ bytes: concatBytes(g.parts), specs: g.specs, shardSize: 1000 })), 'python');
    model.dispose();
    return { layers_model: true, json_style: 'python', topology: 'converter-wrapped', shard_size: 1000 };
  });

defCase('dtypes',
  'Weights only (modelTopology null, generatedBy null, like a converted weights-only H5). Group 1 (7-byte shards): ' +
  'float32 with specials (-0, +-inf, NaN 7fc00000, NaN payload 7fa00001, smallest subnormal, FLT_MAX), int32 extremes, bool, ' +
  'strings ("" , "здраво", non-UTF-8 bytes, 300-byte string, emoji), zero-element string [0], scalars of every dtype, ' +
  'complex64, zero-size tensors [2,0],[0],[0,3] in the middle, a non-ASCII weight name. Group 2 holds only zero-size ' +
  'tensors: 0 bytes, paths []. Bytes written by tf.io.encodeWeights.',
  async (dir, rng) => {
    const t = tf.tidy(() => {
      const t = [];
      const add = (name, tensor) => t.push({ name, tensor });
      const f32 = rng.f32(12);
      f32.set(f32FromBits([0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0x00000001, 0x7f7fffff, 0x3f800000]));
      add('f32/matrix', tf.tensor(f32, [3, 4], 'float32'));
      add('f32/scalar', tf.tensor(rng.f32(1), [], 'float32'));
      const i32 = new Int32Array([-2147483648, -1, 0, 1, 2147483647, 0]);
      i32[5] = rng.u32() | 0;
      add('i32/vec', tf.tensor(i32, [6], 'int32'));
      add('i32/scalar', tf.tensor(new Int32Array([-123456789]), [], 'int32'));
      add('bool/vec', tf.tensor(new Uint8Array([1, 0, 1, 1, 0, 0, 1]), [7], 'bool'));
      add('bool/scalar', tf.tensor(new Uint8Array([1]), [], 'bool'));
      const u8 = (s) => (typeof s === 'string' ? new Uint8Array(Buffer.from(s, 'utf8')) : Uint8Array.from(s));
      const long = new Uint8Array(300);
      for (let i = 0; i < long.length; i++) long[i] = 0x41 + (rng.u32() % 26);
      add('str/matrix', tf.tensor(['', 'здраво', 'hello', [0xff, 0xfe, 0x00, 0x80], 'a', long].map(u8), [2, 3], 'string'));
      add('str/empty', tf.tensor([], [0], 'string'));
      add('str/scalar', tf.tensor([u8('😀 emoji')], [], 'string'));
      const re = rng.f32(4);
      const im = rng.f32(4);
      re[1] = -0; im[2] = Infinity; im[3] = -Infinity;
      add('c64/matrix', tf.complex(tf.tensor(re, [2, 2]), tf.tensor(im, [2, 2])));
      add('c64/scalar', tf.complex(tf.tensor(rng.f32(1), []), tf.tensor(rng.f32(1), [])));
      add('f32/zero', tf.zeros([2, 0], 'float32'));
      add('i32/zero', tf.zeros([0], 'int32'));
      add('bool/zero', tf.zeros([0, 3], 'bool'));
      add('c64/zero', tf.complex(tf.zeros([0]), tf.zeros([0])));
      add('f32/after_zero', tf.tensor(rng.f32(3), [3], 'float32'));
      add('unicode/имя_😀', tf.tensor(rng.f32(2), [2], 'float32'));
      return t;
    });
    const enc = await tf.io.encodeWeights(t);
    const t2 = [
      { name: 'g2/str_zero', tensor: tf.tensor([], [0, 2], 'string') },
      { name: 'g2/f32_zero', tensor: tf.zeros([0], 'float32') },
    ];
    const g2 = await tf.io.encodeWeights(t2);
    t2.forEach((x) => x.tensor.dispose());
    if (g2.data.byteLength !== 0) throw new Error('group 2 should be empty');
    writeModelFolder(dir,
      { format: 'layers-model', generatedBy: null, convertedBy: null, modelTopology: null },
      [
        { bytes: new Uint8Array(enc.data), specs: enc.specs, shardSize: 7 },
        { bytes: new Uint8Array(0), specs: g2.specs, shardSize: 7 },
      ], 'python');
    t.forEach((x) => x.tensor.dispose());
    return {
      layers_model: false, json_style: 'python', topology: 'null', shard_size: 7,
      notes: 'complex64 is supported by tf.io.decodeWeights 4.22 (interleaved re,im float32). Group 2 has paths [].',
    };
  });

const AWK_MIN = -0.10196078817049663; // T-6 row 1
const AWK_SCALE = 0.0050980394085248315;

defCase('quant_uint8',
  'uint8-quantized entries (logical float32 and int32) mixed with unquantized float32/int32/string in one group cut into ' +
  '16-byte shards, odd byte lengths so later tensors start at unaligned offsets; a second single-shard group. Includes the ' +
  'spec T-6/T-7 vectors, exact .5 ties for int32 (JS Math.round: half up), range-without-zero, all-equal (scale 1), ' +
  'an entry without original_dtype, and all 256 codes with an awkward min/scale.',
  async (dir, rng) => {
    const all256 = Array.from({ length: 256 }, (_, i) => i);
    const g1 = group([
      quant('q8/t6', 'float32', [3], 'uint8', [20, 0, 255], AWK_MIN, AWK_SCALE),
      plain('plain/f32', 'float32', [2], rng.f32(2)),
      quant('q8/rand_f32', 'float32', [7, 5], 'uint8', rng.u8(35), AWK_MIN, AWK_SCALE),
      quant('q8/t7_f32', 'float32', [3], 'uint8', [0, 48, 255], -1, 0.1, false),
      quant('q8/t7_i32', 'int32', [3], 'uint8', [0, 48, 255], -1, 0.1),
      strings('plain/str', [2], ['hello', '']),
      quant('q8/ties_i32', 'int32', [9], 'uint8', [0, 1, 2, 3, 4, 5, 6, 7, 8], -4.5, 1.0),
      quant('q8/rand_i32', 'int32', [4, 3], 'uint8', rng.u8(12), -3.7, 0.1),
      quant('q8/no_zero_f32', 'float32', [2], 'uint8', [0, 255], 6.0, 0.00392156862745098),
      quant('q8/all_equal', 'float32', [5], 'uint8', [0, 0, 0, 0, 0], 1.0, 1.0),
      plain('plain/i32', 'int32', [3], rng.i32(3)),
      quant('q8/all_codes_f32', 'float32', [16, 16], 'uint8', all256, 123.456789, 0.0012345678901234567),
      quant('q8/all_codes_awk', 'float32', [256], 'uint8', all256, -0.3141592653589793, 0.0024635975332082876),
    ], { shardSize: 16 });
    const g2 = group([
      quant('g2/q8_f32', 'float32', [6], 'uint8', rng.u8(6), -1.003921568627451, 0.00784313725490196),
      plain('g2/bool', 'bool', [3], new Uint8Array([1, 0, 1])),
    ]);
    writeModelFolder(dir,
      { format: 'layers-model', generatedBy: null, convertedBy: null, modelTopology: EMPTY_SEQUENTIAL },
      [g1, g2], 'python');
    return { layers_model: false, json_style: 'python', topology: 'empty-sequential', shard_size: 16 };
  });

defCase('quant_uint16',
  'uint16-quantized entries (float32 and int32) mixed with unquantized bool/float32, 50-byte shards, odd offsets. ' +
  'Includes T-6 row 3 (scale printed as 3.0518043793392844e-05), T-7, .5 ties, large int32 values.',
  async (dir, rng) => {
    const g1 = group([
      quant('q16/t6', 'float32', [3], 'uint16', [0, 32768, 65535], -1.0000152590218967, 3.0518043793392844e-05),
      plain('plain/bool', 'bool', [3], new Uint8Array([0, 1, 1])),
      quant('q16/rand_f32', 'float32', [13, 7], 'uint16', rng.u16(91), -2.5000381475547417, 7.629510948348211e-05),
      quant('q16/t7_i32', 'int32', [3], 'uint16', [0, 48, 255], -1, 0.1),
      quant('q16/ties_i32', 'int32', [8], 'uint16', [0, 1, 2, 3, 4, 5, 6, 7], -3.5, 1.0),
      quant('q16/big_i32', 'int32', [6], 'uint16', rng.u16(6), -100000.25, 3.5),
      quant('q16/precision_f32', 'float32', [64], 'uint16', rng.u16(64), 1000.1, 0.001),
      plain('plain/f32', 'float32', [3], rng.f32(3)),
    ], { shardSize: 50 });
    writeModelFolder(dir,
      { format: 'layers-model', generatedBy: null, convertedBy: null, modelTopology: EMPTY_SEQUENTIAL },
      [g1], 'python');
    return { layers_model: false, json_style: 'python', topology: 'empty-sequential', shard_size: 50 };
  });

const F16_SPECIAL = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3555, 0x3C00, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0xC000];
const F16_EXTRA = [0x7C01, 0xFE00, 0x7E01, 0x7FFF, 0x8001, 0xFBFF, 0x83FF, 0xFFFF];

defCase('quant_float16',
  'float16-quantized float32 entries: the special codes (0000 8000 0001 03FF 0400 3555 3C00 7BFF 7C00 FC00 7E00 C000), ' +
  'extra NaN payload/sign/subnormal codes, T-7, random codes; mixed with uint8 and int32 entries in 20-byte shards. ' +
  'Group 2: every one of the 65536 codes in order, in 65536-byte shards (2 files).',
  async (dir, rng) => {
    const g1 = group([
      quant('f16/special', 'float32', [12], 'float16', F16_SPECIAL, undefined, undefined),
      quant('q8/mixed', 'float32', [5], 'uint8', rng.u8(5), AWK_MIN, AWK_SCALE),
      quant('f16/extra', 'float32', [2, 4], 'float16', F16_EXTRA, undefined, undefined),
      quant('f16/t7', 'float32', [3], 'float16', [0x3400, 0x3800, 0x3A00], undefined, undefined, false),
      plain('plain/i32', 'int32', [2], rng.i32(2)),
      quant('f16/rand', 'float32', [10, 10], 'float16', rng.u16(100), undefined, undefined),
      plain('plain/f32', 'float32', [1], rng.f32(1)),
    ], { shardSize: 20 });
    const g2 = group([
      quant('f16/all_codes', 'float32', [256, 256], 'float16', Array.from({ length: 65536 }, (_, i) => i),
        undefined, undefined),
    ], { shardSize: 65536 });
    writeModelFolder(dir,
      { format: 'layers-model', generatedBy: null, convertedBy: null, modelTopology: EMPTY_SEQUENTIAL },
      [g1, g2], 'python');
    return { layers_model: false, json_style: 'python', topology: 'empty-sequential', shard_size: 20 };
  });

defCase('quant_edge',
  'JS dequantization corner cases: float32 overflow to +inf and underflow to subnormals, int32 results outside int32 ' +
  '(stored with JS ToInt32 wrap-around, e.g. 2147483650 -> -2147483646), Math.round(-2147483648.5), min = -0.0, ' +
  'Math.round(-0.4) = -0 stored as 0, scale 0, min/scale written as JSON integers.',
  async (dir) => {
    const g1 = group([
      quant('edge/f32_overflow', 'float32', [4], 'uint8', [0, 40, 41, 255], 3.0e38, 1.0e36),
      quant('edge/f32_underflow', 'float32', [4], 'uint8', [0, 1, 2, 3], 0.0, 1e-45),
      quant('edge/i32_wrap', 'int32', [4], 'uint8', [0, 64, 65, 255], 2147483000.0, 10.0),
      quant('edge/i32_min_tie', 'int32', [3], 'uint16', [0, 1, 2], -2147483648.5, 1.0),
      quant('edge/neg_zero_min', 'float32', [2], 'uint8', [0, 1], -0.0, 0.5),
      quant('edge/i32_neg_zero', 'int32', [2], 'uint8', [0, 1], -0.4, 1.0),
      quant('edge/scale_zero', 'float32', [3], 'uint8', [0, 7, 255], 2.5, 0.0),
      quant('edge/int_json', 'float32', [3], 'uint16', [0, 1, 65535], 5, 2),
    ]);
    // min/scale of edge/int_json as JSON integers (not PyFloat) -> "min": 5
    g1.specs[g1.specs.length - 1].quantization.min = 5;
    g1.specs[g1.specs.length - 1].quantization.scale = 2;
    writeModelFolder(dir,
      { format: 'layers-model', generatedBy: null, convertedBy: null, modelTopology: EMPTY_SEQUENTIAL },
      [g1], 'python');
    return {
      layers_model: false, json_style: 'python', topology: 'empty-sequential',
      notes: 'Out-of-range int32 results are what JS does (Int32Array store = ToInt32 modulo 2^32); a C++ reader ' +
        'may legitimately choose differently for those entries (edge/i32_wrap).',
    };
  });

defCase('quant_model',
  'Real model Dense(16,relu,[8]) -> Dense(3,softmax) whose weights are stored quantized: kernel 1 uint8 ' +
  '(converter-style nudged min/scale), bias 1 float16, kernel 2 uint16, bias 2 plain float32. Loaded with ' +
  'tf.loadLayersModel; predict uses the dequantized weights.',
  async (dir, rng) => {
    const model = tf.sequential({ name: 'quant_model' });
    model.add(tf.layers.dense({ name: 'qm_dense1', units: 16, activation: 'relu', inputShape: [8] }));
    model.add(tf.layers.dense({ name: 'qm_dense2', units: 3, activation: 'softmax' }));
    const { artifacts } = await saveInMemory(model);
    const names = artifacts.weightSpecs.map((s) => s.name).join(',');
    if (names !== 'qm_dense1/kernel,qm_dense1/bias,qm_dense2/kernel,qm_dense2/bias') throw new Error(names);
    const p1 = affineParams(Math.fround(-0.5), Math.fround(0.7), 255);
    const p2 = affineParams(Math.fround(-1.1), Math.fround(0.9), 65535);
    const f16 = new Uint16Array(16);
    for (let i = 0; i < 16; i++) f16[i] = ((rng.u32() & 1) << 15) | (rng.int(10, 16) << 10) | (rng.u32() & 0x3ff);
    const g = group([
      quant('qm_dense1/kernel', 'float32', [8, 16], 'uint8', rng.u8(128), p1.min, p1.scale),
      quant('qm_dense1/bias', 'float32', [16], 'float16', f16, undefined, undefined),
      quant('qm_dense2/kernel', 'float32', [16, 3], 'uint16', rng.u16(48), p2.min, p2.scale),
      plain('qm_dense2/bias', 'float32', [3], rng.f32(3, -0.2, 0.2)),
    ]);
    const head = { ...artifacts, modelTopology: converterTopology(artifacts.modelTopology) };
    writeModelFolder(dir, head, [g], 'python');
    model.dispose();
    return { layers_model: true, json_style: 'python', topology: 'converter-wrapped' };
  });

defCase('old_names',
  'Real model Dense(24,relu,[10]) -> Dense(2), one group in 2 shards named like old converters, without ".bin": ' +
  'group1-shard1of2, group1-shard2of2.',
  async (dir, rng) => {
    const model = tf.sequential({ name: 'old_names_model' });
    model.add(tf.layers.dense({ name: 'on_1', units: 24, activation: 'relu', inputShape: [10] }));
    model.add(tf.layers.dense({ name: 'on_2', units: 2 }));
    setSeededWeights(model, rng);
    const { artifacts, weightBytes } = await saveInMemory(model);
    const shardSize = Math.ceil(weightBytes.byteLength / 2);
    const head = { ...artifacts, modelTopology: converterTopology(artifacts.modelTopology) };
    writeModelFolder(dir, head,
      [{ bytes: weightBytes, specs: artifacts.weightSpecs, shardSize, naming: 'old' }], 'python');
    model.dispose();
    return { layers_model: true, json_style: 'python', topology: 'converter-wrapped', shard_size: shardSize };
  });

defCase('browser_download',
  'Real model Dense(6,tanh,[4]) -> Dense(1) laid out as the browser downloads:// saver does: paths ' +
  '["./model.weights.bin"] (note the "./"), file model.weights.bin, compact TF.js JSON.',
  async (dir, rng) => {
    const model = tf.sequential({ name: 'browser_model' });
    model.add(tf.layers.dense({ name: 'bd_1', units: 6, activation: 'tanh', inputShape: [4] }));
    model.add(tf.layers.dense({ name: 'bd_2', units: 1 }));
    setSeededWeights(model, rng);
    const { artifacts, weightBytes } = await saveInMemory(model);
    writeModelFolder(dir, artifacts,
      [{ bytes: weightBytes, specs: artifacts.weightSpecs, paths: ['./model.weights.bin'] }], 'js');
    model.dispose();
    return { layers_model: true, json_style: 'js', topology: 'js-save' };
  });

defCase('bool_nonbinary',
  'Weights only: a bool tensor whose bytes are 00 01 02 7f 80 ff. TF.js decodeWeights keeps the raw bytes (dataSync ' +
  'returns 2, 127, 128, 255, not 1), followed by a float32 tensor.',
  async (dir, rng) => {
    const g = group([
      plain('bool/raw', 'bool', [6], new Uint8Array([0x00, 0x01, 0x02, 0x7f, 0x80, 0xff])),
      plain('f32/after', 'float32', [2], rng.f32(2)),
    ]);
    writeModelFolder(dir,
      { format: 'layers-model', generatedBy: null, convertedBy: null, modelTopology: EMPTY_SEQUENTIAL }, [g], 'python');
    return {
      layers_model: false, json_style: 'python', topology: 'empty-sequential',
      notes: 'JS quirk: bool is not normalized to 0/1 on decode; a reader that normalizes will differ here.',
    };
  });

defCase('trailing_bytes',
  'Weights only: the single shard holds 5 bytes (de ad be ef 00) past the last tensor; TF.js ignores them silently.',
  async (dir, rng) => {
    const g = group([plain('f32/a', 'float32', [3], rng.f32(3))]);
    g.bytes = concatBytes([g.bytes, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00])]);
    writeModelFolder(dir,
      { format: 'layers-model', generatedBy: null, convertedBy: null, modelTopology: EMPTY_SEQUENTIAL }, [g], 'python');
    return { layers_model: false, json_style: 'python', topology: 'empty-sequential' };
  });

// ---------------------------------------------------------------------------
// Decoding what is on disk.

function specByteLength(spec, all, off) {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.quantization) return n * DTYPE_SIZE[spec.quantization.dtype];
  if (spec.dtype === 'string') {
    let len = 0;
    for (let i = 0; i < n; i++) {
      len += 4 + Buffer.from(all.buffer, all.byteOffset).readUInt32LE(off + len);
    }
    return len;
  }
  return n * DTYPE_SIZE[spec.dtype];
}

/** JSON with one weight record per line (diff-friendly, still plain JSON). */
function decodedJsonText(out) {
  let text = '{"weights": [\n' + out.weights.map((w) => ' ' + JSON.stringify(w)).join(',\n') + '\n]';
  if (out.predict) text += ',\n"predict": ' + JSON.stringify(out.predict);
  return text + '}\n';
}

async function decodeFolder(dir, meta) {
  const { specs, buffers } = readModelFolder(dir);
  const decoded = tf.io.decodeWeights(buffers, specs);
  const all = concatBytes(buffers.map((b) => new Uint8Array(b)));
  const weights = [];
  let off = 0;
  for (const spec of specs) {
    const t = decoded[spec.name];
    if (!t) throw new Error(`${meta.name}: decodeWeights gave nothing for ${spec.name}`);
    const rec = await dumpTensor(spec.name, t);
    if (rec.dtype !== spec.dtype || JSON.stringify(rec.shape) !== JSON.stringify(spec.shape)) {
      throw new Error(`${meta.name}/${spec.name}: decoded ${rec.dtype}${JSON.stringify(rec.shape)}`);
    }
    // Sanity: unquantized tensors must decode to exactly their stored bytes.
    const len = specByteLength(spec, all, off);
    const raw = all.subarray(off, off + len);
    if (!spec.quantization) {
      const got = rec.strings ? Buffer.from(encodeStrings(rec.strings.map((h) => new Uint8Array(Buffer.from(h, 'hex')))))
        : Buffer.from(rec.hex, 'hex');
      if (!got.equals(Buffer.from(raw))) throw new Error(`${meta.name}/${spec.name}: decoded bytes differ from stored bytes`);
    }
    off += len;
    weights.push(rec);
  }
  const out = { weights };
  if (meta.layers_model) {
    // Prove TF.js accepts the folder as a real layers model, and that the
    // model's variables are exactly what decodeWeights produced.
    const model = await tf.loadLayersModel(folderIOHandler(dir));
    const byName = new Map(weights.map((w) => [w.name, w]));
    if (model.weights.length !== specs.length) {
      throw new Error(`${meta.name}: model has ${model.weights.length} weights, manifest ${specs.length}`);
    }
    for (const v of model.weights) {
      const rec = byName.get(v.originalName);
      if (!rec) throw new Error(`${meta.name}: model variable ${v.originalName} not in manifest`);
      const got = await dumpTensor(v.originalName, v.read());
      if (got.hex !== rec.hex) throw new Error(`${meta.name}: loaded ${v.originalName} differs from decodeWeights`);
    }
    const inShape = model.inputs[0].shape;
    const rng = new Rng(`${meta.name}/predict`);
    const x = tf.tensor(rng.f32(3 * inShape[1]), [3, inShape[1]], 'float32');
    const y = model.predict(x);
    out.predict = {
      note: 'TF.js CPU backend forward pass on seeded input; compare with a tolerance, not bit for bit',
      input: { shape: x.shape, hex: hexOf(x.dataSync()) },
      output: { shape: y.shape, hex: hexOf(y.dataSync()) },
    };
    x.dispose();
    y.dispose();
    model.dispose();
  }
  Object.values(decoded).forEach((t) => t.dispose());
  fs.writeFileSync(path.join(dir, 'decoded.json'), decodedJsonText(out));
  return weights.length;
}

// ---------------------------------------------------------------------------

async function main() {
  const outdir = process.argv[2];
  if (!outdir || process.argv.length !== 3) {
    console.error('usage: node make_models.mjs OUTDIR');
    process.exit(2);
  }
  await initTf();
  fs.mkdirSync(outdir, { recursive: true });
  const index = { tfjs_version: TFJS_VERSION, generator: 'tests/oracle/make_models.mjs', cases: [] };
  for (const c of cases) {
    const dir = path.join(outdir, c.name);
    fs.rmSync(dir, { recursive: true, force: true });
    const meta = await c.fn(dir, new Rng(c.name));
    const entry = { name: c.name, description: c.description, ...meta };
    const n = await decodeFolder(dir, entry);
    entry.files = fs.readdirSync(dir).sort();
    index.cases.push(entry);
    console.log(`${c.name}: ${n} weights, files: ${entry.files.join(' ')}`);
  }
  fs.writeFileSync(path.join(outdir, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  const leaked = tf.memory().numTensors;
  console.log(`wrote ${cases.length} cases to ${outdir} (tensors still alive: ${leaked})`);
}

await main();
