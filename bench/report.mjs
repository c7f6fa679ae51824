// node bench/report.mjs META.json OURS.json TFJS.json RESULTS.md
//
// Combines the figures of one bench/run.sh run (the `cat` and whole-process timings and machine
// facts gathered by run.sh, tfjs_bench_load's report, tfjs_load.mjs's report), prints a table
// with the ratios and writes RESULTS.md. Pure formatting: every number comes from this run.
import { allSections } from './sections.mjs';
import fs from 'node:fs';

const [metaPath, oursPath, tfjsPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node report.mjs META.json OURS.json TFJS.json RESULTS.md');
  process.exit(2);
}
const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
const ours = JSON.parse(fs.readFileSync(oursPath, 'utf8'));
const tfjs = JSON.parse(fs.readFileSync(tfjsPath, 'utf8'));

function stats(us) {
  const s = us.map((x) => x / 1000).sort((a, b) => a - b);
  const n = s.length;
  return {
    minMs: s[0],
    medianMs: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2,
    maxMs: s[n - 1],
    runs: n,
  };
}

const MiB = 1024 * 1024;
const ms = (x) => x.toFixed(x < 10 ? 2 : 1);
const ratio = (x) => x.toFixed(x < 10 ? 2 : 1) + '×';
const mib = (b) => (b / MiB).toFixed(1) + ' MiB';

const cat = stats(meta.catUs);
const proc = stats(meta.processUs);
const weightBytes = ours.weightBytes;

// --- goals ------------------------------------------------------------------------------------
const loadVsCat = ours.load.minMs / cat.minMs;
const loadVsCatMedian = ours.load.medianMs / cat.medianMs;
const tfjsDecodeVsOurs = tfjs.decode.minMs / ours.loadDecode.minMs;
const tfjsLayersVsOurs = tfjs.layers.minMs / ours.loadDecode.minMs;
const firstDecodeVsOurs =
    tfjs.once.decode.firstLoad.minMs / ours.once.loadDecode.firstLoad.minMs;
const firstLayersVsOurs =
    tfjs.once.layers.firstLoad.minMs / ours.once.loadDecode.firstLoad.minMs;
const peakOurs = Math.max(ours.once.load.peakRssBytes, ours.once.loadDecode.peakRssBytes);
const rssRatio = peakOurs / weightBytes;
const pass = (ok) => (ok ? '**pass**' : '**FAIL**');
const goals = [
  ['Load time within 2× of `cat`, warm (loadModel min / `cat` min)',
    `${ms(ours.load.minMs)} ms / ${ms(cat.minMs)} ms = ${ratio(loadVsCat)}` +
      ` (medians: ${ratio(loadVsCatMedian)})`,
    '≤ 2×', pass(loadVsCat <= 2)],
  ['≥ 10× faster than TF.js, warm (repeated loads): tf.io.decodeWeights path / our loadModel + decodeWeights',
    `${ms(tfjs.decode.minMs)} ms / ${ms(ours.loadDecode.minMs)} ms = ${ratio(tfjsDecodeVsOurs)}`,
    '≥ 10×', pass(tfjsDecodeVsOurs >= 10)],
  ['≥ 10× faster than TF.js, warm (repeated loads): tf.loadLayersModel path / our loadModel + decodeWeights',
    `${ms(tfjs.layers.minMs)} ms / ${ms(ours.loadDecode.minMs)} ms = ${ratio(tfjsLayersVsOurs)}`,
    '≥ 10×', pass(tfjsLayersVsOurs >= 10)],
  ['≥ 10× faster than TF.js, first load in a fresh process: decodeWeights path / ours',
    `${ms(tfjs.once.decode.firstLoad.minMs)} ms / ${ms(ours.once.loadDecode.firstLoad.minMs)} ms` +
      ` = ${ratio(firstDecodeVsOurs)}`,
    '≥ 10×', pass(firstDecodeVsOurs >= 10)],
  ['≥ 10× faster than TF.js, first load in a fresh process: loadLayersModel path / ours',
    `${ms(tfjs.once.layers.firstLoad.minMs)} ms / ${ms(ours.once.loadDecode.firstLoad.minMs)} ms` +
      ` = ${ratio(firstLayersVsOurs)}`,
    '≥ 10×', pass(firstLayersVsOurs >= 10)],
  ['Peak RSS of a process doing one load (+ decode) / weight bytes',
    `${mib(peakOurs)} / ${mib(weightBytes)} = ${ratio(rssRatio)}`,
    '≤ 1.2×', pass(rssRatio <= 1.2)],
];

