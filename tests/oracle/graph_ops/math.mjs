// Per-op oracle cases of the math family (graph_op_cases.mjs): basic math (trigonometric,
// hyperbolic, Erf, IsNan / IsFinite / IsInf, Atan2, DivNoNan), normalization (FusedBatchNorm,
// LRN, LogSoftmax, EuclideanNorm) and reduction (All, Any, Cumsum, Cumprod, Bincount,
// DenseBincount).
import { A, node, makeCase, f32, i32c, f32c } from './common.mjs';

export const cases = [];
const add = (name, op, spec) => cases.push(makeCase(name, op, spec));
const fv = (shape, values) => ({ dtype: 'float32', shape, values });
const iv = (shape, values) => ({ dtype: 'int32', shape, values });
const bv = (shape, values) => ({ dtype: 'bool', shape, values });
// A float32 output that may hold ±Infinity, fetched as y * float(IsFinite(y)) (an infinity becomes
// NaN, which matches NaN), IsInf(y) and Sign(y): the test's tolerance (|ours - TF.js| <= ...) is
// NaN for two equal infinities.
const guarded = (spec) => ({
  ...spec,
  nodes: [...spec.nodes,
    node('y_fin', 'IsFinite', ['y']),
    node('y_f', 'Cast', ['y_fin'], { SrcT: A.type('bool'), DstT: A.type('float32') }),
    node('y_v', 'Mul', ['y', 'y_f']), node('y_inf', 'IsInf', ['y']), node('y_sign', 'Sign', ['y'])],
  fetch: ['y_v', 'y_inf', 'y_sign'],
});

// --- basic math ------------------------------------------------------------------------------
const edge = [-Infinity, -3, -1, -0.5, 0, 0.25, 0.999, 1, 2, 30, Infinity, NaN];
for (const op of ['Acos', 'Asin', 'Atan', 'Cos', 'Cosh', 'Sin', 'Sinh', 'Tan', 'Expm1', 'Log1p',
                  'Asinh', 'Acosh', 'Atanh', 'Erf', 'IsNan', 'IsFinite', 'IsInf']) {
  const isTest = op.startsWith('Is');
  const spec = { inputs: { x: fv([3, 4], edge) }, nodes: [node('y', op, ['x'])], fetch: ['y'] };
  add(`${op} edges`, op, isTest ? spec : guarded(spec));
  add(`${op} random`, op, { inputs: { x: f32([2, 3, 2]) }, nodes: [node('y', op, ['x'])], fetch: ['y'] });
}
// int32 inputs: most keep int32 (ToInt32 of the result), cos / cosh / sin / tan refuse them,
// Erf casts to float32, IsNan / IsFinite / IsInf give bool.
for (const op of ['Acos', 'Asin', 'Atan', 'Sinh', 'Expm1', 'Log1p', 'Asinh', 'Acosh', 'Atanh',
                  'Erf', 'Cos', 'Sin', 'Tan', 'Cosh', 'IsNan', 'IsFinite', 'IsInf']) {
  add(`${op} int32`, op, {
    inputs: { x: iv([6], [-3, -1, 0, 1, 2, 5]) }, nodes: [node('y', op, ['x'])], fetch: ['y'],
  });
}
for (const op of ['IsNan', 'IsFinite', 'IsInf']) {
  add(`${op} bool`, op, { inputs: { x: bv([3], [1, 0, 1]) }, nodes: [node('y', op, ['x'])], fetch: ['y'] });
}
add('Erf bool refused', 'Erf', { inputs: { x: bv([2], [1, 0]) }, nodes: [node('y', 'Erf', ['x'])], fetch: ['y'] });

