// Per-op oracle cases of the arrays family (graph_op_cases.mjs): slice / join (Reverse, scatter /
// gather ND, SparseToDense, TensorScatterUpdate), transformation (MirrorPad, EnsureShape, space /
// batch / depth moves, BroadcastArgs), creation (LinSpace, Ones, Zeros, the random ops),
// evaluation (LowerBound, UpperBound, Unique, UniqueV2, ListDiff), graph (ShapeN, Print,
// FakeQuantWithMinMaxVars) and BitwiseAnd.
//
// A random op TF.js seeds from Math.random (seed 0; RandomUniform always) cannot be compared by
// value: such a case carries `check: 'shape'` and `range: [lo, hi]`, and the test compares only
// dtype, shape and that every value lies in [lo, hi].
import { A, node, makeCase, f32, i32c, f32c } from './common.mjs';

export const cases = [];
const add = (name, op, spec, extra = {}) => cases.push(Object.assign(makeCase(name, op, spec), extra));
const i32 = (shape, values) => ({ dtype: 'int32', shape, values });
const fv = (shape, values) => ({ dtype: 'float32', shape, values });
const bool = (shape, values) => ({ dtype: 'bool', shape, values });

// --- slice / join ----------------------------------------------------------------------------
for (const [name, axes] of [['axis 1', [1]], ['axes 0 -1', [0, -1]], ['duplicate axis', [1, 1]],
                            ['no axes', []], ['axis out of range', [3]]]) {
  add(`ReverseV2 ${name}`, 'ReverseV2', {
    inputs: { x: f32([2, 3, 4]) }, consts: { a: i32c([axes.length], axes) },
    nodes: [node('y', 'ReverseV2', ['x', 'a'])], fetch: ['y'],
  });
}
add('ReverseV2 int32', 'ReverseV2', {
  inputs: { x: { dtype: 'int32', shape: [3, 4] } }, consts: { a: i32c([1], [-2]) },
  nodes: [node('y', 'ReverseV2', ['x', 'a'])], fetch: ['y'],
});
add('Reverse bool dims', 'Reverse', {
  inputs: { x: f32([2, 3, 4]), d: bool([3], [false, true, true]) },
  nodes: [node('y', 'Reverse', ['x', 'd'])], fetch: ['y'],
});

add('ScatterNd duplicates sum', 'ScatterNd', {
  inputs: { u: f32([3, 4]) }, consts: { i: i32c([3, 1], [0, 2, 0]), s: i32c([2], [4, 4]) },
  nodes: [node('y', 'ScatterNd', ['i', 'u', 's'])], fetch: ['y'],
});
add('ScatterNd int32 elements', 'ScatterNd', {
  inputs: { u: i32([3], [5, -7, 9]) }, consts: { i: i32c([3, 2], [0, 1, 2, 2, 1, 0]), s: i32c([2], [3, 3]) },
  nodes: [node('y', 'ScatterNd', ['i', 'u', 's'])], fetch: ['y'],
});
add('ScatterNd rank-1 indices', 'ScatterNd', {
  inputs: { u: f32([2]) }, consts: { i: i32c([2], [3, 1]), s: i32c([1], [5]) },
  nodes: [node('y', 'ScatterNd', ['i', 'u', 's'])], fetch: ['y'],
});
add('ScatterNd flat position inside', 'ScatterNd', {  // [0, 5] of [3, 3]: TF.js writes at 5
  inputs: { u: f32([1]) }, consts: { i: i32c([1, 2], [0, 5]), s: i32c([2], [3, 3]) },
  nodes: [node('y', 'ScatterNd', ['i', 'u', 's'])], fetch: ['y'],
});
add('ScatterNd index out of range', 'ScatterNd', {
  inputs: { u: f32([2, 4]) }, consts: { i: i32c([2, 1], [1, 4]), s: i32c([2], [4, 4]) },
  nodes: [node('y', 'ScatterNd', ['i', 'u', 's'])], fetch: ['y'],
});
add('ScatterNd bad updates shape', 'ScatterNd', {
  inputs: { u: f32([2, 3]) }, consts: { i: i32c([2, 1], [1, 2]), s: i32c([2], [4, 4]) },
  nodes: [node('y', 'ScatterNd', ['i', 'u', 's'])], fetch: ['y'],
});