// --- figures ----------------------------------------------------------------------------------
const timeRows = [
  ['`cat model.json shards > /dev/null` (a process)', cat, 'the reference'],
  ['in-process read(2) into a reused 128 KiB buffer (what `cat` does)', ours.readLikeCat, ''],
  ['in-process read(2) into one fresh buffer (loadModel\'s I/O alone)', ours.readIntoFreshBuffer,
    ''],
  ['... same, buffer 2 MiB aligned + MADV_HUGEPAGE', ours.readIntoFreshHugePageBuffer, ''],
  ['**tfjs::loadModel** (warm)', ours.load, ''],
  ['**tfjs::loadModel + decodeWeights** (warm)', ours.loadDecode, ''],
  ['`tfjs_bench_load --once load` (a whole process: start, load, exit)', proc, ''],
  ['TF.js: fs.readFile + tf.io.decodeWeights (warm)', tfjs.decode, ''],
  ['TF.js: tf.loadLayersModel, custom IOHandler over fs.readFile (warm)', tfjs.layers, ''],
  ['first load in a fresh process: tfjs::loadModel', ours.once.load.firstLoad, ''],
  ['first load in a fresh process: tfjs::loadModel + decodeWeights', ours.once.loadDecode.firstLoad,
    ''],
  ['first load in a fresh process: TF.js decodeWeights path', tfjs.once.decode.firstLoad, ''],
  ['first load in a fresh process: TF.js loadLayersModel path', tfjs.once.layers.firstLoad, ''],
];

const rssRows = [
  ['tfjs::loadModel', ours.once.load],
  ['tfjs::loadModel + decodeWeights', ours.once.loadDecode],
  ['TF.js fs.readFile + tf.io.decodeWeights', tfjs.once.decode],
  ['TF.js tf.loadLayersModel', tfjs.once.layers],
];

// --- console table ----------------------------------------------------------------------------
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const plain = (s) => s.replace(/\*\*|`/g, '');
console.log(`\n${pad('time (ms)', 74)}${lpad('min', 9)}${lpad('median', 9)}${lpad('/cat', 9)}`);
for (const [name, s] of timeRows) {
  console.log(`${pad(plain(name), 74)}${lpad(ms(s.minMs), 9)}${lpad(ms(s.medianMs), 9)}` +
              `${lpad(ratio(s.minMs / cat.minMs), 9)}`);
}
console.log(`\n${pad('peak RSS, one load per process', 45)}${lpad('baseline', 12)}` +
            `${lpad('peak', 12)}${lpad('peak/weights', 14)}`);
for (const [name, r] of rssRows) {
  console.log(`${pad(name, 45)}${lpad(mib(r.baselineRssBytes), 12)}${lpad(mib(r.peakRssBytes), 12)}` +
              `${lpad(ratio(r.peakRssBytes / weightBytes), 14)}`);
}
console.log('\ngoals:');
for (const [what, measured, target, result] of goals) {
  console.log(`  ${plain(result).padEnd(5)} ${plain(what)}: ${plain(measured)} (target ${target})`);
}

// --- RESULTS.md -------------------------------------------------------------------------------
const md = [];
md.push('# Load benchmark results', '');
md.push(`Written by \`bench/run.sh\` on ${meta.date}. Every figure below comes from that one ` +
        'run; rerun the script to refresh them (it rewrites this file, keeping the inference ' +
        'section of bench/infer.sh). Benchmarks are not tests ' +
        'and are not part of CTest.', '');
md.push('## Setup', '');
md.push(`- Machine: ${meta.cpu}, ${meta.nproc} CPUs (nproc), ${meta.memory} RAM, Linux ` +
        `${meta.kernel}${meta.virtualized ? ' (virtual machine)' : ''}; transparent huge pages ` +
        `\`${meta.thp}\`; load average at start ${meta.loadavg}.`);
md.push(`- tfjs-cpp ${ours.version}, ${meta.buildType} build, ${meta.compiler}.`);
md.push(`- Node ${tfjs.node}, @tensorflow/tfjs ${tfjs.version} (${tfjs.backend} backend, no ` +
        'tfjs-node), from tests/oracle/node_modules.');
md.push(`- Model (\`tfjs_bench_make_model\`): layers-model, Sequential of ${meta.model.layers} ` +
        `bias-free Dense layers with ${meta.model.width}×${meta.model.width} float32 kernels: ` +
        `${weightBytes} weight bytes (${mib(weightBytes)}) in ${meta.model.shards} shards of ` +
        `${meta.model.shardBytes} bytes, plus model.json; ${ours.fileBytes} bytes in ` +
        `${ours.files} files, all in the page cache (read once before timing).`);
md.push('- "Warm" figures are repeated loads in one process (min / median over the runs, after ' +
        'a warm-up); "first load in a fresh process" times the one load of each of ' +
        `${ours.once.load.firstLoad.runs} fresh processes per path (timed inside the process, ` +
        'so without process start-up; for TF.js this includes its first-call JIT and allocator ' +
        'warm-up, which is what a program loading a model once pays).');
const load1 = Number(meta.loadavg.split(' ')[0]);
if (load1 > meta.nproc * 0.5) {
  md.push(`- **Note: the machine was busy during this run** (1-minute load average ${load1} on ` +
          `${meta.nproc} CPUs, from other work): absolute times and medians are inflated and ` +
          'noisy; the minimums and the ratios between figures of the same run are the usable ' +
          'part.');
}
md.push(`- Runs: \`cat\` ${cat.runs}×, our in-process figures ${ours.repeats}×, whole process ` +
        `${proc.runs}×, TF.js ${tfjs.repeats}× per path, each after one untimed warm-up.`, '');