add('Atan2 broadcast', 'Atan2', {
  inputs: { a: f32([2, 1, 3]), b: f32([4, 1]) }, nodes: [node('y', 'Atan2', ['a', 'b'])], fetch: ['y'],
});
add('Atan2 edges', 'Atan2', {
  inputs: { a: fv([8], [0, -0, 0, -0, 1, -1, Infinity, NaN]), b: fv([8], [0, 0, -0, -1, 0, -Infinity, Infinity, 1]) },
  nodes: [node('y', 'Atan2', ['a', 'b'])], fetch: ['y'],
});
add('Atan2 int32', 'Atan2', {
  inputs: { a: iv([4], [1, -1, 3, 0]), b: iv([4], [1, 1, -2, 0]) },
  nodes: [node('y', 'Atan2', ['a', 'b'])], fetch: ['y'],
});
add('Atan2 shapes mismatch', 'Atan2', {
  inputs: { a: f32([2, 3]), b: f32([4]) }, nodes: [node('y', 'Atan2', ['a', 'b'])], fetch: ['y'],
});
add('DivNoNan float', 'DivNoNan', guarded({
  inputs: { a: fv([2, 4], [1, -2, 0, NaN, 5, Infinity, 3, 1]), b: fv([4], [0, -0, 0, 2]) },
  nodes: [node('y', 'DivNoNan', ['a', 'b'])], fetch: ['y'],
}));
add('DivNoNan NaN divisor', 'DivNoNan', {
  inputs: { a: fv([3], [1, 0, -1]), b: fv([3], [NaN, Infinity, 3]) },
  nodes: [node('y', 'DivNoNan', ['a', 'b'])], fetch: ['y'],
});
add('DivNoNan int32', 'DivNoNan', {
  inputs: { a: iv([2, 3], [7, -7, 5, 0, 3, -1]), b: iv([3], [2, 0, -2]) },
  nodes: [node('y', 'DivNoNan', ['a', 'b'])], fetch: ['y'],
});

// --- normalization ---------------------------------------------------------------------------
const bnConsts = (c) => ({
  s: f32c([c], Array.from({ length: c }, (_, k) => 0.5 + 0.25 * k)),
  o: f32c([c], Array.from({ length: c }, (_, k) => k - 1)),
  m: f32c([c], Array.from({ length: c }, (_, k) => 0.1 * k - 0.2)),
  v: f32c([c], Array.from({ length: c }, (_, k) => 0.5 + k)),
});
for (const op of ['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']) {
  add(`${op}`, op, {
    inputs: { x: f32([2, 3, 2, 4]) }, consts: bnConsts(4),
    nodes: [node('y', op, ['x', 's', 'o', 'm', 'v'], { epsilon: A.f(0.001), is_training: A.b(false) })],
    fetch: ['y'],
  });
}
add('FusedBatchNormV3 default epsilon rank 2', 'FusedBatchNormV3', {
  inputs: { x: f32([3, 4]) }, consts: bnConsts(4),
  nodes: [node('y', 'FusedBatchNormV3', ['x', 's', 'o', 'm', 'v'])], fetch: ['y'],
});
add('FusedBatchNormV3 NCHW read as NHWC', 'FusedBatchNormV3', {
  inputs: { x: f32([1, 3, 2, 2]) }, consts: bnConsts(3),
  nodes: [node('y', 'FusedBatchNormV3', ['x', 's', 'o', 'm', 'v'],
               { epsilon: A.f(0.01), data_format: A.s('NCHW') })], fetch: ['y'],
});
add('FusedBatchNormV3 edges', 'FusedBatchNormV3', guarded({
  inputs: { x: fv([1, 1, 2, 3], [NaN, Infinity, 0, -1e30, 1e30, 2]) },
  consts: { s: f32c([3], [1, 2, 0]), o: f32c([3], [0, 0, 1]), m: f32c([3], [0, 1, 0]), v: f32c([3], [0, -0.0005, 1]) },
  nodes: [node('y', 'FusedBatchNormV3', ['x', 's', 'o', 'm', 'v'], { epsilon: A.f(0.001) })], fetch: ['y'],
}));
add('FusedBatchNorm ranks differ', 'FusedBatchNorm', {
  inputs: { x: f32([1, 2, 2, 3]) },
  consts: { ...bnConsts(3), m: f32c([1, 3], [0, 0, 0]) },
  nodes: [node('y', 'FusedBatchNorm', ['x', 's', 'o', 'm', 'v'])], fetch: ['y'],
});