add('GatherNd elements', 'GatherNd', {
  inputs: { x: f32([3, 4]) }, consts: { i: i32c([3, 2], [1, 2, 0, 0, 2, 3]) },
  nodes: [node('y', 'GatherNd', ['x', 'i'])], fetch: ['y'],
});
add('GatherNd rows batched int32', 'GatherNd', {
  inputs: { x: { dtype: 'int32', shape: [3, 2, 2] } }, consts: { i: i32c([2, 2, 1], [2, 0, 1, 1]) },
  nodes: [node('y', 'GatherNd', ['x', 'i'])], fetch: ['y'],
});
add('GatherNd flat position inside', 'GatherNd', {  // [0, 5] of [3, 4]: element 5
  inputs: { x: f32([3, 4]) }, consts: { i: i32c([1, 2], [0, 5]) },
  nodes: [node('y', 'GatherNd', ['x', 'i'])], fetch: ['y'],
});
add('GatherNd out of range', 'GatherNd', {
  inputs: { x: f32([3, 4]) }, consts: { i: i32c([1, 2], [3, 0]) },
  nodes: [node('y', 'GatherNd', ['x', 'i'])], fetch: ['y'],
});
add('GatherNd float indices', 'GatherNd', {
  inputs: { x: f32([3, 4]) }, consts: { i: f32c([1, 2], [1, 0]) },
  nodes: [node('y', 'GatherNd', ['x', 'i'])], fetch: ['y'],
});

add('SparseToDense matrix', 'SparseToDense', {
  inputs: { v: f32([3]) },
  consts: { i: i32c([3, 2], [0, 1, 2, 3, 1, 0]), s: i32c([2], [3, 4]), d: f32c([], [0.5]) },
  nodes: [node('y', 'SparseToDense', ['i', 's', 'v', 'd'])], fetch: ['y'],
});
add('SparseToDense scalar value int32', 'SparseToDense', {
  consts: { i: i32c([2], [0, 3]), s: i32c([1], [5]), v: i32c([], [7]), d: i32c([], [-1]) },
  nodes: [node('y', 'SparseToDense', ['i', 's', 'v', 'd'])], fetch: ['y'],
});
add('SparseToDense float default cast', 'SparseToDense', {
  consts: { i: i32c([2], [1, 2]), s: i32c([1], [4]), v: i32c([2], [1, 2]), d: f32c([], [-2.7]) },
  nodes: [node('y', 'SparseToDense', ['i', 's', 'v', 'd'])], fetch: ['y'],
});
add('SparseToDense out of range', 'SparseToDense', {
  consts: { i: i32c([2], [1, 6]), s: i32c([1], [4]), v: f32c([2], [1, 2]), d: f32c([], [0]) },
  nodes: [node('y', 'SparseToDense', ['i', 's', 'v', 'd'])], fetch: ['y'],
});

add('TensorScatterUpdate rows last wins', 'TensorScatterUpdate', {
  inputs: { t: f32([4, 3]), u: f32([3, 3]) }, consts: { i: i32c([3, 1], [1, 3, 1]) },
  nodes: [node('y', 'TensorScatterUpdate', ['t', 'i', 'u'])], fetch: ['y'],
});
add('TensorScatterUpdate int32 elements', 'TensorScatterUpdate', {
  inputs: { t: { dtype: 'int32', shape: [2, 3] }, u: i32([2], [40, 50]) },
  consts: { i: i32c([2, 2], [0, 2, 1, 0]) },
  nodes: [node('y', 'TensorScatterUpdate', ['t', 'i', 'u'])], fetch: ['y'],
});
add('TensorScatterUpdate dtype mismatch', 'TensorScatterUpdate', {
  inputs: { t: f32([4]), u: i32([1], [3]) }, consts: { i: i32c([1, 1], [2]) },
  nodes: [node('y', 'TensorScatterUpdate', ['t', 'i', 'u'])], fetch: ['y'],
});

