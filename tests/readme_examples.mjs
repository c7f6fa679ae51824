// The README's library section cannot drift from the API: every ```cpp block preceded by a marker
// `<!-- example: examples/FILE.cpp#TAG -->` must be, line for line (indentation aside), the code
// between the two `// [TAG]` lines of that file, which CTest compiles and runs.
//   usage: node readme_examples.mjs SOURCE_DIR [--fix]   (--fix rewrites the README blocks)
import fs from 'node:fs';
import path from 'node:path';

const root = process.argv[2];
const fix = process.argv.includes('--fix');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('\n');
const norm = (lines) => lines.map((l) => l.trim()).filter((l) => l.length > 0);
let checked = 0;
let failed = 0;
for (let i = 0; i < readme.length; ++i) {
  const m = readme[i].match(/<!-- example: (\S+)#(\S+) -->/);
  if (!m) continue;
  const [, file, tag] = m;
  let j = i + 1;
  while (j < readme.length && !readme[j].startsWith('```')) ++j;
  const end = readme.indexOf('```', j + 1);
  const shown = norm(readme.slice(j + 1, end));
  const src = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const marks = src.flatMap((l, k) => (l.trim() === `// [${tag}]` ? [k] : []));
  if (marks.length !== 2) {
    console.error(`${file}: expected two '// [${tag}]' lines, found ${marks.length}`);
    ++failed;
    continue;
  }
  const real = norm(src.slice(marks[0] + 1, marks[1]));
  if (fix) {
    const body = src.slice(marks[0] + 1, marks[1]);
    const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
    readme.splice(j + 1, end - j - 1, ...body.map((l) => l.slice(indent)));
    i = j;
    ++checked;
    continue;
  }
  const diff = real.findIndex((l, k) => l !== shown[k]);
  if (diff !== -1 || real.length !== shown.length) {
    const k = diff === -1 ? Math.min(real.length, shown.length) : diff;
    console.error(`README.md line ${i + 1}: the block differs from ${file}#${tag} at its line ${k + 1}:`);
    console.error(`  README: ${shown[k] ?? '(end)'}`);
    console.error(`  ${file}: ${real[k] ?? '(end)'}`);
    ++failed;
  }
  ++checked;
}
if (fix) fs.writeFileSync(path.join(root, 'README.md'), readme.join('\n'));
if (checked === 0) {
  console.error('README.md has no example markers');
  process.exit(1);
}
console.log(`${checked} README example block(s) checked, ${failed} differ`);
process.exit(failed ? 1 : 0);
