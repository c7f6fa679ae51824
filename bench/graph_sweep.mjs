// node bench/graph_sweep.mjs ROOT [ROOT...]
//
// A sweep of real TF.js graph models against the real TF.js (the pinned 4.22 of tests/oracle,
// cpu backend). For every graph model under each ROOT (a model.json or any *.json whose
// "format" is "graph-model" or whose modelTopology has "node"; a ROOT may also be one such
// file), one at a time:
//   1. `tfjs inspect --json MODEL`: node count, op counts, unsupported ops;
//   2. TF.js loads it (tf.loadGraphModel) and runs executeAsync on seeded inputs made from
//      model.inputs: unknown dims of a rank-4 input [N,H,W,C] are SWEEP_BATCH (1) / SWEEP_SIZE
//      (224) / SWEEP_SIZE / 3, of other inputs SWEEP_BATCH for the first and 16 for the rest (an
//      input of unknown rank: [SWEEP_BATCH, SWEEP_SIZE, SWEEP_SIZE, 3]); float32 values in
//      [0, 1) for rank-4 inputs (images) and [-1, 1) otherwise, int32 in 0..255 for rank-4
//      inputs and 0..3 otherwise, bool 0/1 (seeded by the model's file name);
//   3. the inputs are written as .npy and `tfjs predict MODEL --input NAME=FILE.npy ...
//      --output OUT_k.npy ...` runs them natively;
//   4. every output is compared (count, shape, dtype, values at |ours - tfjs| <= 1e-3 +
//      1e-3·|tfjs|, NaN = NaN); a value mismatch whose sorted values do match is reported as
//      "order only" (detector outputs ordered by ties or near-ties);
//   5. for a MISMATCH, a diagnosis (SWEEP_DIAG) of where the error starts, node by node.
// Prints one line per model: name, nodes (ops), our ms (the predict process: load + run) vs
// TF.js ms (load + the executeAsync run), the max abs error, and OK / MISMATCH /
// OURS-REFUSED (our error) / TFJS-FAILED (its error) / SKIPPED (why). Downloads nothing.
//
// Environment:
//   TFJS_CLI      our CLI (default build/tfjs of this checkout)
//   SWEEP_OUT     folder for the .npy files and results.json (default a fresh /tmp/graph_sweep.*)
//   SWEEP_MAX_MB  skip models whose model.json + weights exceed this (default 60)
//   SWEEP_FILTER  only models whose path matches this regular expression
//   SWEEP_SIZE    the height and width given to unknown image dimensions (default 224)
//   SWEEP_BATCH   the size given to an unknown first (batch) dimension (default 1)
//   SWEEP_SHAPES  JSON {"<model file name or path suffix>": {"<input name>": [dims...]}} for
//                 inputs whose own shape is unknown or too small to exercise the model; an input's
//                 entry may be {"shape": [dims...], "fill": VALUE} to give every element VALUE
//   SWEEP_TIMEOUT seconds allowed to our predict process (default 300)
//   SWEEP_KEEP    1: keep the per-model .npy files (default: removed after a model passes)
//   SWEEP_DIAG    0: skip the diagnosis of a MISMATCH (default: every node's first output is
//                 fetched from both, TF.js's execute and our `predict --outputs`, and the nodes
//                 where the error starts are listed: op, name, error / tolerance, inputs')
// Exit code: 0 when every model ran is OK or TFJS-FAILED/SKIPPED, 1 otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tf, initTf, installFailureHandlers, Rng, toArrayBuffer } from '../tests/oracle/lib.mjs';