// Refusals TF.js makes too.
add('ScatterNd negative shape', 'ScatterNd', {
  inputs: { u: f32([1]) }, consts: { i: i32c([1, 1], [0]), s: i32c([1], [-3]) },
  nodes: [node('y', 'ScatterNd', ['i', 'u', 's'])], fetch: ['y'],
});
add('GatherNd index rows too long', 'GatherNd', {
  inputs: { x: f32([3, 4]) }, consts: { i: i32c([1, 3], [0, 0, 0]) },
  nodes: [node('y', 'GatherNd', ['x', 'i'])], fetch: ['y'],
});
add('SparseToDense rank-3 indices', 'SparseToDense', {
  consts: { i: i32c([1, 1, 1], [0]), s: i32c([1], [4]), v: f32c([1], [1]), d: f32c([], [0]) },
  nodes: [node('y', 'SparseToDense', ['i', 's', 'v', 'd'])], fetch: ['y'],
});
add('TensorScatterUpdate out of range', 'TensorScatterUpdate', {
  inputs: { t: f32([4]), u: f32([1]) }, consts: { i: i32c([1, 1], [4]) },
  nodes: [node('y', 'TensorScatterUpdate', ['t', 'i', 'u'])], fetch: ['y'],
});
// (No case fetches TensorScatterUpdate's input as well: TF.js's cpu kernel scatters into the
// input's own buffer, so TF.js shows the input updated too; here values stay immutable.)
add('Reverse dims past the rank', 'Reverse', {
  inputs: { x: f32([2, 3]), d: bool([3], [false, false, true]) },
  nodes: [node('y', 'Reverse', ['x', 'd'])], fetch: ['y'],
});

// --- transformation --------------------------------------------------------------------------
const mirror = (name, x, pads, mode) => add(`MirrorPad ${name}`, 'MirrorPad', {
  inputs: { x }, consts: { p: i32c([pads.length / 2, 2], pads) },
  nodes: [node('y', 'MirrorPad', ['x', 'p'], { mode: A.s(mode) })], fetch: ['y'],
});
mirror('reflect', f32([3, 4]), [1, 2, 2, 3], 'REFLECT');
mirror('symmetric', f32([2, 3]), [2, 2, 1, 3], 'SYMMETRIC');
mirror('symmetric int32', { dtype: 'int32', shape: [4] }, [3, 1], 'SYMMETRIC');
mirror('reflect too wide', f32([3, 4]), [3, 0, 0, 0], 'REFLECT');
mirror('bad mode', f32([3, 4]), [1, 0, 0, 0], 'EDGE');
mirror('lowercase reflect rank 3', f32([2, 3, 2]), [1, 1, 0, 2, 1, 0], 'reflect');
mirror('paddings rows', f32([3, 4]), [1, 1], 'REFLECT');
add('MirrorPad flat paddings', 'MirrorPad', {
  inputs: { x: f32([3, 4]) }, consts: { p: i32c([4], [1, 0, 0, 1]) },
  nodes: [node('y', 'MirrorPad', ['x', 'p'], { mode: A.s('REFLECT') })], fetch: ['y'],
});
add('SpaceToBatchND flat paddings', 'SpaceToBatchND', {
  inputs: { x: f32([1, 4, 4, 1]) }, consts: { b: i32c([2], [2, 2]), p: i32c([4], [0, 0, 0, 0]) },
  nodes: [node('y', 'SpaceToBatchND', ['x', 'b', 'p'])], fetch: ['y'],
});

add('EnsureShape', 'EnsureShape', {
  inputs: { x: f32([2, 3]) }, consts: { s: i32c([2], [2, 3]) },
  nodes: [node('y', 'EnsureShape', ['x', 's'])], fetch: ['y'],
});
add('EnsureShape mismatch', 'EnsureShape', {
  inputs: { x: f32([2, 3]) }, consts: { s: i32c([2], [3, 2]) },
  nodes: [node('y', 'EnsureShape', ['x', 's'])], fetch: ['y'],
});
add('EnsureShape unknown dim', 'EnsureShape', {
  inputs: { x: f32([2, 3]) }, consts: { s: i32c([2], [-1, 3]) },
  nodes: [node('y', 'EnsureShape', ['x', 's'])], fetch: ['y'],
});
add('EnsureShape shape attribute', 'EnsureShape', {  // TensorFlow's form: no shape input
  inputs: { x: f32([2, 3]) },
  nodes: [node('y', 'EnsureShape', ['x'], { shape: A.shape([2, 3]) })], fetch: ['y'],
});

