// bench/tfjs_node.mjs — what every benchmark script that runs the real TF.js in Node shares:
// @tensorflow/tfjs (and tfjs-backend-wasm) from tests/oracle/node_modules, stdout kept for the
// JSON report (TF.js's "install tfjs-node" banner dropped, other console output sent to stderr),
// backend selection as a Node program without tfjs-node has it (wasm: SIMD, one thread), a
// file-reading IOHandler, the process's peak RSS and timing statistics.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const oracle = path.resolve(here, '../tests/oracle');
export const require = createRequire(path.join(oracle, 'package.json'));

// The real console.log, for the report; console.log / console.warn go to stderr from here on.
export const log = console.log;
const toStderr = (...a) => {
  const s = a.map(String).join(' ');
  if (s.includes('tfjs-node') || /^=+$/.test(s.trim())) return;
  console.error(...a);
};
console.log = toStderr;
console.warn = toStderr;

export function vmHwmBytes() {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : -1;
}

export function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { medianMs: median, minMs: s[0], maxMs: s[n - 1], calls: n };
}

function toArrayBuffer(buf) {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return buf.buffer;
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

// tf.loadLayersModel's IOHandler over local files: model.json, then every shard in manifest order.
// A model folder (its model.json) or a model JSON file, with its shards beside it.
export function folderHandler(tf, where) {
  const file = where.endsWith('.json') ? where : path.join(where, 'model.json');
  const dir = path.dirname(file);
  return {
    load: async () => {
      const modelJSON = JSON.parse(await fs.promises.readFile(file, 'utf8'));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const paths = manifest.flatMap((g) => g.paths.map((p) => path.join(dir, p)));
        const buffers = await Promise.all(paths.map((p) => fs.promises.readFile(p)));
        return [tf.io.getWeightSpecs(manifest), buffers.map(toArrayBuffer)];
      });
    },
  };
}

// Selects `backend` ('cpu' or 'wasm'); returns the wasm flags (SIMD must be there).
export async function initBackend(tf, backend) {
  const flags = {};
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
                           'dist') + path.sep;
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setWasmPaths(dist);
    if (!(await tf.setBackend('wasm'))) throw new Error('could not select the wasm backend');
    await tf.ready();
    flags.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    flags.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    flags.threadsCount = wasm.getThreadsCount();
    flags.wasmFile = flags.simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
    if (!flags.simd) throw new Error('this Node has no WebAssembly SIMD: the wasm figures would not be the SIMD backend');
  } else {
    if (!(await tf.setBackend('cpu'))) throw new Error('could not select the cpu backend');
    await tf.ready();
  }
  tf.tensor([0]).dispose();  // the cpu backend prints its tfjs-node banner on first use
  if (tf.getBackend() !== backend) throw new Error(`backend is ${tf.getBackend()}, not ${backend}`);
  return flags;
}
