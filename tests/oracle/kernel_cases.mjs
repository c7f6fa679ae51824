// node kernel_cases.mjs OUTDIR
//
// Kernel oracle: what the real TF.js (4.22.0, cpu backend) computes for the operations below
// src/kernels that both runtimes call (element-wise binary operations with broadcasting,
// reductions, image resizing and its gradients), on seeded inputs. Writes
// OUTDIR/kernel_cases.json:
//
//   {"tfjs_version", "cases": [{case, kind, op, inputs: [{shape, hex}], attrs, output}]}
//
// kind "binary": op one of add, sub, mul, div, maximum, minimum, pow, squaredDifference on two
// inputs of broadcastable shapes. kind "reduce": op sum, mean, max, min or prod with attrs
// {axes, keepDims}. kind "resize": op bilinear or nearest with attrs {size, alignCorners,
// halfPixelCenters}. kind "resizeGrad": the gradient (tf.grad) of sum(resize(x) * dy) with
// respect to x, inputs [x, dy], with attrs {size, alignCorners} (a batch of one image: TF.js's
// nearest gradient reads later images at the wrong offset; square images for bilinear: see
// below). Tensors are {shape, hex} (hex: the
// little-endian float32 bytes of dataSync()). Inputs include NaN, +-0, +-inf, +-1 and ties
// where an operation treats them specially.
import fs from 'node:fs';
import path from 'node:path';
import { tf, startScript, Rng, hexOf, TFJS_VERSION } from './lib.mjs';

const [outDir] = await startScript('node kernel_cases.mjs OUTDIR');

const count = (shape) => shape.reduce((a, b) => a * b, 1);
const dump = (t) => ({ shape: t.shape.slice(), hex: hexOf(t.dataSync()) });
const cases = [];

// Random values in [-2, 2), with some specials mixed in when asked.
function values(rng, shape, specials) {
  const v = rng.f32(count(shape), -2, 2);
  if (specials) {
    const pool = [NaN, 0, -0, Infinity, -Infinity, 1, -1, 0.5, 2];
    for (let i = 0; i < v.length; i++) {
      if (rng.uniform() < 0.15) v[i] = pool[rng.int(0, pool.length - 1)];
    }
  }
  return v;
}

// --- binary --------------------------------------------------------------------------------
const binaryOps = {
  add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, maximum: tf.maximum, minimum: tf.minimum,
  pow: tf.pow, squaredDifference: tf.squaredDifference,
};
const shapePairs = [
  [[2, 3, 4], [2, 3, 4]],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[2, 1, 4], [1, 3, 1]],
  [[3, 1], [1, 5]],
  [[2, 3, 4], []],
  [[], [5]],
  [[2, 3, 1, 5], [3, 4, 1]],
  [[1, 1, 1], [2, 1, 3]],
  [[64, 300], [300]],
  [[2, 0, 3], [3]],
];
for (const [name, fn] of Object.entries(binaryOps)) {
  shapePairs.forEach(([sa, sb], k) => {
    const rng = new Rng(`binary ${name} ${k}`);
    const specials = k < 4;
    const av = values(rng, sa, specials);
    let bv = values(rng, sb, specials);
    if (name === 'pow' && !specials) bv = bv.map((x) => Math.fround(Math.round(x * 2) / 2));
    const a = tf.tensor(av, sa, 'float32');
    const b = tf.tensor(bv, sb, 'float32');
    const y = fn(a, b);
    cases.push({ case: `binary ${name} ${k}`, kind: 'binary', op: name,
                 inputs: [dump(a), dump(b)], attrs: {}, output: dump(y) });
  });
}