const s2b = (name, shape, block, pads, dtype = 'float32') => add(`SpaceToBatchND ${name}`, 'SpaceToBatchND', {
  inputs: { x: { dtype, shape } },
  consts: { b: i32c([block.length], block), p: i32c([block.length, 2], pads) },
  nodes: [node('y', 'SpaceToBatchND', ['x', 'b', 'p'])], fetch: ['y'],
});
s2b('2x3 padded', [2, 4, 6, 3], [2, 3], [0, 0, 1, 2]);
s2b('2x2', [1, 4, 4, 1], [2, 2], [0, 0, 0, 0]);
s2b('rank 3 int32', [2, 5, 2], [2], [1, 0], 'int32');
s2b('not divisible', [1, 5, 4, 1], [2, 2], [0, 0, 0, 0]);
s2b('rank too small', [2, 4], [2, 2], [0, 0, 0, 0]);

const b2s = (name, shape, block, crops, dtype = 'float32') => add(`BatchToSpaceND ${name}`, 'BatchToSpaceND', {
  inputs: { x: { dtype, shape } },
  consts: { b: i32c([block.length], block), c: i32c([block.length, 2], crops) },
  nodes: [node('y', 'BatchToSpaceND', ['x', 'b', 'c'])], fetch: ['y'],
});
b2s('2x2 cropped', [8, 2, 3, 2], [2, 2], [0, 1, 1, 0]);
b2s('2x3', [12, 2, 2, 1], [2, 3], [0, 0, 0, 0]);
b2s('rank 3 int32', [4, 3, 2], [2], [1, 2], 'int32');
b2s('batch not divisible', [6, 2, 2, 1], [2, 2], [0, 0, 0, 0]);

const d2s = (name, shape, attrs) => add(`DepthToSpace ${name}`, 'DepthToSpace', {
  inputs: { x: f32(shape) }, nodes: [node('y', 'DepthToSpace', ['x'], attrs)], fetch: ['y'],
});
d2s('2', [1, 2, 3, 8], { block_size: A.i(2), data_format: A.s('NHWC') });
d2s('3', [2, 1, 2, 9], { block_size: A.i(3), data_format: A.s('NHWC') });
d2s('NCHW', [1, 8, 2, 2], { block_size: A.i(2), data_format: A.s('NCHW') });
d2s('depth not divisible', [1, 2, 2, 6], { block_size: A.i(2), data_format: A.s('NHWC') });
d2s('no data_format', [1, 2, 2, 4], { block_size: A.i(2) });
d2s('block 1', [1, 2, 2, 4], { block_size: A.i(1), data_format: A.s('NHWC') });
d2s('lowercase nhwc', [1, 1, 2, 4], { block_size: A.i(2), data_format: A.s('nhwc') });

const bargs = (name, a, b) => add(`BroadcastArgs ${name}`, 'BroadcastArgs', {
  consts: { a: i32c([a.length], a), b: i32c([b.length], b) },
  nodes: [node('y', 'BroadcastArgs', ['a', 'b'])], fetch: ['y'],
});
bargs('', [2, 1, 3], [4, 1]);
bargs('empty', [5, 2], []);
bargs('mismatch', [2, 3], [4, 3]);
add('BroadcastArgs matrix', 'BroadcastArgs', {
  consts: { a: i32c([1, 2], [2, 3]), b: i32c([1], [3]) },
  nodes: [node('y', 'BroadcastArgs', ['a', 'b'])], fetch: ['y'],
});

