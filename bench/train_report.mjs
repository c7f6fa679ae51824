// node bench/train_report.mjs RESULTS.json OUT.md
// Prints the training benchmark's table (bench/train.sh) and writes it as the training section
// of OUT.md ("-": print only).
import fs from 'node:fs';
import { markers, writeSection } from './sections.mjs';

const [jsonPath, outPath] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
const [BEGIN, END] = markers('train');
const md = [BEGIN, '## Training (bench/train.sh)', ''];
md.push(`Machine: ${r.cpu.trim()}, ${r.cores} cores; load average at the start ${r.load}. ` +
        'Times are model.fit / LayersModel::fit alone (no process start, no data loading), ' +
        'best of the runs; shuffling on for both (each its own order).', '');
md.push('| case | tfjs-cpp 1 thread | tfjs-cpp all cores | TF.js cpu | TF.js wasm (SIMD) | fastest TF.js / ours (1 thread) | goal ≥ 10× |');
md.push('|---|---|---|---|---|---|---|');
const names = {
  walkthrough: 'walkthrough: Dense(1), sgd, MSE, 500 epochs of 6 samples',
  mlp: 'MLP 784→256→10, adam, CCE, 1 epoch of 60000, batch 32',
  cnn: 'CNN 28×28×1 conv 8 → pool → conv 16 → pool → dense 10, adam, CCE, 1 epoch of 2000, batch 32 (informational)',
};
for (const c of ['walkthrough', 'mlp', 'cnn']) {
  const row = (who, how) => r.rows.find((x) => x.case === c && x.who === who && x.how === String(how));
  if (!row('ours', 1)) continue;  // a results file from before the case existed
  const o1 = row('ours', 1);
  const on = row('ours', r.cores);
  const cpu = row('theirs', 'cpu');
  const wasm = row('theirs', 'wasm');
  const fastest = Math.min(...[cpu, wasm].filter((x) => x.seconds !== null).map((x) => x.seconds));
  const ratio = fastest / o1.seconds;
  const s = (x) => x.seconds === null ? 'n/a' : `${x.seconds < 1 ? (x.seconds * 1000).toFixed(1) + ' ms' : x.seconds.toFixed(2) + ' s'} (loss ${Number(x.loss).toPrecision(4)})`;
  const goal = c === 'cnn' ? 'informational' : ratio >= 10 ? 'met' : '**MISS**';
  md.push(`| ${names[c]} | ${s(o1)} | ${s(on)} | ${s(cpu)} | ${s(wasm)} | ${ratio.toFixed(1)}× | ${goal} |`);
}
md.push('', 'TF.js\'s wasm backend (4.22) cannot train the CNN: it has no Conv2DBackpropFilter kernel.');
md.push('', 'The losses differ between the runs because each side draws its own initial weights and ' +
        'shuffling order; tests/train_test.cpp checks that the same weights, data and order give ' +
        'the same loss per epoch as TF.js.', END);
const section = md.join('\n') + '\n';
console.log(section);
if (outPath && outPath !== '-') {
  writeSection(outPath, 'train', section);
  console.log(`wrote the training section of ${outPath}`);
}