add('LRN defaults', 'LRN', {
  inputs: { x: f32([1, 3, 3, 8]) }, nodes: [node('y', 'LRN', ['x'])], fetch: ['y'],
});
add('LRN attrs', 'LRN', {
  inputs: { x: f32([2, 2, 2, 6]) },
  nodes: [node('y', 'LRN', ['x'], { depth_radius: A.i(2), bias: A.f(2), alpha: A.f(0.0001), beta: A.f(0.75) })],
  fetch: ['y'],
});
add('LRN rank 3 radius 0', 'LRN', {
  inputs: { x: f32([3, 2, 5]) },
  nodes: [node('y', 'LRN', ['x'], { depth_radius: A.i(0), bias: A.f(0.5), alpha: A.f(0.3), beta: A.f(1) })],
  fetch: ['y'],
});
add('LRN rank 2 refused', 'LRN', {
  inputs: { x: f32([3, 5]) }, nodes: [node('y', 'LRN', ['x'])], fetch: ['y'],
});

add('LogSoftmax', 'LogSoftmax', {
  inputs: { x: f32([3, 5]) }, nodes: [node('y', 'LogSoftmax', ['x'])], fetch: ['y'],
});
add('LogSoftmax edges', 'LogSoftmax', guarded({
  inputs: { x: fv([3, 3], [100, -100, 0, -Infinity, 0, 1, NaN, 1, 2]) },
  nodes: [node('y', 'LogSoftmax', ['x'])], fetch: ['y'],
}));
add('LogSoftmax rank 3', 'LogSoftmax', {
  inputs: { x: f32([2, 2, 4]) }, nodes: [node('y', 'LogSoftmax', ['x'])], fetch: ['y'],
});
add('LogSoftmax int32', 'LogSoftmax', {
  inputs: { x: iv([2, 3], [1, 0, 7, -3, 4, 4]) }, nodes: [node('y', 'LogSoftmax', ['x'])], fetch: ['y'],
});
add('LogSoftmax scalar refused', 'LogSoftmax', {
  inputs: { x: fv([], [1]) }, nodes: [node('y', 'LogSoftmax', ['x'])], fetch: ['y'],
});

const norm = (name, x, axes, keep, axisShape) => add(`EuclideanNorm ${name}`, 'EuclideanNorm', {
  inputs: { x }, consts: { ax: i32c(axisShape ?? [axes.length], axes) },
  nodes: [node('y', 'EuclideanNorm', ['x', 'ax'], keep === undefined ? {} : { keep_dims: A.b(keep) })],
  fetch: ['y'],
});
norm('axis 1', f32([3, 4]), [1], false);
norm('axis -1 keep', f32([2, 3, 4]), [-1], true);
norm('scalar axis', f32([2, 3, 4]), [0], undefined, []);
norm('two axes', f32([2, 3, 4]), [0, 2], false);
norm('two axes keep reversed', f32([2, 3, 4]), [2, 0], true);
norm('rank 1 no axes', fv([4], [3, -4, 0, NaN]), [], false);
norm('rank 1 axis 0 keep', fv([4], [3, -4, 1e2, 2]), [0], true);
add('EuclideanNorm overflow', 'EuclideanNorm', guarded({
  inputs: { x: fv([2, 2], [3, 1e20, 4, 1]) }, consts: { ax: i32c([1], [0]) },
  nodes: [node('y', 'EuclideanNorm', ['x', 'ax'])], fetch: ['y'],
}));
norm('scalar x', fv([], [-3]), [], true);
norm('scalar x axis ignored', fv([], [-2.5]), [0], false);
norm('scalar x axis keep refused', fv([], [-2.5]), [0], true);
norm('three axes refused', f32([2, 3, 4]), [0, 1, 2], false);
norm('no axes rank 2 refused', f32([2, 3]), [], false);
norm('axis out of range', f32([2, 3]), [2], false);
norm('int32 refused', iv([2, 2], [3, 4, 1, 1]), [1], false);

