// node bench/infer_report.mjs WORK_DIR MODELS.json RESULTS.md
//
// Combines the figures of one bench/infer.sh run and prints a table with the ratios, then writes
// the inference section of RESULTS.md: the text between its `<!-- infer:begin -->` and
// `<!-- infer:end -->` markers is replaced (the section is appended when the markers are absent;
// the rest of the file, bench/run.sh's load benchmark, is kept). RESULTS.md "-" writes nothing.
//
// WORK_DIR holds what infer.sh gathered: meta.json (machine, build, settings), runs.tsv (model,
// batch, runtime, key per line) and for each key KEY.out (the run's JSON report), KEY.err, KEY.rc
// (exit status) and KEY.rss (peak RSS in KiB from /usr/bin/time); `sgemm` (tfjs_bench_sgemm) and
// `idle` (`tfjs --version`) the same way. Pure formatting: every number comes from this run.
import { markers, writeSection } from './sections.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [workDir, modelsPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node bench/infer_report.mjs WORK_DIR MODELS.json RESULTS.md');
  process.exit(2);
}
const meta = JSON.parse(fs.readFileSync(path.join(workDir, 'meta.json'), 'utf8'));
const models = JSON.parse(fs.readFileSync(modelsPath, 'utf8')).models;
const [BEGIN, END] = markers('infer');

const read = (key, ext) => {
  try {
    return fs.readFileSync(path.join(workDir, `${key}.${ext}`), 'utf8');
  } catch {
    return null;
  }
};

