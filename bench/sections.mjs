// bench/sections.mjs — bench/RESULTS.md is shared by several benchmarks: each owns the text
// between its `<!-- NAME:begin -->` and `<!-- NAME:end -->` markers and rewrites only that.

import fs from 'node:fs';

export const markers = (name) => [`<!-- ${name}:begin -->`, `<!-- ${name}:end -->`];

// Replaces section `name` of the file at `outPath` by `section` (which includes its markers), or
// appends it when the file has no such section.
export function writeSection(outPath, name, section) {
  const [BEGIN, END] = markers(name);
  let text = '';
  try {
    text = fs.readFileSync(outPath, 'utf8');
  } catch {
    text = '';
  }
  if (!section.endsWith('\n')) section += '\n';
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  if (b >= 0 && e > b) {
    let rest = text.slice(e + END.length);
    if (rest.startsWith('\n')) rest = rest.slice(1);
    text = text.slice(0, b) + section + rest;
  } else {
    text = text.length ? `${text.replace(/\n*$/, '\n')}\n${section}` : section;
  }
  fs.writeFileSync(outPath, text);
}

// Every marked section of `text`, in order, markers included.
export function allSections(text) {
  const out = [];
  const re = /<!-- ([a-z0-9_-]+):begin -->[\s\S]*?<!-- \1:end -->/g;
  for (let m; (m = re.exec(text)) !== null;) out.push(m[0]);
  return out;
}