installFailureHandlers();
const here = path.dirname(fileURLToPath(import.meta.url));
const roots = process.argv.slice(2);
if (!roots.length) {
  console.error('usage: node bench/graph_sweep.mjs ROOT [ROOT...]');
  process.exit(2);
}
const CLI = process.env.TFJS_CLI ?? path.join(here, '..', 'build', 'tfjs');
const OUT = process.env.SWEEP_OUT ?? fs.mkdtempSync(path.join(os.tmpdir(), 'graph_sweep.'));
const MAX_MB = Number(process.env.SWEEP_MAX_MB ?? 60);
const FILTER = process.env.SWEEP_FILTER ? new RegExp(process.env.SWEEP_FILTER) : null;
const SIZE = Number(process.env.SWEEP_SIZE ?? 224);
const BATCH = Number(process.env.SWEEP_BATCH ?? 1);
const SHAPES = JSON.parse(process.env.SWEEP_SHAPES ?? '{}');
const TIMEOUT_S = Number(process.env.SWEEP_TIMEOUT ?? 300);
const KEEP = process.env.SWEEP_KEEP === '1';
const DIAG = process.env.SWEEP_DIAG !== '0';
const ATOL = 1e-3, RTOL = 1e-3;
fs.mkdirSync(OUT, { recursive: true });
await initTf();

// ---------------------------------------------------------------------------
// Finding graph models.

function isGraphModelJson(file) {
  let j;
  try {
    if (fs.statSync(file).size > 64 << 20) return null;
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (!j || typeof j !== 'object' || !j.modelTopology) return null;
  if (j.format === 'graph-model' || Array.isArray(j.modelTopology.node)) return j;
  return null;
}

function findModels(root) {
  const found = [];
  const walk = (p) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) {
        if (e === 'node_modules' && p !== root) continue;
        walk(path.join(p, e));
      }
    } else if (p.endsWith('.json') && !p.endsWith('package.json') && isGraphModelJson(p)) {
      found.push(p);
    }
  };
  walk(root);
  return found;
}

function modelBytes(file, j) {
  let total = fs.statSync(file).size;
  for (const g of j.weightsManifest ?? []) {
    for (const p of g.paths) {
      try { total += fs.statSync(path.join(path.dirname(file), p)).size; } catch { /* missing */ }
    }
  }
  return total;
}

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

// ---------------------------------------------------------------------------
// .npy reading and writing (format version 1.0).

const DESCR = { float32: '<f4', int32: '<i4', bool: '|b1' };