// One run: {ok: true, r: report, rssKiB} or {ok: false, error}.
function loadRun(key) {
  const rc = read(key, 'rc');
  if (rc === null) return null;
  const rssText = read(key, 'rss') ?? '';
  const rssLine = rssText.trim().split('\n').filter((l) => /^\d+$/.test(l.trim())).pop();
  const rssKiB = rssLine ? Number(rssLine) : null;
  const errLines = (read(key, 'err') ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const signal = /terminated by signal (\d+)/.exec(rssText);
  if (signal) return { ok: false, error: `crashed (signal ${signal[1]})`, crashed: true, rssKiB };
  if (Number(rc) !== 0) {
    // The first line that looks like an error message (not a stack frame), else the last line.
    const lines = errLines.filter((l) => !/^at /.test(l));
    const msg = lines.find((l) => /error|unsupported|cannot|failed/i.test(l)) ?? lines.pop() ??
        `exit status ${rc.trim()}`;
    return { ok: false, error: msg.replace(/\s+/g, ' ').slice(0, 240), rssKiB };
  }
  try {
    return { ok: true, r: JSON.parse(read(key, 'out')), rssKiB };
  } catch (e) {
    return { ok: false, error: `unreadable report (${e.message})`, rssKiB };
  }
}

const runs = {};  // runs[model][batch][runtime]
for (const line of (read('runs', 'tsv') ?? '').split('\n').filter(Boolean)) {
  const [model, batch, runtime, key] = line.split('\t');
  ((runs[model] ??= {})[batch] ??= {})[runtime] = loadRun(key);
}
// OpenBLAS with its own kernel choice (`sgemm`) and, when the environment forced one, with that
// (`sgemm_env`), and oneDNN's sgemm (`sgemm_onednn`); the reference per thread count is the
// fastest of them.
const sgemms = meta.haveSgemm
  ? [loadRun('sgemm'), loadRun('sgemm_env'), loadRun('sgemm_onednn')].filter(Boolean) : [];
const sgemmFailed = sgemms.find((x) => !x.ok);
const idle = loadRun('idle');
const loadOnly = loadRun('loadonly');

// --- agreement with TF.js -------------------------------------------------------------------------
// A float32 little-endian, C-order .npy: {shape, data}.
function readNpyF32(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + headerLen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${file}: not a C-order float32 .npy (${header.trim()})`);
  }
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((x) => x.trim())
      .filter(Boolean).map(Number);
  const off = start + headerLen;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
  return { shape, data };
}

// Tolerance of the agreement check: |ours − TF.js| ≤ ABS + REL·|TF.js| for every output value.
// Float32 over up to 28 layers with another summation order (oneDNN's blocked products against
// TF.js's loops) differs in the last bits of each layer's sums: relative differences of ~1e-6
// (measured: |Δ| ≤ 2e-8 on MobileNet's softmax outputs of 2e-5..2e-2, ≤ 3e-7 on the MLP's and
// LSTM's outputs of ~0.1..0.6). 1e-6 + 1e-3·|y| leaves a wide margin above that, while an error
// of more than 0.1% of a value (plus 1e-6 absolute, for values near zero) fails.
const CHECK_ABS = 1e-6;
const CHECK_REL = 1e-3;
const CHECK_TEXT = '|Δ| ≤ 1e-6 + 1e-3·|y|';
const checks = [];
for (const line of (read('checks', 'tsv') ?? '').split('\n').filter(Boolean)) {
  const [model, threads, key] = line.split('\t');
  const run = loadRun(key);
  const c = { model, threads: Number(threads) };
  if (!run) continue;
  if (run.error && (run.crashed || Number(read(key, 'rc')) !== 0)) {
    c.error = run.error;
  } else {
    try {
      const ours = readNpyF32(path.join(workDir, `${key}.npy`));
      const ref = readNpyF32(path.join(path.dirname(modelsPath), `${model}.check`, 'y.npy'));
      if (ours.shape.join(',') !== ref.shape.join(',')) {
        c.error = `output shape [${ours.shape}] but TF.js gives [${ref.shape}]`;
      } else {
        let maxAbs = 0;
        let worst = 0;
        for (let i = 0; i < ref.data.length; ++i) {
          const d = Math.abs(ours.data[i] - ref.data[i]);
          const q = d / (CHECK_ABS + CHECK_REL * Math.abs(ref.data[i]));
          if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? NaN : Math.max(maxAbs, d);
          if (!(q <= worst)) worst = Number.isNaN(q) ? Infinity : q;
        }
        Object.assign(c, { maxAbs, worst, values: ref.data.length, ok: worst <= 1 });
      }
    } catch (e) {
      c.error = e.message;
    }
  }
  checks.push(c);
}

// --- formatting helpers -------------------------------------------------------------------------
const MiB = 1024 * 1024;
const fmtMs = (x) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
const fmtRatio = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1)) + '×';
const fmtGflops = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const fmtMiB = (kib) => (kib === null || kib === undefined ? '–' : `${(kib * 1024 / MiB).toFixed(0)} MiB`);
const pass = (ok) => (ok ? '**pass**' : '**FAIL**');
const plain = (s) => String(s).replace(/\*\*|`/g, '');
const esc = (s) => String(s).replace(/\|/g, '\\|');  // a table cell in Markdown
const calls = (run) => run.r.calls ?? run.r.iters;
const gflops = (model, batch, ms) => models[model].flopsPerSample * Number(batch) / (ms * 1e6);

// Footnote marks: ¹ TF.js's first call is the measurement; ² ours timed once after its first call.
function cell(run, isOurs) {
  if (!run) return '–';
  if (!run.ok) return isOurs && !run.crashed ? `unsupported: ${run.error}` : `failed: ${run.error}`;
  let mark = '';
  if (run.r.firstCallOnly) mark = ' ¹';
  else if (calls(run) < 3) mark = isOurs ? ' ²' : ' ³';
  return `${fmtMs(run.r.medianMs)}${mark}`;
}
const okMs = (run) => (run && run.ok ? run.r.medianMs : null);
const ourThreadsLabel = meta.threadsOption ? `${meta.nproc} threads` : 'default threading';

// --- rows ---------------------------------------------------------------------------------------
const modelNames = Object.keys(runs);
const rows = [];
for (const model of modelNames) {
  for (const batch of Object.keys(runs[model])) {
    const r = runs[model][batch];
    const o1 = okMs(r.ours1);
    const oN = okMs(r.oursN);
    const w = okMs(r.wasm);
    const c = okMs(r.cpu);
    rows.push({
      model, batch, r,
      wasmVsOurs: o1 && w ? w / o1 : null,
      cpuVsOurs: o1 && c ? c / o1 : null,
      scaling: o1 && oN ? o1 / oN : null,
      gflops1: o1 ? gflops(model, batch, o1) : null,
      gflopsN: oN ? gflops(model, batch, oN) : null,
      gflopsWasm: w ? gflops(model, batch, w) : null,
    });
  }
}

// --- goals --------------------------------------------------------------------------------------
const goals = [];
for (const c of checks) {
  const what = `Ours computes what TF.js computes: ${c.model}, ${c.threads} thread${c.threads > 1 ? 's' : ''} (tfjs predict on the saved batch-2 input vs TF.js cpu)`;
  if (c.error) {
    goals.push([what, `ours: ${c.error}`, CHECK_TEXT, '**FAIL**']);
  } else {
    goals.push([what, `max |Δ| ${c.maxAbs.toExponential(1)} over ${c.values} values ` +
      `(worst |Δ| / tolerance ${c.worst.toFixed(3)})`, CHECK_TEXT, pass(c.ok)]);
  }
}
for (const row of rows) {
  const what = `≥ 5× faster than TF.js wasm at 1 thread: ${row.model}, batch ${row.batch}`;
  if (!row.r.ours1 || !row.r.ours1.ok) {
    goals.push([what, `ours: unsupported (${row.r.ours1 ? row.r.ours1.error : 'not run'})`, '≥ 5×', '**FAIL**']);
  } else if (!row.wasmVsOurs) {
    goals.push([what, `TF.js wasm failed: ${row.r.wasm ? row.r.wasm.error : 'not run'}`, '≥ 5×', '–']);
  } else {
    goals.push([what,
      `${fmtMs(row.r.wasm.r.medianMs)} ms / ${fmtMs(row.r.ours1.r.medianMs)} ms = ${fmtRatio(row.wasmVsOurs)}`,
      '≥ 5×', pass(row.wasmVsOurs >= 5)]);
  }
}
const blasRuns = sgemms.filter((x) => x.ok).flatMap((x) => x.r.runs.map((run) => ({
  ...run, library: x.r.library, corename: x.r.corename, config: x.r.config, products: x.r.products, perProduct: run.products,
  forwardFlops: x.r.forwardFlops,
})));
const blasAt = (threads) => blasRuns.filter((x) => x.threads === threads)
    .reduce((a, b) => (!a || b.forward.gflopsAtMedian > a.forward.gflopsAtMedian ? b : a), null);
const blasError = meta.haveSgemm ? `tfjs_bench_sgemm failed: ${sgemmFailed ? sgemmFailed.error : 'no report'}` :
  'no OpenBLAS at configure time: not measured';
const mlp32 = rows.find((x) => x.model === 'mlp' && x.batch === '32');
for (const [label, runtime, threads] of [['1 thread', 'ours1', 1], [`${meta.nproc} threads`, 'oursN', meta.nproc]]) {
  const what = `MLP batch 32 at ${label}: ≥ 90% of the GFLOP/s of the faster sgemm, OpenBLAS's or oneDNN's (same products, same threads)`;
  const blas = blasAt(threads);
  const ours = mlp32 && mlp32.r[runtime];
  if (!mlp32) {
    goals.push([what, 'not measured (the MLP at batch 32 was not in this run)', '≥ 90%', '–']);
  } else if (!blas) {
    goals.push([what, blasError, '≥ 90%', '–']);
  } else if (!ours || !ours.ok) {
    goals.push([what, `ours: unsupported (${ours ? ours.error : 'not run'})`, '≥ 90%', '**FAIL**']);
  } else if (runtime === 'oursN' && !meta.threadsOption) {
    goals.push([what, '`tfjs bench` has no --threads: not measured', '≥ 90%', '–']);
  } else {
    const g = gflops('mlp', 32, ours.r.medianMs);
    const b = blas.forward.gflopsAtMedian;
    const gMin = gflops('mlp', 32, ours.r.minMs);
    const bMin = blas.forward.gflopsAtMin;
    goals.push([what, `${fmtGflops(g)} / ${fmtGflops(b)} GFLOP/s (${blas.library}${blas.library === 'OpenBLAS' ? ` core ${blas.corename}` : ''}) = ` +
      `${(100 * g / b).toFixed(0)}% (at the minimum times: ${fmtGflops(gMin)} / ${fmtGflops(bMin)} = ${(100 * gMin / bMin).toFixed(0)}%)`,
      '≥ 90%', pass(g >= 0.9 * b)]);
  }
}
{
  // Weights held once: what `tfjs bench` on the MLP at batch 1 (activations: a few KiB) adds to
  // an idle `tfjs` process, minus what loading + decoding the same model alone adds
  // (tfjs_bench_load --once decode: the weights once), over the weight bytes. About 0 when
  // building the layers and predicting copy no weights; a copy of every weight (made at load or
  // during predict: one process cannot tell them apart from outside) adds about 1.
  const what = 'No weight copies (weights held once: at load, first call and predict): extra peak RSS of `tfjs bench` on the MLP (batch 1, 1 thread) over a process that only loads + decodes it, / weight bytes';
  const run = rows.find((x) => x.model === 'mlp' && x.batch === '1')?.r.ours1;
  if (!run) {
    goals.push([what, 'not measured (the MLP at batch 1 was not in this run)', '≤ 0.25×', '–']);
  } else if (!run.ok || !run.rssKiB || !idle || !idle.rssKiB || !loadOnly || !loadOnly.ok) {
    goals.push([what, !run.ok ? `ours: unsupported (${run.error})` :
      'not measured (no /usr/bin/time, or tfjs_bench_load failed)', '≤ 0.25×', '–']);
  } else {
    const wb = models.mlp.weightBytes;
    const benchAdds = run.rssKiB * 1024 - idle.rssKiB * 1024;
    const loadAdds = loadOnly.r.peakRssBytes - loadOnly.r.baselineRssBytes;
    const x = (benchAdds - loadAdds) / wb;
    goals.push([what, `(${(benchAdds / MiB).toFixed(1)} MiB − ${(loadAdds / MiB).toFixed(1)} MiB) / ` +
      `${(wb / MiB).toFixed(1)} MiB = ${x.toFixed(2)}×`, '≤ 0.25×', pass(x <= 0.25)]);
  }
}

// --- console ------------------------------------------------------------------------------------
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const shorten = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
console.log(`\nmedian ms per batch (${meta.date}; load average ${meta.loadavgStart} at start on ${meta.nproc} CPUs)`);
console.log(`${pad('model', 14)}${lpad('batch', 6)}${lpad('ours 1t', 11)}${lpad(meta.threadsOption ? `ours ${meta.nproc}t` : 'ours dflt', 11)}` +
            `${lpad('wasm', 11)}${lpad('cpu', 11)}${lpad('wasm/1t', 10)}${lpad('cpu/1t', 10)}${lpad('GF/s 1t', 9)}`);
for (const row of rows) {
  const c = (run, ours) => shorten(cell(run, ours), 10);
  console.log(`${pad(row.model, 14)}${lpad(row.batch, 6)}${lpad(c(row.r.ours1, true), 11)}` +
              `${lpad(c(row.r.oursN, true), 11)}${lpad(c(row.r.wasm), 11)}${lpad(c(row.r.cpu), 11)}` +
              `${lpad(row.wasmVsOurs ? fmtRatio(row.wasmVsOurs) : '–', 10)}` +
              `${lpad(row.cpuVsOurs ? fmtRatio(row.cpuVsOurs) : '–', 10)}` +
              `${lpad(row.gflops1 ? fmtGflops(row.gflops1) : '–', 9)}`);
}
for (const row of rows) {
  for (const [rt, run] of Object.entries(row.r)) {
    if (run && !run.ok) console.log(`  ${row.model} batch ${row.batch} ${rt}: ${run.error}`);
  }
}
if (blasRuns.length) {
  console.log(`\nOpenBLAS sgemm, MLP batch-32 forward (median): ` +
              blasRuns.map((x) => `${x.corename} ${x.threads} thread(s) ${fmtGflops(x.forward.gflopsAtMedian)} GFLOP/s`).join(', '));
}
if (!blasRuns.length || sgemmFailed) console.log(`\nOpenBLAS sgemm: ${blasError}`);
console.log('\ngoals:');
for (const [what, measured, target, result] of goals) {
  console.log(`  ${pad(plain(result), 5)} ${plain(what)}: ${plain(measured)} (target ${target})`);
}
console.log(`\n(${meta.elapsedS} s of measurements)`);

// --- RESULTS.md section -------------------------------------------------------------------------
const md = [];
md.push(BEGIN);
md.push('# Inference benchmark results', '');
md.push(`Written by \`bench/infer.sh\` on ${meta.date}. Every figure below comes from that one run ` +
        `(${meta.elapsedS} s of measurements); rerun the script to refresh them (it rewrites this ` +
        'section only). Benchmarks are not tests and are not part of CTest.', '');
md.push('## Setup', '');
md.push(`- Machine: ${meta.cpu}, ${meta.nproc} CPUs (nproc), ${meta.memory} RAM, Linux ` +
        `${meta.kernel}${meta.virtualized ? ' (virtual machine)' : ''}; load average ` +
        `${meta.loadavgStart} at the start, ${meta.loadavgEnd} at the end.`);
md.push(`- Ours: \`${meta.version}\`, \`tfjs bench MODEL --batch N --iters K --json\`` +
        (meta.threadsOption ? ' `--threads 1` and `--threads ' + meta.nproc + '`' : '') +
        `, ${meta.buildType} build${meta.cxxFlags ? ` (CMAKE_CXX_FLAGS \`${meta.cxxFlags}\`)` : ''}, ${meta.compiler}.`);
if (!meta.threadsOption) {
  md.push('- **`tfjs bench` had no `--threads` option in this build**: ours ran once per model and ' +
          'batch at its default threading; that figure fills both of our columns.');
}
const anyTf = rows.flatMap((x) => [x.r.wasm, x.r.cpu]).find((x) => x && x.ok);
if (anyTf) {
  const wasmRun = rows.map((x) => x.r.wasm).find((x) => x && x.ok);
  md.push(`- TF.js: Node ${anyTf.r.node}, @tensorflow/tfjs ${anyTf.r.version} from tests/oracle/node_modules; ` +
          `cpu backend (pure JS) and @tensorflow/tfjs-backend-wasm` +
          (wasmRun ? ` (${wasmRun.r.flags.wasmFile}: SIMD ${wasmRun.r.flags.simd}, threads ${wasmRun.r.flags.threadsCount}; TF.js never uses wasm threads in Node)` : '') +
          '. `bench/infer_tfjs.mjs` loads the folder with `tf.loadLayersModel` through an fs IOHandler and times `predict` + `dataSync` per call.');
}
md.push('- Models (`bench/infer_models.mjs`, made with TF.js, seeded random weights kept O(1) so no ' +
        'subnormal floats appear; float32):');
md.push('', '| Model | Input | Parameters | Weight bytes | FLOP per sample |', '|---|---|---:|---:|---:|');
const describe = {
  mobilenet96: 'MobileNet v1 α=1.0 (conv 3×3/2 + 13 depthwise-separable blocks, BN, ReLU6, GAP, Dense 1000)',
  mobilenet224: 'the same network and weights at 224×224',
  mlp: 'Dense 64→2048 relu→2048 relu→10 softmax',
  lstm: 'LSTM(256) over 100 steps, returnSequences false, → Dense(10)',
};
for (const [name, m] of Object.entries(models)) {
  md.push(`| \`${name}\`: ${describe[name] ?? ''} | ${m.inputShape.join('×')} | ${m.params} | ` +
          `${(m.weightBytes / MiB).toFixed(1)} MiB | ${(m.flopsPerSample / 1e6).toFixed(1)} M |`);
}
md.push('');
md.push('  FLOP = 2 per multiply-add of the convolutions, matrix products and LSTM gate products; ' +
        'element-wise work is not counted.');