// --- creation --------------------------------------------------------------------------------
const linspace = (name, start, stop, num) => add(`LinSpace ${name}`, 'LinSpace', {
  consts: { a: f32c([], [start]), b: f32c([], [stop]), n: i32c([], [num]) },
  nodes: [node('y', 'LinSpace', ['a', 'b', 'n'])], fetch: ['y'],
});
linspace('0 1 5', 0, 1, 5);
linspace('-2.5 3 7', -2.5, 3, 7);
linspace('num 1', 4, 9, 1);
linspace('num 0', 0, 1, 0);
for (const [op, t] of [['Ones', null], ['Zeros', 'int32'], ['Ones', 'int32'], ['Zeros', 'bool']]) {
  add(`${op} ${t ?? 'float32'}`, op, {
    consts: { s: i32c([2], [2, 3]) },
    nodes: [node('y', op, ['s'], t ? { T: A.type(t) } : {})], fetch: ['y'],
  });
}

add('Zeros negative shape', 'Zeros', {
  consts: { s: i32c([2], [2, -3]) }, nodes: [node('y', 'Zeros', ['s'])], fetch: ['y'],
});
const shapeC = (dims) => ({ s: i32c([dims.length], dims) });
const random = (name, op, dims, attrs, extra) => add(`${op} ${name}`, op, {
  consts: shapeC(dims), nodes: [node('y', op, ['s'], attrs)], fetch: ['y'],
}, extra);
const anyValue = (lo, hi) => ({ check: 'shape', range: [lo, hi] });
random('seed 5', 'RandomStandardNormal', [3, 40], { seed: A.i(5), dtype: A.type('float32') });
random('seed 7 int32', 'RandomStandardNormal', [50], { seed: A.i(7), dtype: A.type('int32') });
random('unseeded', 'RandomStandardNormal', [4, 5], { dtype: A.type('float32') }, anyValue(-10, 10));
random('seed 3', 'TruncatedNormal', [4, 50], { seed: A.i(3), dtype: A.type('float32') });
random('seed 12 means stddev', 'TruncatedNormal', [60],
       { seed: A.i(12), means: A.f(2), stddev: A.f(0.5), dtype: A.type('float32') });
random('unseeded', 'TruncatedNormal', [100],
       { means: A.f(-1), stddev: A.f(3), dtype: A.type('float32') }, anyValue(-7, 5));
random('float', 'RandomUniform', [4, 5],
       { minval: A.f(-2), maxval: A.f(3), seed: A.i(4), dtype: A.type('float32') }, anyValue(-2, 3));
random('default range', 'RandomUniform', [30], { dtype: A.type('float32') }, anyValue(0, 1));
random('int32', 'RandomUniform', [30],
       { minval: A.i(0), maxval: A.i(10), dtype: A.type('int32') }, anyValue(0, 10));
random('seed 11', 'RandomUniformInt', [3, 20], { minval: A.i(-5), maxval: A.i(5), seed: A.i(11) });
random('seed 0', 'RandomUniformInt', [40], { minval: A.i(0), maxval: A.i(100) });
random('no bounds', 'RandomUniformInt', [5], { seed: A.i(2) });
random('negative shape', 'RandomUniformInt', [2, -1], { seed: A.i(2) });

const multinomial = (name, logits, n, attrs, extra) => add(`Multinomial ${name}`, 'Multinomial', {
  inputs: { l: logits }, consts: { n: i32c([], [n]) },
  nodes: [node('y', 'Multinomial', ['l', 'n'], attrs)], fetch: ['y'],
}, extra);
multinomial('seed 9', fv([2, 4], [0, 1, 2, 3, 1, 1, -1, 0.5]), 12, { seed: A.i(9) });
multinomial('rank 1 seed 3', fv([5], [-1, 0.5, 2, 0, 1]), 20, { seed: A.i(3) });
multinomial('unseeded', f32([3, 4]), 10, {}, anyValue(0, 3));
multinomial('one outcome', fv([1], [0.5]), 3, { seed: A.i(3) });
multinomial('rows of one event', fv([2, 1], [0.5, -1]), 4, { seed: A.i(3) });  // size 2 passes
multinomial('rank 3', f32([2, 2, 2]), 4, { seed: A.i(3) });

