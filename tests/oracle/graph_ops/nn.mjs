// Per-op oracle cases of the nn family (graph_op_cases.mjs): convolution (Conv2DBackpropInput,
// DepthwiseConv2d, Conv1D, Conv3D, pools 3-D, MaxPoolWithArgmax, Dilation2D), matrices
// (BatchMatMul, BatchMatMulV2, Einsum, MatrixBandPart) and image (CropAndResize,
// ImageProjectiveTransformV3).
import { A, node, count, makeCase, f32, i32c, f32c } from './common.mjs';
import { Rng } from '../lib.mjs';

export const cases = [];
const rngW = new Rng('graph op nn weights');
const wts = (shape) => Array.from(rngW.f32(count(shape), -1, 1));

// --- Conv2DBackpropInput ---------------------------------------------------------------------
const deconv = (name, { x, k, out, strides, padding, explicit, extra = {} }) => cases.push(makeCase(
  `Conv2DBackpropInput ${name}`, 'Conv2DBackpropInput', {
    inputs: { dy: f32(x) }, consts: { s: i32c([out.length], out), k: f32c(k, wts(k)) },
    nodes: [node('y', 'Conv2DBackpropInput', ['s', 'k', 'dy'], {
      strides: A.ints(strides), padding: A.s(padding),
      ...(explicit ? { explicit_paddings: A.ints(explicit) } : {}), ...extra,
    })], fetch: ['y'],
  }));
deconv('SAME s2', { x: [2, 4, 5, 3], k: [3, 3, 4, 3], out: [2, 8, 10, 4], strides: [1, 2, 2, 1], padding: 'SAME' });
deconv('SAME s2 odd output', { x: [1, 4, 4, 2], k: [3, 3, 3, 2], out: [1, 7, 8, 3], strides: [1, 2, 2, 1], padding: 'SAME' });
deconv('VALID s2', { x: [1, 3, 4, 2], k: [3, 3, 2, 2], out: [1, 7, 9, 2], strides: [1, 2, 2, 1], padding: 'VALID' });
deconv('VALID s1', { x: [2, 3, 3, 4], k: [2, 2, 3, 4], out: [2, 4, 4, 3], strides: [1, 1, 1, 1], padding: 'VALID' });
deconv('kernel 2 stride 3 (smaller than stride)', { x: [1, 3, 3, 2], k: [2, 2, 2, 2], out: [1, 9, 8, 2], strides: [1, 3, 3, 1], padding: 'VALID' });
deconv('SAME s1 data_format NCHW ignored', { x: [1, 5, 5, 2], k: [3, 3, 2, 2], out: [1, 5, 5, 2], strides: [1, 1, 1, 1], padding: 'SAME',
  extra: { data_format: A.s('NCHW'), dilations: A.ints([1, 2, 2, 1]) } });
deconv('EXPLICIT', { x: [1, 3, 2, 2], k: [3, 3, 2, 2], out: [1, 6, 5, 2], strides: [1, 2, 2, 1], padding: 'EXPLICIT',
  explicit: [0, 0, 1, 1, 0, 1, 0, 0] });