md.push(`- Each measurement: one untimed first call, then as many timed calls as fit in ${meta.budgetS} s ` +
        `(at least 3, at most ${meta.maxIters}); a call slower than that is timed once. Figures are ` +
        'medians (min and max in the detail table); ratios compare medians.');
const load1 = Number(meta.loadavgStart.split(' ')[0]);
if (load1 > meta.nproc * 0.5) {
  md.push(`- **Note: the machine was busy during this run** (1-minute load average ${load1} on ` +
          `${meta.nproc} CPUs at the start, from other work): absolute times are inflated and noisy, ` +
          'and the all-cores figures especially so.');
}
md.push('');
md.push('## Goals', '');
md.push('| Goal | Measured | Target | Result |', '|---|---|---|---|');
for (const g of goals) md.push(`| ${g.map(esc).join(' | ')} |`);
md.push('');
{
  // A batch-1 MLP reads every weight once per call and does 2 FLOP per 4-byte weight: its speed is
  // the speed at which one core streams the weights (from the last-level cache when they fit).
  const row = rows.find((x) => x.model === 'mlp' && x.batch === '1');
  const ours = row?.r.ours1?.ok ? row.r.ours1.r : null;
  const wasm = row?.r.wasm?.ok ? row.r.wasm.r : null;
  if (ours && wasm && models.mlp) {
    const wb = models.mlp.weightBytes;
    const gbs = (ms) => (wb / (ms / 1000) / 1e9).toFixed(0);
    md.push(`- The MLP at batch 1 is memory-bound: each call reads all ${(wb / MiB).toFixed(1)} MiB of ` +
      `weights once (2 FLOP per 4-byte weight). Ours streams them at ${gbs(ours.medianMs)} GB/s ` +
      `(${gbs(ours.minMs)} GB/s at the minimum), TF.js wasm at ${gbs(wasm.medianMs)} GB/s; 5× wasm ` +
      `would need ${gbs(wasm.medianMs / 5)} GB/s from one core. A plain AVX-512 loop that only ` +
      'sums the same bytes reaches about 90 GB/s on one core of this machine (measured in session 9), so ' +
      'the gap is the memory system, not the kernel; at 2 threads ours is ' +
      `${row.r.oursN?.ok ? fmtRatio(wasm.medianMs / row.r.oursN.r.medianMs) : '–'} wasm.`, '');
  }
}
md.push('## Milliseconds per batch (median)', '');
md.push(`| Model | Batch | ours, 1 thread | ours, ${ourThreadsLabel} | TF.js wasm | TF.js cpu | ` +
        'wasm / ours 1t | cpu / ours 1t | all-core speed-up (ours 1t / ours all) | GFLOP/s ours 1t | GFLOP/s ours all | GFLOP/s wasm |');