md.push('## Goals', '');
md.push('| Goal | Measured | Target | Result |', '|---|---|---|---|');
for (const g of goals) md.push(`| ${g.join(' | ')} |`);
md.push('');
md.push('## Load time', '');
md.push('| What | min ms | median ms | min / `cat` min |', '|---|---:|---:|---:|');
for (const [name, s] of timeRows) {
  md.push(`| ${name} | ${ms(s.minMs)} | ${ms(s.medianMs)} | ${ratio(s.minMs / cat.minMs)} |`);
}
md.push('');
md.push(`## Peak RSS (one load in a fresh process; the highest of ${ours.once.load.firstLoad.runs} processes per row)`, '');
md.push('| Process | before the load | peak | peak / weight bytes | (peak − before) / weight bytes |',
        '|---|---:|---:|---:|---:|');
for (const [name, r] of rssRows) {
  md.push(`| ${name} | ${mib(r.baselineRssBytes)} | ${mib(r.peakRssBytes)} | ` +
          `${ratio(r.peakRssBytes / weightBytes)} | ` +
          `${ratio((r.peakRssBytes - r.baselineRssBytes) / weightBytes)} |`);
}
md.push('');
md.push(`${ours.once.loadDecode.tensorsSharingWeightBuffer} of ${ours.once.loadDecode.tensors} ` +
        'tensors decoded by tfjs::decodeWeights share the loaded weight buffer (no copy).', '');
md.push('## Where the time goes', '');
{
  const fresh = ours.readIntoFreshBuffer.minMs;
  const huge = ours.readIntoFreshHugePageBuffer.minMs;
  const floor = ours.readLikeCat.minMs;
  md.push(`- Copying the files out of the page cache into a reused 128 KiB buffer takes ` +
          `${ms(floor)} ms (the floor for one thread). Reading them into one fresh buffer of ` +
          `4 KiB pages takes ${ms(fresh)} ms: a page fault per 4 KiB page dominates. With the ` +
          `buffer backed by 2 MiB pages (what Buffer::allocate does for large buffers) one thread ` +
          `takes ${ms(huge)} ms. loadModel takes ${ms(ours.load.minMs)} ms: it reads in 4 MiB ` +
          `chunks on up to 4 threads (pread), so the copy and the faults use both cores; parsing ` +
          `model.json and validating the manifest are negligible at this size.`);
  md.push(`- A process doing one load takes ${ours.once.load.minorFaults} minor page faults ` +
          `(load + decode: ${ours.once.loadDecode.minorFaults}); one per 4 KiB page of the ` +
          `weights would be ${(weightBytes / 4096).toFixed(0)}.`);
  md.push('');
}
md.push('## Method', '');
md.push('- Times are wall-clock, warm page cache; ratios compare minimums (the least disturbed ' +
        'runs), medians are shown alongside.');
md.push('- `cat` is timed by run.sh as a command (`cat model.json *.bin > /dev/null`, bash ' +
        '`$EPOCHREALTIME`), so it includes starting the `cat` process; `tfjs::loadModel` is timed ' +
        'inside `tfjs_bench_load` (no process start). The whole-process row times a complete ' +
        '`tfjs_bench_load --once load` the same way as `cat`.');
md.push('- The three in-process read rows are baselines timed by `tfjs_bench_load` in the same ' +
        'loop: reading like `cat` (no large buffer), reading in place into a fresh buffer as ' +
        '`loadModel` does, and the same with a huge-page buffer; the gaps between them and ' +
        '`loadModel` separate the cost of first-touch page faults from parsing and validation.');
md.push('- Peak RSS is VmHWM from /proc/self/status of a fresh process doing one load ' +
        '(`tfjs_bench_load --once`, `tfjs_load.mjs --once`); "before the load" is its VmHWM just ' +
        'before loading (program, libraries and, for TF.js, Node + the library).');
md.push('- TF.js reads with `fs.promises.readFile`, builds the artifacts with ' +
        '`tf.io.getModelArtifactsForJSON` (weightData = the shards\' ArrayBuffers, as its HTTP ' +
        'loader does) and either decodes them with `tf.io.decodeWeights` or builds the model with ' +
        '`tf.loadLayersModel` through a custom IOHandler. Node runs with `--expose-gc` and ' +
        'collects garbage between runs, outside the timed region.');
md.push('');
// Keep the sections other benchmarks (infer.sh, train.sh, convert.sh) write into the same file.
{
  let old = '';
  try {
    old = fs.readFileSync(outPath, 'utf8');
  } catch {
    old = '';
  }
  for (const section of allSections(old)) md.push(section, '');
}
fs.writeFileSync(outPath, md.join('\n'));
console.log(`\nwrote ${outPath}`);