deconv('rank 3', { x: [4, 5, 3], k: [3, 3, 2, 3], out: [8, 10, 2], strides: [1, 2, 2, 1], padding: 'SAME' });
deconv('depth mismatch', { x: [1, 4, 4, 2], k: [3, 3, 3, 3], out: [1, 8, 8, 3], strides: [1, 2, 2, 1], padding: 'SAME' });
deconv('output rank mismatch', { x: [1, 4, 4, 3], k: [3, 3, 2, 3], out: [8, 8, 2], strides: [1, 2, 2, 1], padding: 'SAME' });
cases.push(makeCase('Conv2DBackpropInput computed filter', 'Conv2DBackpropInput', {
  inputs: { dy: f32([1, 3, 3, 2]), k: f32([2, 2, 3, 2]) }, consts: { s: i32c([4], [1, 6, 6, 3]) },
  nodes: [node('y', 'Conv2DBackpropInput', ['s', 'k', 'dy'], { strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME') })],
  fetch: ['y'],
}));

// --- DepthwiseConv2d, Conv1D, Conv3D ------------------------------------------------------------
cases.push(makeCase('DepthwiseConv2d SAME s2 d1', 'DepthwiseConv2d', {
  inputs: { x: f32([1, 6, 7, 3]) }, consts: { k: f32c([3, 3, 3, 2], wts([3, 3, 3, 2])) },
  nodes: [node('y', 'DepthwiseConv2d', ['x', 'k'], {
    padding: A.s('SAME'), strides: A.ints([1, 2, 2, 1]), dilations: A.ints([1, 1, 1, 1]),
  })], fetch: ['y'],
}));
cases.push(makeCase('DepthwiseConv2d VALID dilation 2', 'DepthwiseConv2d', {
  inputs: { x: f32([2, 7, 7, 2]) }, consts: { k: f32c([3, 3, 2, 1], wts([3, 3, 2, 1])) },
  nodes: [node('y', 'DepthwiseConv2d', ['x', 'k'], {
    padding: A.s('VALID'), strides: A.ints([1, 1, 1, 1]), dilations: A.ints([1, 2, 2, 1]),
  })], fetch: ['y'],
}));
const conv1d = (name, x, k, attrs) => cases.push(makeCase(`Conv1D ${name}`, 'Conv1D', {
  inputs: { x: f32(x) }, consts: { k: f32c(k, wts(k)) },
  nodes: [node('y', 'Conv1D', ['x', 'k'], attrs)], fetch: ['y'],
}));
conv1d('SAME stride 2', [2, 9, 3], [3, 3, 4], { padding: A.s('SAME'), stride: A.i(2) });
conv1d('VALID dilation 2', [1, 10, 2], [3, 2, 3], { padding: A.s('VALID'), stride: A.i(1), dilation: A.i(2) });
conv1d('rank 2 input', [8, 2], [2, 2, 2], { padding: A.s('VALID'), stride: A.i(1), data_format: A.s('NWC') });
conv1d('stride and dilation', [1, 10, 2], [3, 2, 3], { padding: A.s('VALID'), stride: A.i(2), dilation: A.i(2) });
conv1d('NCW', [1, 10, 2], [3, 2, 3], { padding: A.s('VALID'), stride: A.i(1), data_format: A.s('NCW') });
const conv3d = (name, x, k, attrs) => cases.push(makeCase(`Conv3D ${name}`, 'Conv3D', {
  inputs: { x: f32(x) }, consts: { k: f32c(k, wts(k)) },
  nodes: [node('y', 'Conv3D', ['x', 'k'], attrs)], fetch: ['y'],
}));
conv3d('SAME s1', [1, 4, 5, 5, 2], [3, 3, 3, 2, 3], { padding: A.s('SAME'), strides: A.ints([1, 1, 1, 1, 1]),
  dilations: A.ints([1, 1, 1, 1, 1]), data_format: A.s('NDHWC') });
const ones5 = A.ints([1, 1, 1, 1, 1]);
conv3d('VALID s2', [2, 5, 6, 5, 2], [2, 3, 2, 2, 2], { padding: A.s('VALID'), strides: A.ints([1, 2, 2, 1, 1]),
  dilations: ones5, data_format: A.s('NDHWC') });
conv3d('SAME kernel 1 stride 2 (negative padding)', [1, 4, 4, 4, 1], [1, 1, 1, 1, 2], { padding: A.s('SAME'),
  strides: A.ints([1, 2, 2, 2, 1]), dilations: ones5, data_format: A.s('NDHWC') });
conv3d('no dilations refused', [1, 4, 4, 4, 1], [2, 2, 2, 1, 1], { padding: A.s('VALID'), strides: ones5,
  data_format: A.s('NDHWC') });
conv3d('dilation 2', [1, 5, 5, 5, 1], [2, 2, 2, 1, 2], { padding: A.s('SAME'), strides: A.ints([1, 1, 1, 1, 1]),
  dilations: A.ints([1, 2, 2, 2, 1]), data_format: A.s('NDHWC') });
conv3d('default data_format refused', [1, 4, 4, 4, 1], [2, 2, 2, 1, 1], { padding: A.s('VALID'),
  strides: A.ints([1, 1, 1, 1, 1]), dilations: A.ints([1, 1, 1, 1, 1]) });

// --- pools -----------------------------------------------------------------------------------
for (const op of ['MaxPool3D', 'AvgPool3D']) {
  for (const [padding, ksize, strides] of [['SAME', [2, 2, 2], [2, 2, 2]], ['VALID', [2, 3, 2], [1, 2, 1]],
    ['SAME', [1, 1, 1], [2, 2, 2]]]) {
    cases.push(makeCase(`${op} ${padding} k${ksize.join('')} s${strides.join('')}`, op, {
      inputs: { x: f32([2, 4, 5, 5, 3]) },
      nodes: [node('y', op, ['x'], {
        ksize: A.ints([1, ...ksize, 1]), strides: A.ints([1, ...strides, 1]), padding: A.s(padding),
        data_format: A.s('NDHWC'),
      })], fetch: ['y'],
    }));
  }
}
for (const [padding, batchIndex] of [['SAME', false], ['VALID', true], ['SAME', true]]) {
  cases.push(makeCase(`MaxPoolWithArgmax ${padding} include_batch_in_index=${batchIndex}`, 'MaxPoolWithArgmax', {
    inputs: { x: f32([2, 5, 6, 3]) },
    nodes: [node('y', 'MaxPoolWithArgmax', ['x'], {
      ksize: A.ints([1, 3, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s(padding),
      include_batch_in_index: A.b(batchIndex),
    })], fetch: ['y:0', 'y:1'],
  }));
}
for (const [padding, strides, rates] of [['SAME', 1, 1], ['VALID', 2, 1], ['SAME', 1, 2], ['VALID', 1, 2]]) {
  cases.push(makeCase(`Dilation2D ${padding} s${strides} r${rates}`, 'Dilation2D', {
    inputs: { x: f32([2, 6, 7, 2]) }, consts: { k: f32c([2, 3, 2], wts([2, 3, 2])) },
    nodes: [node('y', 'Dilation2D', ['x', 'k'], {
      padding: A.s(padding), strides: A.ints([1, strides, strides, 1]), rates: A.ints([1, rates, rates, 1]),
    })], fetch: ['y'],
  }));
}

// --- matrices --------------------------------------------------------------------------------
const bmm = (op, name, a, b, ta, tb) => cases.push(makeCase(`${op} ${name}`, op, {
  inputs: { a: f32(a), b: f32(b) },
  nodes: [node('y', op, ['a', 'b'], { adj_x: A.b(ta), adj_y: A.b(tb) })], fetch: ['y'],
}));
bmm('BatchMatMul', 'plain', [3, 2, 4], [3, 4, 5], false, false);
bmm('BatchMatMul', 'adj_x adj_y', [2, 2, 4, 3], [2, 2, 5, 4], true, true);
bmm('BatchMatMulV2', 'adj_y', [2, 3, 4], [2, 5, 4], false, true);
bmm('BatchMatMulV2', 'adj_x', [2, 4, 3], [2, 4, 5], true, false);
bmm('BatchMatMulV2', 'broadcast b', [2, 3, 3, 4], [4, 2], false, false);
bmm('BatchMatMulV2', 'broadcast a rank 2', [3, 4], [2, 3, 4, 2], false, false);
bmm('BatchMatMulV2', 'broadcast trailing', [2, 3, 2, 4], [3, 4, 2], false, false);
bmm('BatchMatMulV2', 'modulo pairing [2,1] x [2,3]', [2, 1, 2, 3], [2, 3, 3, 2], false, false);
bmm('BatchMatMulV2', 'inner mismatch', [2, 2, 3], [2, 4, 2], false, false);
bmm('BatchMatMulV2', 'batch mismatch', [2, 2, 3], [3, 3, 2], false, false);
const einsum = (eq, shapes, name = eq) => cases.push(makeCase(`Einsum ${name}`, 'Einsum', {
  inputs: Object.fromEntries(shapes.map((s, k) => [`x${k}`, f32(s)])),
  nodes: [node('y', 'Einsum', shapes.map((_, k) => `x${k}`), { equation: A.s(eq), N: A.i(shapes.length) })],
  fetch: ['y'],
}));
einsum('ij,jk->ik', [[3, 4], [4, 5]]);
einsum('bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]);
einsum('bqhd,bkhd->bhqk', [[2, 3, 2, 4], [2, 5, 2, 4]]);
einsum('ij->ji', [[3, 4]]);
einsum('ij->', [[3, 4]]);
einsum('ij->j', [[3, 4]]);
einsum('i,i->', [[5], [5]]);
einsum('i,j->ij', [[3], [4]]);
einsum('ij,ij->ij', [[3, 4], [3, 4]]);
einsum('abc,cd->abd', [[2, 3, 4], [4, 2]]);
einsum('ij, jk -> ki', [[2, 3], [3, 2]]);
einsum('IJ,JK->IK', [[2, 3], [3, 2]]);
einsum('ii->i', [[3, 3]]);
einsum('ij,jk', [[2, 3], [3, 2]]);
einsum('...ij,jk->ik', [[2, 3], [3, 2]]);
einsum('ij,jk,kl->il', [[2, 3], [3, 2], [2, 2]]);
einsum('ij,jk->ik', [[2, 3], [4, 2]], 'size mismatch');
const band = (name, shape, lower, upper, dtype = 'float32') => cases.push(makeCase(`MatrixBandPart ${name}`, 'MatrixBandPart', {
  inputs: { a: { dtype, shape } }, consts: { l: i32c([], [lower]), u: i32c([], [upper]) },
  nodes: [node('y', 'MatrixBandPart', ['a', 'l', 'u'])], fetch: ['y'],
}));
band('1 1', [4, 5], 1, 1);
band('lower 1 upper 0 (reads lower for both)', [2, 4, 4], 1, 0);
band('-1 -1', [3, 4], -1, -1);
band('0 upper -1', [5, 3], 0, -1);
band('int32 2', [2, 3, 4], 2, 2, 'int32');

// --- image -----------------------------------------------------------------------------------
const crop = (name, boxes, ind, size, attrs) => cases.push(makeCase(`CropAndResize ${name}`, 'CropAndResize', {
  inputs: { image: f32([2, 5, 6, 2]) },
  consts: { b: f32c([ind.length, 4], boxes), i: i32c([ind.length], ind), s: i32c([2], size) },
  nodes: [node('y', 'CropAndResize', ['image', 'b', 'i', 's'], attrs)], fetch: ['y'],
}));
const boxes = [0.1, 0.2, 0.8, 0.9, 0, 0, 1, 1, -0.3, 0.5, 0.6, 1.4, 0.5, 0.9, 0.2, 0.1];
crop('bilinear', boxes, [0, 1, 1, 0], [3, 4], { method: A.s('bilinear'), extrapolation_value: A.f(0) });
crop('nearest', boxes, [1, 0, 1, 0], [4, 3], { method: A.s('nearest'), extrapolation_value: A.f(0) });
crop('extrapolation 2.5', boxes, [0, 0, 1, 1], [5, 5], { method: A.s('bilinear'), extrapolation_value: A.f(2.5) });
crop('crop size 1', boxes, [0, 1, 0, 1], [1, 1], { method: A.s('bilinear') });
crop('nearest crop 1x3', boxes, [0, 1, 0, 1], [1, 3], { method: A.s('nearest'), extrapolation_value: A.f(-1) });
crop('box index past the batch', boxes.slice(0, 8), [2, 0], [2, 2], { method: A.s('bilinear') });
crop('default method', boxes.slice(0, 4), [1], [3, 3], {});
crop('method area refused', boxes.slice(0, 4), [1], [3, 3], { method: A.s('area') });
const transform = (name, image, t, outShape, fill, attrs) => cases.push(makeCase(`ImageProjectiveTransformV3 ${name}`,
  'ImageProjectiveTransformV3', {
    inputs: { image: f32(image) },
    consts: { t: f32c([t.length / 8, 8], t), s: i32c([2], outShape), f: f32c([], [fill]) },
    nodes: [node('y', 'ImageProjectiveTransformV3', ['image', 't', 's', 'f'], attrs)], fetch: ['y'],
  }));
const rot = [0.8, -0.6, 1.5, 0.6, 0.8, -1.2, 0, 0];
const persp = [1.1, 0.2, -0.7, -0.1, 0.9, 0.4, 0.02, -0.03];
const shift = [1, 0, -2.5, 0, 1, 1.5, 0, 0];
for (const mode of ['CONSTANT', 'REFLECT', 'WRAP', 'NEAREST']) {
  for (const interp of ['NEAREST', 'BILINEAR']) {
    transform(`${mode} ${interp}`, [1, 5, 6, 2], [...rot], [6, 7], 0.5, {
      interpolation: A.s(interp), fill_mode: A.s(mode) });
  }
}
transform('shift wrap bilinear', [1, 4, 5, 1], shift, [4, 5], 0, { interpolation: A.s('BILINEAR'), fill_mode: A.s('WRAP') });
transform('shift reflect nearest big', [1, 4, 5, 1], [1, 0, -9.5, 0, 1, 7.25, 0, 0], [4, 5], 0,
  { interpolation: A.s('NEAREST'), fill_mode: A.s('REFLECT') });
transform('perspective batch 2 (only image 0 transformed)', [2, 5, 5, 2], [...persp, ...rot], [5, 5], -1,
  { interpolation: A.s('BILINEAR'), fill_mode: A.s('CONSTANT') });
transform('one transform for batch 2', [2, 4, 4, 1], persp, [3, 6], 0,
  { interpolation: A.s('NEAREST'), fill_mode: A.s('NEAREST') });
transform('projection zero', [1, 3, 3, 1], [1, 0, 0, 0, 1, 0, -0.5, 0], [3, 4], 9,
  { interpolation: A.s('NEAREST'), fill_mode: A.s('CONSTANT') });
transform('width 1 reflect', [1, 3, 1, 1], shift, [3, 3], 0, { interpolation: A.s('BILINEAR'), fill_mode: A.s('REFLECT') });
transform('interpolation cubic refused', [1, 3, 3, 1], shift, [3, 3], 0, { interpolation: A.s('CUBIC'), fill_mode: A.s('CONSTANT') });
transform('no fill_mode refused', [1, 3, 3, 1], shift, [3, 3], 0, { interpolation: A.s('NEAREST') });

// --- more variants -----------------------------------------------------------------------------
deconv('SAME s2 16 channels', { x: [2, 8, 8, 16], k: [3, 3, 8, 16], out: [2, 16, 16, 8], strides: [1, 2, 2, 1], padding: 'SAME' });
deconv('SAME 1x1 s1', { x: [1, 5, 4, 6], k: [1, 1, 5, 6], out: [1, 5, 4, 5], strides: [1, 1, 1, 1], padding: 'SAME' });
deconv('SAME 4x4 s2 asymmetric strides', { x: [1, 3, 5, 4], k: [4, 4, 3, 4], out: [1, 9, 5, 3], strides: [1, 3, 1, 1], padding: 'SAME' });
cases.push(makeCase('MaxPoolWithArgmax -inf windows', 'MaxPoolWithArgmax', {
  inputs: { x: { dtype: 'float32', shape: [1, 4, 4, 1], values: [
    -Infinity, -Infinity, 1, 2, -Infinity, -3, 3, 3, 5, 5, 0, 0, 5, 5, 0, -1] } },
  nodes: [node('y', 'MaxPoolWithArgmax', ['x'], {
    ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('VALID'),
    include_batch_in_index: A.b(false),
  })], fetch: ['y:0', 'y:1'],
}));
crop('negative box index', boxes.slice(0, 8), [-1, 1], [2, 3], { method: A.s('bilinear') });
bmm('BatchMatMul', 'rank 2', [3, 4], [4, 2], false, false);
einsum('bij,bkj->bki', [[2, 3, 4], [2, 5, 4]]);
einsum('ijk,kj->i', [[2, 3, 4], [4, 3]]);
einsum('i,->i', [[3], []]);

// --- empty operands ------------------------------------------------------------------------------
deconv('empty batch', { x: [0, 4, 4, 2], k: [3, 3, 3, 2], out: [0, 8, 8, 3], strides: [1, 2, 2, 1], padding: 'SAME' });
conv3d('empty batch', [0, 4, 4, 4, 1], [2, 2, 2, 1, 2], { padding: A.s('SAME'), strides: ones5, dilations: ones5,
  data_format: A.s('NDHWC') });
conv1d('zero output channels', [1, 6, 2], [3, 2, 0], { padding: A.s('SAME'), stride: A.i(1) });
bmm('BatchMatMulV2', 'inner size 0', [2, 3, 0], [2, 0, 4], false, false);
einsum('ij,jk->ik', [[2, 0], [0, 3]], 'inner size 0');

// --- ranks without the batch, refusals -----------------------------------------------------------
conv3d('rank 4 input', [4, 4, 4, 2], [2, 2, 2, 2, 3], { padding: A.s('VALID'), strides: ones5, dilations: ones5,
  data_format: A.s('NDHWC') });
cases.push(makeCase('MaxPool3D rank 4 input', 'MaxPool3D', {
  inputs: { x: f32([3, 4, 4, 2]) },
  nodes: [node('y', 'MaxPool3D', ['x'], { ksize: A.ints([1, 2, 2, 2, 1]), strides: A.ints([1, 1, 2, 2, 1]), padding: A.s('VALID') })],
  fetch: ['y'],
}));
cases.push(makeCase('Dilation2D rank 3 input', 'Dilation2D', {
  inputs: { x: f32([5, 6, 2]) }, consts: { k: f32c([3, 2, 2], wts([3, 2, 2])) },
  nodes: [node('y', 'Dilation2D', ['x', 'k'], { padding: A.s('SAME'), strides: A.ints([1, 2, 1, 1]), rates: A.ints([1, 1, 2, 1]) })],
  fetch: ['y'],
}));
cases.push(makeCase('MaxPool EXPLICIT refused', 'MaxPool', {
  inputs: { x: f32([1, 4, 4, 1]) },
  nodes: [node('y', 'MaxPool', ['x'], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 1, 1, 1]), padding: A.s('EXPLICIT'),
    explicit_paddings: A.ints([0, 0, 1, 1, 1, 1, 0, 0]) })],
  fetch: ['y'],
}));
cases.push(makeCase('MatrixBandPart float bound refused', 'MatrixBandPart', {
  inputs: { a: f32([3, 3]) }, consts: { l: f32c([], [1]), u: f32c([], [1]) },
  nodes: [node('y', 'MatrixBandPart', ['a', 'l', 'u'])], fetch: ['y'],
}));