md.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const opt = (x, f) => (x ? f(x) : '–');
for (const row of rows) {
  md.push(`| ${row.model} | ${row.batch} | ${esc(cell(row.r.ours1, true))} | ${esc(cell(row.r.oursN, true))} | ` +
          `${esc(cell(row.r.wasm))} | ${esc(cell(row.r.cpu))} | ${opt(row.wasmVsOurs, fmtRatio)} | ` +
          `${opt(row.cpuVsOurs, fmtRatio)} | ${opt(row.scaling, fmtRatio)} | ${opt(row.gflops1, fmtGflops)} | ` +
          `${opt(row.gflopsN, fmtGflops)} | ${opt(row.gflopsWasm, fmtGflops)} |`);
}
md.push('');
md.push('¹ TF.js: the first call took longer than the budget and is the measurement (it includes ' +
        'TF.js\'s first-call set-up, small next to a call this long). ² Ours: one timed call after the ' +
        'untimed first one. ³ TF.js: fewer than 3 timed calls fit in the budget.');
md.push('');
md.push('## sgemm reference: OpenBLAS and oneDNN (MLP batch-32 products)', '');
if (blasRuns.length) {
  const s = blasRuns[0];
  md.push(`\`tfjs_bench_sgemm\`: cblas_sgemm (and \`--library onednn\`: dnnl_sgemm), row-major, the three products of the MLP chained ` +
          `(${s.products.map((p) => `${p[0]}×${p[1]}·${p[1]}×${p[2]}`).join(', ')}; ` +
          `${(s.forwardFlops / 1e6).toFixed(1)} MFLOP per forward), \`${s.config}\`. It runs with ` +
          'OpenBLAS\'s own kernel choice for this CPU (OPENBLAS_CORETYPE unset)' +
          (meta.openblasCoretypeEnv ? ` and with OPENBLAS_CORETYPE=${meta.openblasCoretypeEnv}, which this ` +
            'environment sets; the goal uses the faster per thread count' : '') + '.', '');
  md.push('| Library, core (kernels) | Threads | forward median ms | GFLOP/s (median) | GFLOP/s (min) | per product GFLOP/s (median) |',
          '|---|---:|---:|---:|---:|---|');
  for (const x of blasRuns) {
    md.push(`| ${x.library === 'OpenBLAS' ? `OpenBLAS ${x.corename}` : x.config} | ${x.threads} | ${fmtMs(x.forward.medianMs)} | ${fmtGflops(x.forward.gflopsAtMedian)} | ` +
            `${fmtGflops(x.forward.gflopsAtMin)} | ` +
            `${x.perProduct.map((p, i) => `${s.products[i][1]}→${s.products[i][2]}: ${fmtGflops(p.product.gflopsAtMedian)}`).join(', ')} |`);
  }
}
if (!blasRuns.length || sgemmFailed) {
  md.push('', meta.haveSgemm ? blasError :
    'OpenBLAS was not found when the build was configured (Debian: libopenblas-dev): not measured.');
}
md.push('');
md.push('## Every run', '');
md.push('Kernels (ours): the instruction set oneDNN dispatched to, and what ran the matrix products ' +
        'of Dense (`openblas` or `onednn` sgemm) and of the recurrent layers (oneDNN matmul, weights ' +
        'in the layout `any` it chose, as stored `ab`, or transposed once at load `ba`), as ' +
        '`tfjs bench --json` reports them for the run\'s batch.', '');