// --- reduce --------------------------------------------------------------------------------
const reduceOps = { sum: tf.sum, mean: tf.mean, max: tf.max, min: tf.min, prod: tf.prod };
const reductions = [
  [[2, 3, 4], [2], false],
  [[2, 3, 4], [1], true],
  [[2, 3, 4], [0], false],
  [[2, 3, 4], [1, 2], false],
  [[2, 3, 4], [0, 2], true],
  [[2, 3, 4], [-1, 0], false],
  [[2, 3, 4], [0, 1, 2], false],
  [[5, 7, 7, 16], [1, 2], false],
  [[3, 1000], [1], false],
  [[1000, 3], [0], true],
  [[3, 4], [], false],
];
for (const [name, fn] of Object.entries(reduceOps)) {
  reductions.forEach(([shape, axes, keepDims], k) => {
    const rng = new Rng(`reduce ${name} ${k}`);
    let xv = values(rng, shape, k === 1 || k === 10);
    if (name === 'prod') xv = xv.map((x) => (Number.isFinite(x) ? Math.fround(1 + x / 16) : x));
    const x = tf.tensor(xv, shape, 'float32');
    const y = fn(x, axes, keepDims);
    cases.push({ case: `reduce ${name} ${k}`, kind: 'reduce', op: name, inputs: [dump(x)],
                 attrs: { axes, keepDims }, output: dump(y) });
  });
}

// --- resize --------------------------------------------------------------------------------
const resizes = [
  [[1, 4, 5, 3], [8, 10]],
  [[2, 5, 4, 2], [3, 7]],
  [[1, 6, 6, 1], [4, 4]],
  [[1, 3, 7, 2], [1, 5]],
  [[1, 1, 1, 3], [3, 2]],
  [[2, 9, 11, 3], [13, 6]],
  [[1, 5, 5, 2], [9, 7]],
];
for (const op of ['bilinear', 'nearest']) {
  resizes.forEach(([shape, size], k) => {
    for (const alignCorners of [false, true]) {
      for (const halfPixelCenters of [false, true]) {
        if (alignCorners && halfPixelCenters) continue;  // TF.js refuses the pair
        const rng = new Rng(`resize ${op} ${k} ${alignCorners} ${halfPixelCenters}`);
        const x = tf.tensor(values(rng, shape, false), shape, 'float32');
        const fn = op === 'bilinear' ? tf.image.resizeBilinear : tf.image.resizeNearestNeighbor;
        const y = fn(x, size, alignCorners, halfPixelCenters);
        cases.push({ case: `resize ${op} ${k} align=${alignCorners} half=${halfPixelCenters}`,
                     kind: 'resize', op, inputs: [dump(x)],
                     attrs: { size, alignCorners, halfPixelCenters }, output: dump(y) });
      }
    }
    // TF.js's bilinear gradient swaps height and width in its result's shape, so tf.grad
    // refuses it for a non-square image.
    if (shape[0] !== 1 || (op === 'bilinear' && shape[1] !== shape[2])) return;
    for (const alignCorners of [false, true]) {
      // TF.js's nearest gradient never ends for alignCorners and an input axis of 1 (its
      // search window is infinite).
      if (alignCorners && (shape[1] === 1 || shape[2] === 1)) continue;
      const rng = new Rng(`resizeGrad ${op} ${k} ${alignCorners}`);
      const x = tf.tensor(values(rng, shape, false), shape, 'float32');
      const dyShape = [shape[0], size[0], size[1], shape[3]];
      const dy = tf.tensor(values(rng, dyShape, false), dyShape, 'float32');
      const fn = op === 'bilinear' ? tf.image.resizeBilinear : tf.image.resizeNearestNeighbor;
      const g = tf.grad((t) => tf.sum(tf.mul(fn(t, size, alignCorners), dy)))(x);
      cases.push({ case: `resizeGrad ${op} ${k} align=${alignCorners}`, kind: 'resizeGrad', op,
                   inputs: [dump(x), dump(dy)], attrs: { size, alignCorners }, output: dump(g) });
    }
  });
}

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'kernel_cases.json'),
                 JSON.stringify({ tfjs_version: TFJS_VERSION, cases }));
console.log(`kernel_cases: ${cases.length} cases -> ${path.join(outDir, 'kernel_cases.json')}`);