// --- reduction -------------------------------------------------------------------------------
const boolX = bv([2, 3, 2], [1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1]);
for (const op of ['All', 'Any']) {
  for (const [axes, keep] of [[[1], false], [[0, 2], true], [[-1], false], [[], false], [[0, 1, 2], true]]) {
    add(`${op} [${axes}] keep=${keep}`, op, {
      inputs: { x: boolX }, consts: { ax: i32c([axes.length], axes) },
      nodes: [node('y', op, ['x', 'ax'], { keep_dims: A.b(keep) })], fetch: ['y'],
    });
  }
  add(`${op} scalar axis`, op, {
    inputs: { x: boolX }, consts: { ax: i32c([], [1]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  });
  add(`${op} empty axis`, op, {
    inputs: { x: bv([2, 0], []) }, consts: { ax: i32c([1], [1]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  });
  add(`${op} float refused`, op, {
    inputs: { x: f32([2, 3]) }, consts: { ax: i32c([1], [1]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  });
  add(`${op} axis out of range`, op, {
    inputs: { x: boolX }, consts: { ax: i32c([1], [3]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  });
}

for (const op of ['Cumsum', 'Cumprod']) {
  for (const [axis, exclusive, reverse] of [[0, false, false], [1, false, false], [2, true, false],
                                            [1, false, true], [1, true, true], [0, true, true]]) {
    add(`${op} axis ${axis} exclusive=${exclusive} reverse=${reverse}`, op, {
      inputs: { x: f32([3, 4, 2]) }, consts: { ax: i32c([], [axis]) },
      nodes: [node('y', op, ['x', 'ax'], { exclusive: A.b(exclusive), reverse: A.b(reverse) })],
      fetch: ['y'],
    });
  }
  add(`${op} int32`, op, {
    inputs: { x: iv([2, 4], [100000, 100000, 3, -2, 2147483647, 1, -1, 5]) }, consts: { ax: i32c([], [1]) },
    nodes: [node('y', op, ['x', 'ax'], { reverse: A.b(true) })], fetch: ['y'],
  });
  add(`${op} bool`, op, {
    inputs: { x: bv([4], [1, 0, 1, 1]) }, consts: { ax: i32c([], [0]) },
    nodes: [node('y', op, ['x', 'ax'], { exclusive: A.b(true) })], fetch: ['y'],
  });
  add(`${op} edges`, op, guarded({
    inputs: { x: fv([7], [1, -2, Infinity, 3, -Infinity, 0, NaN]) }, consts: { ax: i32c([], [0]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  }));
  add(`${op} axis beyond rank`, op, {
    inputs: { x: f32([2, 3]) }, consts: { ax: i32c([], [5]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  });
  add(`${op} scalar`, op, {
    inputs: { x: fv([], [3]) }, consts: { ax: i32c([], [0]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  });
}

add('Bincount no weights', 'Bincount', {
  inputs: { x: iv([7], [1, 0, 3, 1, 9, 3, 3]) }, consts: { size: i32c([], [5]), w: f32c([0], []) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('Bincount weights rank 2', 'Bincount', {
  inputs: { x: iv([2, 3], [1, 0, 2, 1, 1, 4]), w: f32([2, 3]) }, consts: { size: i32c([], [3]) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('Bincount int32 weights', 'Bincount', {
  inputs: { x: iv([4], [2, 2, 0, 2]), w: iv([4], [5, -1, 3, 2]) }, consts: { size: i32c([], [4]) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('Bincount size 0', 'Bincount', {
  inputs: { x: iv([3], [0, 1, 2]) }, consts: { size: i32c([], [0]), w: f32c([0], []) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('Bincount negative value refused', 'Bincount', {
  inputs: { x: iv([3], [0, -1, 2]) }, consts: { size: i32c([], [3]), w: f32c([0], []) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('Bincount negative size refused', 'Bincount', {
  inputs: { x: iv([3], [0, 1, 2]) }, consts: { size: i32c([], [-2]), w: f32c([0], []) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('Bincount weights size refused', 'Bincount', {
  inputs: { x: iv([3], [0, 1, 2]), w: f32([2]) }, consts: { size: i32c([], [3]) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('Bincount float x refused', 'Bincount', {
  inputs: { x: fv([3], [0, 1, 2]) }, consts: { size: i32c([], [3]), w: f32c([0], []) },
  nodes: [node('y', 'Bincount', ['x', 'size', 'w'])], fetch: ['y'],
});
for (const binary of [false, true]) {
  add(`DenseBincount rank 2 binary=${binary}`, 'DenseBincount', {
    inputs: { x: iv([3, 4], [1, 1, 0, 5, 2, 2, 2, 3, 0, 4, 4, 1]), w: f32([3, 4]) },
    consts: { size: i32c([], [4]) },
    nodes: [node('y', 'DenseBincount', ['x', 'size', 'w'], { binary_output: A.b(binary) })], fetch: ['y'],
  });
  add(`DenseBincount rank 1 binary=${binary} no weights`, 'DenseBincount', {
    inputs: { x: iv([6], [1, 1, 0, 3, 3, 3]) }, consts: { size: i32c([], [3]), w: f32c([0], []) },
    nodes: [node('y', 'DenseBincount', ['x', 'size', 'w'], { binary_output: A.b(binary) })], fetch: ['y'],
  });
}
add('DenseBincount rank 2 no weights', 'DenseBincount', {
  inputs: { x: iv([2, 3], [0, 0, 2, 1, 1, 1]) }, consts: { size: i32c([], [3]), w: iv([0], []) },
  nodes: [node('y', 'DenseBincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('DenseBincount rank 3 refused', 'DenseBincount', {
  inputs: { x: iv([1, 2, 2], [0, 1, 1, 0]) }, consts: { size: i32c([], [3]), w: f32c([0], []) },
  nodes: [node('y', 'DenseBincount', ['x', 'size', 'w'])], fetch: ['y'],
});
add('DenseBincount scalar refused', 'DenseBincount', {
  inputs: { x: iv([], [1]) }, consts: { size: i32c([], [3]), w: f32c([0], []) },
  nodes: [node('y', 'DenseBincount', ['x', 'size', 'w'])], fetch: ['y'],
});

// --- mixed dtypes and attribute corners ------------------------------------------------------
add('Atan2 float32 and int32', 'Atan2', {
  inputs: { a: f32([2, 3]), b: iv([3], [-2, 0, 5]) }, nodes: [node('y', 'Atan2', ['a', 'b'])], fetch: ['y'],
});
add('DivNoNan int32 and float32', 'DivNoNan', {
  inputs: { a: iv([3], [7, -7, 5]), b: fv([3], [2, 0, -0.5]) },
  nodes: [node('y', 'DivNoNan', ['a', 'b'])], fetch: ['y'],
});
add('LRN negative radius', 'LRN', {
  inputs: { x: f32([1, 2, 2, 3]) },
  nodes: [node('y', 'LRN', ['x'], { depth_radius: A.i(-1), bias: A.f(2), beta: A.f(0.5) })], fetch: ['y'],
});
add('LRN radius beyond channels', 'LRN', {
  inputs: { x: f32([1, 1, 2, 3]) },
  nodes: [node('y', 'LRN', ['x'], { depth_radius: A.i(100), alpha: A.f(0.5) })], fetch: ['y'],
});
add('Cumsum empty axis', 'Cumsum', {
  inputs: { x: f32([2, 0, 3]) }, consts: { ax: i32c([], [1]) },
  nodes: [node('y', 'Cumsum', ['x', 'ax'])], fetch: ['y'],
});
// TF.js's executor returns y only: a fetch of batch_mean (output 1) has nothing to read.
add('FusedBatchNormV3 output 1 refused', 'FusedBatchNormV3', {
  inputs: { x: f32([1, 2, 2, 4]) }, consts: bnConsts(4),
  nodes: [node('y', 'FusedBatchNormV3', ['x', 's', 'o', 'm', 'v'])], fetch: ['y:1'],
});

// --- int32 inputs: what TF.js keeps int32, what it makes float32, what it refuses -------------
// (Real models hit these: handtrack's MultiClassNonMaxSuppression sums a Cast bool -> int32,
// a face mesh's spatial transformer multiplies int32 matrices.)
{
  const xi = { dtype: 'int32', shape: [2, 5], values: [-5, 2, -2, 5, 1, -3, 4, 0, -4, 3] };
  for (const op of ['Sum', 'Max', 'Min', 'Prod', 'Mean']) {
    for (const keep of [false, true]) {
      cases.push(makeCase(`${op} int32 keep_dims ${keep}`, op, {
        inputs: { x: xi }, consts: { axis: i32c([1], [1]) },
        nodes: [node('y', op, ['x', 'axis'], { keep_dims: A.b(keep) })], fetch: ['y'],
      }));
    }
  }
  cases.push(makeCase('Sum int32 all axes', 'Sum', {
    inputs: { x: xi }, consts: { axis: i32c([2], [0, 1]) },
    nodes: [node('y', 'Sum', ['x', 'axis'])], fetch: ['y'],
  }));
  for (const op of ['ArgMax', 'ArgMin']) {
    cases.push(makeCase(`${op} int32`, op, {
      inputs: { x: xi }, consts: { axis: i32c([], [1]) },
      nodes: [node('y', op, ['x', 'axis'])], fetch: ['y'],
    }));
  }
  for (const op of ['Neg', 'Abs', 'Square', 'Sign', 'Round', 'Relu', 'Relu6', 'Reciprocal', 'Exp',
                    'Ceil', 'Floor', 'Sqrt', 'Sigmoid', 'Tanh', 'Softmax']) {
    cases.push(makeCase(`${op} int32`, op, {
      inputs: { x: { dtype: 'int32', shape: [6], values: [-5, 0, 1, 7, -1, 3] } },
      nodes: [node('y', op, ['x'])], fetch: ['y'],
    }));
  }
  cases.push(makeCase('AddN int32', 'AddN', {
    inputs: { a: xi, b: { ...xi, values: xi.values.map((v) => v * 3) } },
    nodes: [node('y', 'AddN', ['a', 'b'], { N: A.i(2) })], fetch: ['y'],
  }));
  cases.push(makeCase('BiasAdd int32', 'BiasAdd', {
    inputs: { x: xi }, consts: { b: i32c([5], [1, -2, 3, -4, 5]) },
    nodes: [node('y', 'BiasAdd', ['x', 'b'])], fetch: ['y'],
  }));
  cases.push(makeCase('ClipByValue int32', 'ClipByValue', {
    inputs: { x: xi }, consts: { lo: i32c([], [-2]), hi: i32c([], [3]) },
    nodes: [node('y', 'ClipByValue', ['x', 'lo', 'hi'])], fetch: ['y'],
  }));
  for (const [ta, tb] of [[false, false], [true, false], [false, true]]) {
    cases.push(makeCase(`MatMul int32 transpose ${ta} ${tb}`, 'MatMul', {
      inputs: { a: { dtype: 'int32', shape: ta ? [2, 3] : [3, 2], values: [-5, 2, -2, 5, 1, -3] } },
      consts: { b: i32c(tb ? [4, 2] : [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]) },
      nodes: [node('y', 'MatMul', ['a', 'b'], { transpose_a: A.b(ta), transpose_b: A.b(tb) })],
      fetch: ['y'],
    }));
  }
  // An inner dimension over TF.js's block of 48, with sums past 2^31 (wrapped as TF.js wraps).
  cases.push(makeCase('BatchMatMulV2 int32 long inner dimension', 'BatchMatMulV2', {
    inputs: { a: { dtype: 'int32', shape: [2, 2, 100], values: Array.from({ length: 400 }, (_, k) => (k * 7919) % 200001 - 100000) },
              b: { dtype: 'int32', shape: [2, 100, 3], values: Array.from({ length: 600 }, (_, k) => (k * 104729) % 60001 - 30000) } },
    nodes: [node('y', 'BatchMatMulV2', ['a', 'b'])], fetch: ['y'],
  }));
}