md.push('| Model | Batch | Runtime | median ms | min ms | max ms | timed calls | first call ms | load ms | peak RSS | kernels |',
        '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
const kernelsOf = (r) => (r.isa ? `${r.isa}; Dense ${r.denseKernel}, RNN ${r.recurrentKernel}` : '');
const rtName = { ours1: 'ours, 1 thread', oursN: `ours, ${ourThreadsLabel}`, wasm: 'TF.js wasm', cpu: 'TF.js cpu' };
for (const row of rows) {
  for (const [rt, run] of Object.entries(row.r)) {
    if (!run) continue;
    if (!run.ok) {
      md.push(`| ${row.model} | ${row.batch} | ${rtName[rt]} | ${rt.startsWith('ours') && !run.crashed ? 'unsupported' : 'failed'}: ${esc(run.error)} | | | | | | ${fmtMiB(run.rssKiB)} | |`);
      continue;
    }
    const r = run.r;
    md.push(`| ${row.model} | ${row.batch} | ${rtName[rt]} | ${fmtMs(r.medianMs)} | ${fmtMs(r.minMs)} | ` +
            `${fmtMs(r.maxMs)} | ${calls(run)}${r.firstCallOnly ? ' ¹' : ''} | ${opt(r.firstCallMs, fmtMs)} | ${fmtMs(r.loadMs)} | ${fmtMiB(run.rssKiB)} | ${kernelsOf(r)} |`);
  }
}
md.push('');
md.push(`Peak RSS is the whole process's (/usr/bin/time %M); an idle \`tfjs --version\` process: ` +
        `${fmtMiB(idle && idle.rssKiB)}` +
        (loadOnly && loadOnly.ok ? `; a process that only loads + decodes the MLP (\`tfjs_bench_load --once decode\`) ` +
          `goes from ${fmtMiB(loadOnly.r.baselineRssBytes / 1024)} to ${fmtMiB(loadOnly.r.peakRssBytes / 1024)}` : '') +
        '. TF.js figures include Node and the library (about 70 MiB before loading).');
md.push('');
md.push('## Method', '');
md.push('- Every figure is from one `bench/infer.sh` run; ours and TF.js run one after the other per ' +
        'model and batch, on the same models (the folders TF.js saved) and the same machine load.');
md.push('- Ours: `tfjs bench` loads the model, makes a random input of the model\'s input shape with ' +
        'the batch, runs one untimed call, then times `predict` per call. infer.sh first runs one ' +
        'timed call to size the number of calls to the budget.');
md.push('- TF.js: `bench/infer_tfjs.mjs` times `model.predict(x)` + `dataSync()` + `dispose()` per ' +
        'call after one untimed warm-up call, on a seeded random input.');
md.push(`- Agreement: \`bench/infer_models.mjs\` saves a seeded batch-2 input of each model and ` +
        'TF.js\'s (cpu backend) output for it; `tfjs predict --threads 1` and `--threads ' + meta.nproc +
        `\` must give every value within 1e-6 + 1e-3·|y| of it (float32 in another summation ` +
        'order differs in the last bits; a wrong layer is off by orders of magnitude more).');
md.push('- GFLOP/s = FLOP per sample × batch / median time. The MLP goal compares it with the ' +
        'faster sgemm forward, OpenBLAS\'s or oneDNN\'s (the same three products without bias, relu ' +
        'and softmax), at the same thread count.');
md.push(END);
const section = md.join('\n') + '\n';

if (outPath !== '-') {
  writeSection(outPath, 'infer', section);
  console.log(`wrote the inference section of ${outPath}`);
}