// --- evaluation ------------------------------------------------------------------------------
const bounds = (name, sorted, values) => {
  for (const op of ['LowerBound', 'UpperBound']) {
    add(`${op} ${name}`, op, {
      inputs: { s: sorted, v: values }, nodes: [node('y', op, ['s', 'v'])], fetch: ['y'],
    });
  }
};
bounds('2 rows', fv([2, 5], [0, 1, 1, 2, 5, -3, -3, 0, 4, 4]), fv([2, 3], [1, -1, 6, -3, 4, 0.5]));
bounds('1-D int32', i32([6], [1, 3, 3, 3, 7, 9]), i32([4], [3, 0, 9, 8]));
bounds('rows mismatch', f32([2, 5]), f32([3, 2]));

const uniq = (name, op, x, axis) => add(`${op} ${name}`, op, {
  inputs: { x }, consts: axis === undefined ? {} : { a: i32c([1], [axis]) },
  nodes: [node('u', op, axis === undefined ? ['x'] : ['x', 'a'])], fetch: ['u', 'u:1'],
});
uniq('float', 'Unique', fv([9], [3, 1, 3, 2.5, 1, -4, 2.5, 3, 0]));
uniq('int32', 'Unique', i32([7], [5, 5, -1, 7, -1, 5, 0]));
uniq('NaN and -0', 'Unique', fv([6], [NaN, 0, -0, NaN, 1, 0]));
uniq('2-D rows', 'Unique', i32([4, 2], [1, 2, 3, 4, 1, 2, 3, 5]));
uniq('axis 1', 'UniqueV2', i32([2, 5], [1, 2, 1, 3, 2, 4, 5, 4, 6, 5]), 1);
uniq('axis -1', 'UniqueV2', fv([2, 4], [1, 0, 1, 0, 2, 2, 2, 3]), -1);
uniq('axis 0', 'UniqueV2', i32([3, 2], [1, 1, 2, 2, 1, 1]), 0);
uniq('axis out of range', 'UniqueV2', i32([3, 2], [1, 1, 2, 2, 1, 1]), 2);
uniq('scalar', 'Unique', fv([], [3]));

const listDiff = (name, x, y) => add(`ListDiff ${name}`, 'ListDiff', {
  inputs: { x, y }, nodes: [node('d', 'ListDiff', ['x', 'y'])], fetch: ['d', 'd:1'],
});
listDiff('int32', i32([7], [1, 2, 3, 4, 5, 6, 1]), i32([3], [1, 3, 5]));
listDiff('float', fv([5], [0.5, -1, 2, -0, 3]), fv([3], [2, 7, 0]));
listDiff('nothing left', i32([3], [2, 2, 4]), i32([2], [4, 2]));
// No refused ListDiff case: TF.js's execute() first starts setdiff1dAsync, whose rejection then
// goes unhandled (and fails the oracle run) before executeAsync reports it.

// --- graph and logical -----------------------------------------------------------------------
add('ShapeN', 'ShapeN', {
  inputs: { a: f32([2, 3]), b: { dtype: 'int32', shape: [4] }, c: f32([]) },
  nodes: [node('s', 'ShapeN', ['a', 'b', 'c'], { N: A.i(3) })], fetch: ['s', 's:1', 's:2'],
});
add('Print', 'Print', {
  inputs: { x: f32([2, 3]), d: f32([2]) },
  nodes: [node('p', 'Print', ['x', 'd'], { message: A.s('x is'), summarize: A.i(3) }),
          node('y', 'Mul', ['p', 'p'])], fetch: ['p', 'y'],
});
add('FakeQuantWithMinMaxVars', 'FakeQuantWithMinMaxVars', {
  inputs: { x: f32([2, 4]) },
  nodes: [node('y', 'FakeQuantWithMinMaxVars', ['x'], { min: A.f(-1), max: A.f(1), num_bits: A.i(8) })],
  fetch: ['y'],
});
add('BitwiseAnd', 'BitwiseAnd', {
  inputs: { a: i32([5], [12, -1, 7, 0, -8]), b: i32([5], [10, 5, -3, 9, 12]) },
  nodes: [node('y', 'BitwiseAnd', ['a', 'b'])], fetch: ['y'],
});