function writeNpy(file, dtype, shape, data) {
  const descr = DESCR[dtype];
  if (!descr) throw new Error(`no .npy dtype for ${dtype}`);
  const shp = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shp}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  let body;
  if (dtype === 'bool') body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  else if (dtype === 'float32') body = Buffer.from(Float32Array.from(data).buffer);
  else body = Buffer.from(Int32Array.from(data).buffer);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not .npy`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = b.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const shape = shapeStr.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const n = shape.reduce((a, c) => a * c, 1);
  const raw = b.subarray(hstart + hlen);
  const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  const kinds = {
    '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array], '<i4': ['int32', Int32Array],
    '<i8': ['int64', BigInt64Array], '|b1': ['bool', Uint8Array], '|u1': ['uint8', Uint8Array],
    '<u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array], '<i2': ['int16', Int16Array],
    '<u2': ['uint16', Uint16Array], '<f2': ['float16', Uint16Array], '<u4': ['uint32', Uint32Array],
  };
  const k = kinds[descr];
  if (!k) throw new Error(`${file}: .npy dtype ${descr} not handled`);
  let data = new k[1](ab, 0, n);
  if (k[0] === 'int64') data = Float64Array.from(data, Number);
  return { dtype: k[0], descr, shape, data, fortran };
}

// ---------------------------------------------------------------------------
// Comparing.

function closeEnough(a, r) {
  if (Number.isNaN(r)) return Number.isNaN(a);
  if (!Number.isFinite(r)) return a === r;
  return Math.abs(a - r) <= ATOL + RTOL * Math.abs(r);
}

function compareValues(ours, ref) {
  let maxErr = 0, bad = 0, firstBad = -1;
  for (let i = 0; i < ref.length; i++) {
    const a = Number(ours[i]), r = Number(ref[i]);
    if (!closeEnough(a, r)) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
    const e = Math.abs(a - r);
    if (Number.isFinite(e) && e > maxErr) maxErr = e;
    else if (Number.isNaN(e) && !(Number.isNaN(a) && Number.isNaN(r)) && a !== r) maxErr = Infinity;
  }
  return { maxErr, bad, firstBad };
}

const dtypeOk = (tfjsDtype, npyDtype) =>
  (tfjsDtype === 'float32' && npyDtype === 'float32') || (tfjsDtype === 'int32' && npyDtype === 'int32') ||
  (tfjsDtype === 'bool' && (npyDtype === 'bool' || npyDtype === 'uint8'));

function compareOutput(name, ref, ours) {
  const r = { name, tfjs: { dtype: ref.dtype, shape: ref.shape } , ours: { dtype: ours.dtype, shape: ours.shape } };
  const problems = [];
  if (ref.shape.length !== ours.shape.length || ref.shape.some((d, i) => d !== ours.shape[i])) {
    problems.push(`shape ours [${ours.shape}] vs tfjs [${ref.shape}]`);
  }
  if (!dtypeOk(ref.dtype, ours.dtype)) problems.push(`dtype ours ${ours.descr} vs tfjs ${ref.dtype}`);
  if (ref.data.length !== ours.data.length) {
    problems.push(`size ours ${ours.data.length} vs tfjs ${ref.data.length}`);
    r.maxErr = Infinity;
  } else {
    const c = compareValues(ours.data, ref.data);
    r.maxErr = c.maxErr;
    if (c.bad) {
      // Order only: the values at the differing positions are a permutation of each other.
      const badIdx = [];
      for (let i = 0; i < ref.data.length; i++) {
        if (!closeEnough(Number(ours.data[i]), Number(ref.data[i]))) badIdx.push(i);
      }
      const sortNum = (x) => Float64Array.from(badIdx, (i) => Number(x[i])).sort();
      const sorted = compareValues(sortNum(ours.data), sortNum(ref.data));
      const i = c.firstBad;
      problems.push(`${c.bad}/${ref.data.length} values differ (first at flat ${i}: ours ${ours.data[i]} ` +
                    `tfjs ${ref.data[i]})${sorted.bad ? '' : ' — ORDER ONLY (sorted values match)'}`);
      r.orderOnly = !sorted.bad;
    }
  }
  r.problems = problems;
  return r;
}

// ---------------------------------------------------------------------------
// Diagnosis of a mismatch: every node's first output from both, and where the error starts.

const LIST_OPS = ['TensorListReserve', 'EmptyTensorList', 'TensorListFromTensor', 'TensorListSetItem',
                  'TensorListPushBack', 'TensorArrayV3', 'HashTableV2', 'LookupTableImportV2'];

function errRatio(ours, ref) {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = Number(ours[i]), r = Number(ref[i]);
    if (Number.isNaN(r) || Number.isNaN(a) || !Number.isFinite(r) || !Number.isFinite(a)) {
      if (!closeEnough(a, r)) return Infinity;
      continue;
    }
    const q = Math.abs(a - r) / (ATOL + RTOL * Math.abs(r));
    if (q > worst) worst = q;
  }
  return worst;
}

async function diagnose(file, inputs, dir) {
  const model = await tf.loadGraphModel(handlerFor(file));
  const feeds = {};
  for (const x of inputs) feeds[x.name] = tf.tensor(x.data, x.shape, x.dtype);
  const nodes = model.artifacts.modelTopology.node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const readers = new Map();
  for (const n of nodes) {
    for (const i of n.input ?? []) {
      const from = i.replace(/^\^/, '').split(':')[0];
      if (!readers.has(from)) readers.set(from, []);
      readers.get(from).push(n);
    }
  }
  const inFrame = new Set();
  const frontier = nodes.filter((n) => n.op === 'Enter');
  while (frontier.length) {
    const n = frontier.pop();
    if (inFrame.has(n.name) || n.op === 'Exit') continue;
    inFrame.add(n.name);
    frontier.push(...(readers.get(n.name) ?? []));
  }
  const names = nodes.filter((n) => !['Const', 'Placeholder', 'NoOp', ...LIST_OPS].includes(n.op) &&
                                    !inFrame.has(n.name)).map((n) => n.name);
  const refs = new Map();
  try {
    let got;
    try {
      got = model.execute(feeds, names);
    } catch (e) {
      if (!String(e.message).includes('executeAsync')) throw e;
      got = await model.executeAsync(feeds, names);
    }
    const list = Array.isArray(got) ? got : [got];
    names.forEach((nm, k) => {
      const t = list[k];
      if (t && t.dtype !== 'string') refs.set(nm, { dtype: t.dtype, shape: t.shape.slice(), data: t.dataSync().slice() });
    });
    tf.dispose(list);
  } finally {
    tf.dispose(Object.values(feeds));
    model.dispose();
  }
  const fetch = names.filter((nm) => refs.has(nm));
  const ddir = path.join(dir, 'nodes');
  fs.mkdirSync(ddir, { recursive: true });
  const args = ['predict', file];
  inputs.forEach((x, k) => args.push('--input', `${x.name}=${path.join(dir, `in${k}.npy`)}`));
  args.push('--outputs', fetch.join(','));
  fetch.forEach((_, k) => args.push('--output', path.join(ddir, `n${k}.npy`)));
  const p = spawnSync(CLI, args, { encoding: 'utf8', timeout: TIMEOUT_S * 1000, maxBuffer: 1 << 26 });
  if (p.status !== 0) return { error: `our predict --outputs failed: ${short(p.stderr || p.stdout, 400)}` };
  const ratio = new Map();
  const rel = new Map();
  const info = new Map();
  fetch.forEach((nm, k) => {
    const r = refs.get(nm);
    let o;
    try { o = readNpy(path.join(ddir, `n${k}.npy`)); } catch { ratio.set(nm, Infinity); return; }
    const same = r.shape.length === o.shape.length && r.shape.every((d, i) => d === o.shape[i]) &&
                 dtypeOk(r.dtype, o.dtype) && r.data.length === o.data.length;
    ratio.set(nm, same ? errRatio(o.data, r.data) : Infinity);
    if (same) {  // error relative to the node's largest value: where float32 drift turns into more
      let e = 0, m = 0;
      for (let i = 0; i < r.data.length; i++) {
        const d = Math.abs(Number(o.data[i]) - Number(r.data[i]));
        if (d > e) e = d;
        if (Math.abs(Number(r.data[i])) > m) m = Math.abs(Number(r.data[i]));
      }
      rel.set(nm, m > 0 ? e / m : e);
    }
    if (!same) info.set(nm, `ours ${o.descr}[${o.shape}] vs tfjs ${r.dtype}[${r.shape}]`);
  });
  fs.rmSync(ddir, { recursive: true, force: true });
  // Where the error starts: bad nodes (ratio > 1) whose data inputs are all within tolerance, and
  // the biggest jumps (ratio / worst input ratio) among bad nodes.
  const inRatio = (n) => Math.max(0, ...(n.input ?? []).filter((i) => !i.startsWith('^'))
    .map((i) => ratio.get(i.split(':')[0]) ?? 0));
  const describe = (nm) => {
    const n = byName.get(nm);
    const ins = (n.input ?? []).filter((i) => !i.startsWith('^')).map((i) => {
      const q = ratio.get(i.split(':')[0]);
      return `${byName.get(i.split(':')[0])?.op ?? '?'}${q === undefined ? '' : '=' + q.toPrecision(2)}`;
    });
    const attrs = Object.keys(n.attr ?? {}).join(',');
    return `${n.op} ${nm} err/tol=${ratio.get(nm).toPrecision(3)}${info.has(nm) ? ' (' + info.get(nm) + ')' : ''} ` +
           `inputs [${ins.join(', ')}] attrs {${attrs}}`;
  };
  const bad = fetch.filter((nm) => ratio.get(nm) > 1);
  const starts = bad.filter((nm) => inRatio(byName.get(nm)) <= 1);
  const jumps = bad.filter((nm) => !starts.includes(nm))
    .map((nm) => [nm, ratio.get(nm) / Math.max(inRatio(byName.get(nm)), 1e-3)])
    .sort((a, b) => b[1] - a[1]).slice(0, 3).map(([nm]) => nm);
  const opsBad = {};
  for (const nm of bad) opsBad[byName.get(nm).op] = (opsBad[byName.get(nm).op] ?? 0) + 1;
  // The first nodes (graph order) whose error relative to their largest value exceeds 1e-5 while
  // their inputs' stays under 1e-6: where a real difference of semantics (not drift) would show.
  const inRel = (n) => Math.max(0, ...(n.input ?? []).filter((i) => !i.startsWith('^'))
    .map((i) => rel.get(i.split(':')[0]) ?? 0));
  const relStarts = fetch.filter((nm) => (rel.get(nm) ?? 0) > 1e-5 && inRel(byName.get(nm)) < 1e-6)
    .slice(0, 4).map((nm) => `${byName.get(nm).op} ${nm} relErr=${rel.get(nm).toPrecision(2)} ` +
                             `(inputs ${inRel(byName.get(nm)).toPrecision(2)})`);
  return { nodesCompared: fetch.length, nodesBad: bad.length, badByOp: opsBad, relStarts,
           starts: starts.slice(0, 6).map(describe), jumps: jumps.map(describe) };
}

// ---------------------------------------------------------------------------
// One model.

// The SWEEP_SHAPES entry of an input: {shape, fill?} (an array alone is the shape).
function inputSpec(file, name) {
  for (const [key, v] of Object.entries(SHAPES)) {
    if ((file.endsWith(key) || path.basename(file) === key) && v[name]) {
      return Array.isArray(v[name]) ? { shape: v[name] } : v[name];
    }
  }
  return null;
}

function inputShape(file, info, name) {
  const spec = inputSpec(file, name);
  if (spec) return spec.shape;
  let shape = info.shape;
  if (!shape) shape = [BATCH, SIZE, SIZE, 3];
  if (shape.length === 4) {
    return shape.map((d, i) => (d == null || d < 0 ? [BATCH, SIZE, SIZE, 3][i] : d));
  }
  return shape.map((d, i) => (d == null || d < 0 ? (i === 0 ? BATCH : 16) : d));
}

function makeInput(rng, dtype, shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') {
    const d = Int32Array.from({ length: n }, () => (shape.length === 4 ? rng.int(0, 255) : rng.int(0, 3)));
    return { dtype, shape, data: d };
  }
  if (dtype === 'bool') return { dtype, shape, data: Uint8Array.from({ length: n }, () => rng.int(0, 1)) };
  if (dtype === 'float32') return { dtype, shape, data: rng.f32(n, shape.length === 4 ? 0 : -1, 1) };
  throw new Error(`input dtype ${dtype} not handled by the sweep`);
}

function short(s, n = 300) {
  s = String(s).replace(/\s+/g, ' ').trim();
  return s.length > n ? s.slice(0, n) + '…' : s;
}

function inspect(file) {
  const p = spawnSync(CLI, ['inspect', '--json', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  try {
    const j = JSON.parse(p.stdout);
    const g = j.graph ?? {};
    const ops = Object.entries(g.opCounts ?? {}).filter(([op]) => op !== 'Const').reduce((a, [, c]) => a + c, 0);
    return { nodes: g.nodeCount, ops, opTypes: Object.keys(g.opCounts ?? {}).length,
             unsupported: g.unsupportedOps ?? {}, runsNatively: g.runsNatively };
  } catch (e) {
    return { error: short(p.stderr || p.stdout || e.message) };
  }
}

async function runModel(file, j) {
  const rel = path.relative(process.cwd(), file);
  const rec = { model: rel };
  rec.mb = +(modelBytes(file, j) / 1048576).toFixed(1);
  if (rec.mb > MAX_MB) {
    rec.status = 'SKIPPED';
    rec.why = `${rec.mb} MB > ${MAX_MB} MB`;
    return rec;
  }
  rec.inspect = inspect(file);
  const dir = path.join(OUT, rel.replace(/[^A-Za-z0-9._-]+/g, '_'));
  fs.mkdirSync(dir, { recursive: true });

  // TF.js.
  let model;
  const feeds = {};
  const inputs = [];
  let refs;
  try {
    const t0 = performance.now();
    model = await tf.loadGraphModel(handlerFor(file));
    const t1 = performance.now();
    const rng = new Rng(`sweep ${path.basename(file)}`);
    model.inputs.forEach((info, k) => {
      const name = model.inputNodes[k];
      const shape = inputShape(file, info, name);
      const x = makeInput(rng, info.dtype, shape);
      const fill = inputSpec(file, name)?.fill;
      if (fill !== undefined) x.data.fill(fill);
      feeds[name] = tf.tensor(x.data, shape, info.dtype);
      inputs.push({ name, ...x });
    });
    const t2 = performance.now();
    const warn = console.warn;
    console.warn = (...a) => { if (!String(a[0]).includes('model.execute() instead')) warn(...a); };
    let out;
    try {
      out = await model.executeAsync(feeds);
    } finally {
      console.warn = warn;
    }
    const list = Array.isArray(out) ? out : [out];
    refs = list.map((t, k) => ({ name: model.outputNodes[k], dtype: t.dtype, shape: t.shape.slice(),
                                 data: t.dtype === 'string' ? null : t.dataSync().slice() }));
    rec.tfjsMs = Math.round(t1 - t0 + performance.now() - t2);
    rec.tfjsRunMs = Math.round(performance.now() - t2);
    tf.dispose(list);
  } catch (e) {
    rec.status = 'TFJS-FAILED';
    rec.why = short(e.message ?? e);
    return rec;
  } finally {
    tf.dispose(Object.values(feeds));
    if (model) model.dispose();
  }
  rec.inputs = inputs.map((x) => `${x.name}:${x.dtype}[${x.shape}]`);
  if (refs.some((r) => r.data === null)) {
    rec.status = 'SKIPPED';
    rec.why = 'string output';
    return rec;
  }

  // Ours.
  const args = ['predict', file];
  inputs.forEach((x, k) => {
    const f = path.join(dir, `in${k}.npy`);
    writeNpy(f, x.dtype, x.shape, x.data);
    args.push('--input', `${x.name}=${f}`);
  });
  const outFiles = refs.map((_, k) => path.join(dir, `out${k}.npy`));
  for (const f of outFiles) {
    fs.rmSync(f, { force: true });
    args.push('--output', f);
  }
  rec.command = [CLI, ...args].join(' ');
  const t0 = performance.now();
  const p = spawnSync(CLI, args, { encoding: 'utf8', timeout: TIMEOUT_S * 1000, maxBuffer: 1 << 26 });
  rec.oursMs = Math.round(performance.now() - t0);
  if (p.status !== 0) {
    rec.status = 'OURS-REFUSED';
    rec.why = short(p.error ? p.error.message : `exit ${p.status}${p.signal ? ' ' + p.signal : ''}: ${p.stderr || p.stdout}`, 600);
    return rec;
  }
  const cmp = [];
  refs.forEach((r, k) => {
    if (!fs.existsSync(outFiles[k])) {
      cmp.push({ name: r.name, maxErr: Infinity, problems: ['no output file written'] });
      return;
    }
    cmp.push(compareOutput(r.name, r, readNpy(outFiles[k])));
  });
  rec.outputs = cmp;
  rec.maxErr = Math.max(0, ...cmp.map((c) => c.maxErr ?? 0));
  const bad = cmp.filter((c) => c.problems.length);
  if (bad.length) {
    rec.status = 'MISMATCH';
    rec.why = bad.map((c) => `${c.name}: ${c.problems.join('; ')}`).join(' | ');
    if (bad.every((c) => c.orderOnly && c.problems.length === 1)) rec.why += ' [order only]';
    if (DIAG) {
      try {
        rec.diag = await diagnose(file, inputs, dir);
      } catch (e) {
        rec.diag = { error: short(e.message ?? e) };
      }
    }
  } else {
    rec.status = 'OK';
    if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
  return rec;
}

// ---------------------------------------------------------------------------

const files = [];
for (const root of roots) {
  const st = fs.statSync(root);
  if (st.isFile()) files.push(path.resolve(root));
  else files.push(...findModels(path.resolve(root)));
}
const todo = files.filter((f) => !FILTER || FILTER.test(f));
console.log(`graph_sweep: ${todo.length} graph models; TF.js ${tf.version.tfjs} cpu; ours ${CLI}; work ${OUT}`);
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('model', 48)} ${pad('nodes/ops', 10)} ${pad('ours ms', 8)} ${pad('tfjs ms', 8)} ${pad('max err', 10)} status`);
const results = [];
for (const file of todo) {
  const j = isGraphModelJson(file);
  let rec;
  try {
    rec = await runModel(file, j);
  } catch (e) {
    rec = { model: path.relative(process.cwd(), file), status: 'SWEEP-ERROR', why: short(e.stack ?? e, 600) };
  }
  results.push(rec);
  const ins = rec.inspect ?? {};
  const unsup = Object.keys(ins.unsupported ?? {});
  const err = rec.maxErr === undefined ? '-' : rec.maxErr.toExponential(2);
  let line = `${pad(rec.model.length > 48 ? '…' + rec.model.slice(-47) : rec.model, 48)} ` +
             `${pad(ins.nodes !== undefined ? `${ins.nodes}/${ins.ops}` : '-', 10)} ` +
             `${pad(rec.oursMs ?? '-', 8)} ${pad(rec.tfjsMs ?? '-', 8)} ${pad(err, 10)} ${rec.status}`;
  if (rec.why) line += ` (${rec.why})`;
  if (unsup.length) line += ` [unsupported ops: ${unsup.join(', ')}]`;
  if (rec.diag) {
    const d = rec.diag;
    line += d.error ? `\n    diagnosis failed: ${d.error}` :
      `\n    nodes: ${d.nodesBad}/${d.nodesCompared} beyond tolerance ${JSON.stringify(d.badByOp)}` +
      d.starts.map((x) => `\n    starts at: ${x}`).join('') + d.jumps.map((x) => `\n    jump at: ${x}`).join('') +
      (d.relStarts ?? []).map((x) => `\n    relative error > 1e-5 first at: ${x}`).join('');
  }
  console.log(line);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 1));
}
const count = (s) => results.filter((r) => r.status === s).length;
console.log(`graph_sweep: ${results.length} models: ${count('OK')} OK, ${count('MISMATCH')} MISMATCH, ` +
            `${count('OURS-REFUSED')} OURS-REFUSED, ${count('TFJS-FAILED')} TFJS-FAILED, ` +
            `${count('SKIPPED')} SKIPPED, ${count('SWEEP-ERROR')} SWEEP-ERROR; details ${path.join(OUT, 'results.json')}`);
process.exit(count('MISMATCH') + count('OURS-REFUSED') + count('SWEEP-ERROR') ? 1 : 0);
