// The per-op oracle's first cases (graph_op_cases.mjs): graph, transformation, slice / join,
// math, convolution, logical, NonMaxSuppression and control flow v2.
import { A, DT, node, count, makeCase, f32, i32c, f32c, fn } from './common.mjs';
import { Rng } from '../lib.mjs';

export const cases = [];

// --- slice / join / transformation --------------------------------------------------------
const ss = (name, shape, begin, end, strides, masks) => cases.push(makeCase(`StridedSlice ${name}`, 'StridedSlice', {
  inputs: { x: f32(shape) },
  consts: { b: i32c([begin.length], begin), e: i32c([end.length], end), s: i32c([strides.length], strides) },
  nodes: [node('y', 'StridedSlice', ['x', 'b', 'e', 's'], Object.fromEntries(
    Object.entries(masks).map(([k, v]) => [k, A.i(v)])))],
  fetch: ['y'],
}));
ss('plain', [4, 5], [1, 0], [3, 4], [1, 2], {});
ss('negative', [4, 5], [-3, -1], [-1, 0], [1, -1], {});
ss('begin end masks', [4, 5, 3], [2, 1, 0], [0, 4, 0], [1, 1, 1], { begin_mask: 1, end_mask: 5 });
ss('shrink', [4, 5], [2, 0], [3, 5], [1, 1], { shrink_axis_mask: 1 });
ss('shrink negative', [4, 5], [-1, 1], [0, 3], [1, 1], { shrink_axis_mask: 1 });
ss('new axis', [4, 5], [0, 1, 0], [0, 3, 2], [1, 1, 1], { new_axis_mask: 1 });
ss('ellipsis', [2, 3, 4], [0, 1], [0, 3], [1, 1], { ellipsis_mask: 1 });
ss('ellipsis shrink', [2, 3, 4], [0, 2], [0, 3], [1, 1], { ellipsis_mask: 1, shrink_axis_mask: 2 });
ss('reverse', [6], [0], [0], [-1], { begin_mask: 1, end_mask: 1 });
ss('out of range clamps', [4, 5], [-10, 2], [10, 100], [1, 1], {});

cases.push(makeCase('Pack axis 1', 'Pack', {
  inputs: { a: f32([2, 3]), b: f32([2, 3]), c: f32([2, 3]) },
  nodes: [node('y', 'Pack', ['a', 'b', 'c'], { axis: A.i(1), N: A.i(3) })], fetch: ['y'],
}));
cases.push(makeCase('Pack axis -1 int32', 'Pack', {
  inputs: { a: { dtype: 'int32', shape: [3] }, b: { dtype: 'int32', shape: [3] } },
  nodes: [node('y', 'Pack', ['a', 'b'], { axis: A.i(-1) })], fetch: ['y'],
}));
cases.push(makeCase('ConcatV2 axis -1', 'ConcatV2', {
  inputs: { a: f32([2, 3]), b: f32([2, 1]) }, consts: { ax: i32c([], [-1]) },
  nodes: [node('y', 'ConcatV2', ['a', 'b', 'ax'], { N: A.i(2) })], fetch: ['y'],
}));
cases.push(makeCase('ConcatV2 axis 0', 'ConcatV2', {
  inputs: { a: f32([1, 3]), b: f32([2, 3]), c: f32([3, 3]) }, consts: { ax: i32c([], [0]) },
  nodes: [node('y', 'ConcatV2', ['a', 'b', 'c', 'ax'], { N: A.i(3) })], fetch: ['y'],
}));
cases.push(makeCase('Transpose', 'Transpose', {
  inputs: { x: f32([2, 3, 4]) }, consts: { p: i32c([3], [2, 0, 1]) },
  nodes: [node('y', 'Transpose', ['x', 'p'])], fetch: ['y'],
}));
cases.push(makeCase('Squeeze dims', 'Squeeze', {
  inputs: { x: f32([1, 3, 1, 2]) },
  nodes: [node('y', 'Squeeze', ['x'], { squeeze_dims: A.ints([0, -2]) })], fetch: ['y'],
}));
cases.push(makeCase('Squeeze all', 'Squeeze', {
  inputs: { x: f32([1, 3, 1, 2]) }, nodes: [node('y', 'Squeeze', ['x'])], fetch: ['y'],
}));
cases.push(makeCase('ExpandDims -1', 'ExpandDims', {
  inputs: { x: f32([2, 3]) }, consts: { ax: i32c([], [-1]) },
  nodes: [node('y', 'ExpandDims', ['x', 'ax'])], fetch: ['y'],
}));
cases.push(makeCase('Reshape -1', 'Reshape', {
  inputs: { x: f32([2, 3, 4]) }, consts: { s: i32c([2], [-1, 6]) },
  nodes: [node('y', 'Reshape', ['x', 's'])], fetch: ['y'],
}));
cases.push(makeCase('GatherV2 axis 1', 'GatherV2', {
  inputs: { x: f32([3, 4, 2]) }, consts: { i: i32c([2, 2], [3, 0, 1, 1]), ax: i32c([], [1]) },
  nodes: [node('y', 'GatherV2', ['x', 'i', 'ax'])], fetch: ['y'],
}));
cases.push(makeCase('Pad', 'Pad', {
  inputs: { x: f32([2, 3]) }, consts: { p: i32c([2, 2], [1, 0, 2, 1]) },
  nodes: [node('y', 'Pad', ['x', 'p'])], fetch: ['y'],
}));
cases.push(makeCase('PadV2', 'PadV2', {
  inputs: { x: f32([2, 3]) }, consts: { p: i32c([2, 2], [0, 1, 1, 1]), v: f32c([], [7.5]) },
  nodes: [node('y', 'PadV2', ['x', 'p', 'v'])], fetch: ['y'],
}));
cases.push(makeCase('Cast float to int32', 'Cast', {
  inputs: { x: { dtype: 'float32', shape: [6], values: [1.7, -1.7, 0.5, -0.5, 3, 2147483647] } },
  nodes: [node('y', 'Cast', ['x'], { SrcT: A.type('float32'), DstT: A.type('int32') })], fetch: ['y'],
}));
cases.push(makeCase('Cast float to bool', 'Cast', {
  inputs: { x: { dtype: 'float32', shape: [4], values: [0, -0.5, 2, NaN] } },
  nodes: [node('y', 'Cast', ['x'], { DstT: A.type('bool') })], fetch: ['y'],
}));
cases.push(makeCase('Shape and Fill', 'Fill', {
  inputs: { x: f32([2, 3]) }, consts: { v: f32c([], [1.25]) },
  nodes: [node('s', 'Shape', ['x']), node('y', 'Fill', ['s', 'v'])], fetch: ['s', 'y'],
}));

// --- math ------------------------------------------------------------------------------------
for (const op of ['AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'Pow']) {
  cases.push(makeCase(`${op} broadcast`, op, {
    inputs: { a: f32([2, 1, 3]), b: f32([4, 1]) },
    nodes: [node('y', op, ['a', 'b'])], fetch: ['y'],
  }));
}
for (const op of ['AddV2', 'Sub', 'Mul', 'Maximum', 'Minimum', 'RealDiv']) {
  cases.push(makeCase(`${op} int32`, op, {
    inputs: { a: { dtype: 'int32', shape: [2, 3] }, b: { dtype: 'int32', shape: [3] } },
    nodes: [node('y', op, ['a', 'b'])], fetch: ['y'],
  }));
}
cases.push(makeCase('BiasAdd', 'BiasAdd', {
  inputs: { x: f32([2, 2, 3]) }, consts: { b: f32c([3], [0.5, -1, 2]) },
  nodes: [node('y', 'BiasAdd', ['x', 'b'])], fetch: ['y'],
}));
cases.push(makeCase('AddN', 'AddN', {
  inputs: { a: f32([2, 3]), b: f32([2, 3]), c: f32([2, 3]) },
  nodes: [node('y', 'AddN', ['a', 'b', 'c'])], fetch: ['y'],
}));
for (const op of ['Relu', 'Relu6', 'Elu', 'Selu', 'Sigmoid', 'Tanh', 'Exp', 'Neg', 'Abs', 'Square',
                  'Floor', 'Ceil', 'Softplus', 'Softmax']) {
  cases.push(makeCase(op, op, {
    inputs: { x: { dtype: 'float32', shape: [2, 4], values: [-3, -1, -0.5, 0, 0.25, 1, 4, 7] } },
    nodes: [node('y', op, ['x'])], fetch: ['y'],
  }));
}
for (const op of ['Log', 'Sqrt', 'Rsqrt', 'Reciprocal']) {
  cases.push(makeCase(op, op, {
    inputs: { x: { dtype: 'float32', shape: [4], values: [0.25, 1, 2, 9] } },
    nodes: [node('y', op, ['x'])], fetch: ['y'],
  }));
}
cases.push(makeCase('LeakyRelu', 'LeakyRelu', {
  inputs: { x: f32([2, 4]) }, nodes: [node('y', 'LeakyRelu', ['x'], { alpha: A.f(0.1) })], fetch: ['y'],
}));
cases.push(makeCase('Prelu', 'Prelu', {
  inputs: { x: f32([2, 3]) }, consts: { a: f32c([3], [0.1, 0.2, 0.3]) },
  nodes: [node('y', 'Prelu', ['x', 'a'])], fetch: ['y'],
}));
for (const op of ['Sum', 'Mean', 'Max', 'Min', 'Prod']) {
  for (const [axes, keep] of [[[1], false], [[0, 2], true], [[-1], false]]) {
    cases.push(makeCase(`${op} ${axes} keep=${keep}`, op, {
      inputs: { x: f32([2, 3, 4]) }, consts: { ax: i32c([axes.length], axes) },
      nodes: [node('y', op, ['x', 'ax'], { keep_dims: A.b(keep) })], fetch: ['y'],
    }));
  }
}

// --- convolution, matrices, pooling, image ---------------------------------------------------
const rngW = new Rng('graph op weights');
const wts = (shape) => Array.from(rngW.f32(count(shape), -1, 1));
for (const [padding, strides, dil] of [['SAME', 1, 1], ['VALID', 2, 1], ['SAME', 1, 2]]) {
  cases.push(makeCase(`Conv2D ${padding} s${strides} d${dil}`, 'Conv2D', {
    inputs: { x: f32([2, 7, 6, 3]) }, consts: { k: f32c([3, 3, 3, 4], wts([3, 3, 3, 4])) },
    nodes: [node('y', 'Conv2D', ['x', 'k'], {
      padding: A.s(padding), strides: A.ints([1, strides, strides, 1]),
      dilations: A.ints([1, dil, dil, 1]), data_format: A.s('NHWC'),
    })], fetch: ['y'],
  }));
}
cases.push(makeCase('Conv2D EXPLICIT', 'Conv2D', {
  inputs: { x: f32([1, 5, 5, 2]) }, consts: { k: f32c([2, 2, 2, 3], wts([2, 2, 2, 3])) },
  nodes: [node('y', 'Conv2D', ['x', 'k'], {
    padding: A.s('EXPLICIT'), explicit_paddings: A.ints([0, 0, 1, 2, 0, 1, 0, 0]),
    strides: A.ints([1, 2, 1, 1]), dilations: A.ints([1, 1, 1, 1]),
  })], fetch: ['y'],
}));
for (const act of ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'LeakyRelu', 'Prelu']) {
  const prelu = act === 'Prelu';
  cases.push(makeCase(`_FusedConv2D BiasAdd ${act}`, '_FusedConv2D', {
    inputs: { x: f32([1, 5, 5, 2]) },
    consts: { k: f32c([3, 3, 2, 4], wts([3, 3, 2, 4])), b: f32c([4], wts([4])),
              ...(prelu ? { a: f32c([4], [0.1, 0.2, 0.3, 0.4]) } : {}) },
    nodes: [node('y', '_FusedConv2D', prelu ? ['x', 'k', 'b', 'a'] : ['x', 'k', 'b'], {
      padding: A.s('SAME'), strides: A.ints([1, 1, 1, 1]), fused_ops: A.strs(['BiasAdd', act]),
      num_args: A.i(prelu ? 2 : 1), leakyrelu_alpha: A.f(0.15),
    })], fetch: ['y'],
  }));
}
cases.push(makeCase('FusedDepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', {
  inputs: { x: f32([1, 6, 6, 3]) },
  consts: { k: f32c([3, 3, 3, 2], wts([3, 3, 3, 2])), b: f32c([6], wts([6])) },
  nodes: [node('y', 'FusedDepthwiseConv2dNative', ['x', 'k', 'b'], {
    padding: A.s('SAME'), strides: A.ints([1, 2, 2, 1]), fused_ops: A.strs(['BiasAdd', 'Relu6']),
    num_args: A.i(1), dilations: A.ints([1, 1, 1, 1]),
  })], fetch: ['y'],
}));
cases.push(makeCase('DepthwiseConv2dNative', 'DepthwiseConv2dNative', {
  inputs: { x: f32([2, 5, 5, 2]) }, consts: { k: f32c([2, 2, 2, 1], wts([2, 2, 2, 1])) },
  nodes: [node('y', 'DepthwiseConv2dNative', ['x', 'k'], {
    padding: A.s('VALID'), strides: A.ints([1, 1, 1, 1]), dilations: A.ints([1, 1, 1, 1]),
  })], fetch: ['y'],
}));
for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
  cases.push(makeCase(`MatMul ta=${ta} tb=${tb}`, 'MatMul', {
    inputs: { a: f32(ta ? [4, 3] : [3, 4]) }, consts: { b: f32c(tb ? [5, 4] : [4, 5], wts([4, 5])) },
    nodes: [node('y', 'MatMul', ['a', 'b'], { transpose_a: A.b(ta), transpose_b: A.b(tb) })], fetch: ['y'],
  }));
}
cases.push(makeCase('_FusedMatMul BiasAdd Relu', '_FusedMatMul', {
  inputs: { a: f32([3, 4]) }, consts: { b: f32c([4, 5], wts([4, 5])), c: f32c([5], wts([5])) },
  nodes: [node('y', '_FusedMatMul', ['a', 'b', 'c'], {
    fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1),
    transpose_a: A.b(false), transpose_b: A.b(false),
  })], fetch: ['y'],
}));
for (const op of ['MaxPool', 'AvgPool']) {
  for (const padding of ['SAME', 'VALID']) {
    cases.push(makeCase(`${op} ${padding}`, op, {
      inputs: { x: f32([2, 5, 7, 3]) },
      nodes: [node('y', op, ['x'], {
        ksize: A.ints([1, 3, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s(padding),
      })], fetch: ['y'],
    }));
  }
}
for (const op of ['ResizeBilinear', 'ResizeNearestNeighbor']) {
  for (const [align, half] of [[false, false], [true, false], [false, true]]) {
    cases.push(makeCase(`${op} align=${align} half=${half}`, op, {
      inputs: { x: f32([1, 4, 5, 2]) }, consts: { s: i32c([2], [7, 3]) },
      nodes: [node('y', op, ['x', 's'], { align_corners: A.b(align), half_pixel_centers: A.b(half) })],
      fetch: ['y'],
    }));
  }
}

// --- logical, evaluation, slice / join, creation ----------------------------------------------
for (const op of ['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual']) {
  cases.push(makeCase(`${op} broadcast`, op, {
    inputs: { a: { dtype: 'float32', shape: [2, 3], values: [1, 2, 3, NaN, 0, -1] },
              b: { dtype: 'float32', shape: [3], values: [2, 2, -1] } },
    nodes: [node('y', op, ['a', 'b'])], fetch: ['y'],
  }));
}
cases.push(makeCase('Less int32', 'Less', {
  inputs: { a: { dtype: 'int32', shape: [4] }, b: { dtype: 'int32', shape: [] } },
  nodes: [node('y', 'Less', ['a', 'b'])], fetch: ['y'],
}));
cases.push(makeCase('LogicalAnd Or Not', 'LogicalAnd', {
  inputs: { a: { dtype: 'bool', shape: [4], values: [1, 0, 1, 0] }, b: { dtype: 'bool', shape: [4], values: [1, 1, 0, 0] } },
  nodes: [node('and', 'LogicalAnd', ['a', 'b']), node('or', 'LogicalOr', ['a', 'b']),
          node('not', 'LogicalNot', ['a'])],
  fetch: ['and', 'or', 'not'],
}));
cases.push(makeCase('SelectV2 broadcast', 'SelectV2', {
  inputs: { c: { dtype: 'bool', shape: [2, 1], values: [1, 0] }, t: f32([2, 3]), e: f32([3]) },
  nodes: [node('y', 'SelectV2', ['c', 't', 'e'])], fetch: ['y'],
}));
cases.push(makeCase('Select rows', 'Select', {
  inputs: { c: { dtype: 'bool', shape: [3], values: [0, 1, 0] }, t: f32([3, 2]), e: f32([3, 2]) },
  nodes: [node('y', 'Select', ['c', 't', 'e'])], fetch: ['y'],
}));
cases.push(makeCase('Where', 'Where', {
  inputs: { x: { dtype: 'bool', shape: [2, 3], values: [0, 1, 1, 0, 0, 1] } },
  nodes: [node('y', 'Where', ['x'])], fetch: ['y'],
}));
cases.push(makeCase('TopKV2', 'TopKV2', {
  inputs: { x: { dtype: 'float32', shape: [2, 5], values: [1, 3, 3, 2, 0, -1, 5, 4, 5, 0] } },
  consts: { k: i32c([], [3]) },
  nodes: [node('y', 'TopKV2', ['x', 'k'], { sorted: A.b(true) })], fetch: ['y', 'y:1'],
}));
cases.push(makeCase('Slice', 'Slice', {
  inputs: { x: f32([3, 4, 2]) }, consts: { b: i32c([3], [1, 0, 1]), s: i32c([3], [2, -1, 1]) },
  nodes: [node('y', 'Slice', ['x', 'b', 's'])], fetch: ['y'],
}));
cases.push(makeCase('Split', 'Split', {
  inputs: { x: f32([2, 6]) }, consts: { ax: i32c([], [1]) },
  nodes: [node('y', 'Split', ['ax', 'x'], { num_split: A.i(3) })], fetch: ['y', 'y:1', 'y:2'],
}));
cases.push(makeCase('SplitV', 'SplitV', {
  inputs: { x: f32([5, 2]) }, consts: { s: i32c([3], [1, -1, 2]), ax: i32c([], [0]) },
  nodes: [node('y', 'SplitV', ['x', 's', 'ax'], { num_split: A.i(3) })], fetch: ['y', 'y:1', 'y:2'],
}));
cases.push(makeCase('Unpack', 'Unpack', {
  inputs: { x: f32([2, 3]) },
  nodes: [node('y', 'Unpack', ['x'], { axis: A.i(1), num: A.i(3) })], fetch: ['y', 'y:1', 'y:2'],
}));
cases.push(makeCase('Tile', 'Tile', {
  inputs: { x: f32([2, 3]) }, consts: { m: i32c([2], [2, 3]) },
  nodes: [node('y', 'Tile', ['x', 'm'])], fetch: ['y'],
}));
cases.push(makeCase('BroadcastTo', 'BroadcastTo', {
  inputs: { x: f32([3, 1]) }, consts: { s: i32c([3], [2, 3, 4]) },
  nodes: [node('y', 'BroadcastTo', ['x', 's'])], fetch: ['y'],
}));
cases.push(makeCase('Range int', 'Range', {
  consts: { a: i32c([], [2]), b: i32c([], [11]), d: i32c([], [3]) },
  nodes: [node('y', 'Range', ['a', 'b', 'd'], { Tidx: A.type('int32') })], fetch: ['y'],
}));
cases.push(makeCase('Range float', 'Range', {
  consts: { a: f32c([], [1]), b: f32c([], [-1]), d: f32c([], [-0.5]) },
  nodes: [node('y', 'Range', ['a', 'b', 'd'], { Tidx: A.type('float32') })], fetch: ['y'],
}));
cases.push(makeCase('OneHot T float', 'OneHot', {
  inputs: { i: { dtype: 'int32', shape: [2, 2], values: [1, 0, 2, 3] } },
  consts: { d: i32c([], [3]), on: f32c([], [0.75]), off: f32c([], [-0.25]) },
  nodes: [node('y', 'OneHot', ['i', 'd', 'on', 'off'], { axis: A.i(-1), T: A.type('float32') })],
  fetch: ['y'],
}));
cases.push(makeCase('OneHot', 'OneHot', {
  inputs: { i: { dtype: 'int32', shape: [4], values: [0, 2, 5, -1] } },
  consts: { d: i32c([], [3]), on: f32c([], [1]), off: f32c([], [0]) },
  nodes: [node('y', 'OneHot', ['i', 'd', 'on', 'off'], { axis: A.i(-1) })], fetch: ['y'],
}));
cases.push(makeCase('Size and Rank', 'Size', {
  inputs: { x: f32([2, 3, 4]) },
  nodes: [node('n', 'Size', ['x']), node('r', 'Rank', ['x'])], fetch: ['n', 'r'],
}));
for (const op of ['ArgMax', 'ArgMin']) {
  cases.push(makeCase(`${op} axis 1`, op, {
    inputs: { x: { dtype: 'float32', shape: [2, 4], values: [1, 5, 5, 2, -1, -3, 0, -3] } },
    consts: { ax: i32c([], [1]) },
    nodes: [node('y', op, ['x', 'ax'])], fetch: ['y'],
  }));
}
for (const op of ['Round', 'Sign']) {
  cases.push(makeCase(op, op, {
    inputs: { x: { dtype: 'float32', shape: [8], values: [-2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.4, 2.6] } },
    nodes: [node('y', op, ['x'])], fetch: ['y'],
  }));
}
cases.push(makeCase('ClipByValue', 'ClipByValue', {
  inputs: { x: f32([2, 4]) }, consts: { lo: f32c([], [-0.5]), hi: f32c([], [1]) },
  nodes: [node('y', 'ClipByValue', ['x', 'lo', 'hi'])], fetch: ['y'],
}));
for (const op of ['FloorDiv', 'FloorMod']) {
  cases.push(makeCase(`${op} float`, op, {
    inputs: { a: { dtype: 'float32', shape: [4], values: [7, -7, 7.5, -7.5] },
              b: { dtype: 'float32', shape: [4], values: [2, 2, -2, -2] } },
    nodes: [node('y', op, ['a', 'b'])], fetch: ['y'],
  }));
  cases.push(makeCase(`${op} int32`, op, {
    inputs: { a: { dtype: 'int32', shape: [4], values: [7, -7, 7, -7] },
              b: { dtype: 'int32', shape: [4], values: [2, 2, -2, -2] } },
    nodes: [node('y', op, ['a', 'b'])], fetch: ['y'],
  }));
}

// --- NonMaxSuppression (dynamic: executeAsync in TF.js) -----------------------------------------
const nmsBoxes = [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11, 0, 10.1, 1, 11.1,
                  0, 100, 1, 101, 1, 1, 0, 0, 0.5, 0.5, 0.5, 0.5];
const nmsScores = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3, 0.9, 0.4];
const nmsInputs = { boxes: { dtype: 'float32', shape: [8, 4], values: nmsBoxes },
                    scores: { dtype: 'float32', shape: [8], values: nmsScores } };
for (const [maxOut, iou, score] of [[3, 0.5, 0], [10, 0.3, 0.35], [2, 0.7, -1]]) {
  cases.push(makeCase(`NonMaxSuppressionV3 max=${maxOut} iou=${iou} score=${score}`, 'NonMaxSuppressionV3', {
    inputs: nmsInputs,
    consts: { m: i32c([], [maxOut]), i: f32c([], [iou]), s: f32c([], [score]) },
    nodes: [node('y', 'NonMaxSuppressionV3', ['boxes', 'scores', 'm', 'i', 's'])], fetch: ['y'],
  }));
}
cases.push(makeCase('NonMaxSuppressionV4 padded', 'NonMaxSuppressionV4', {
  inputs: nmsInputs,
  consts: { m: i32c([], [6]), i: f32c([], [0.5]), s: f32c([], [0.45]) },
  nodes: [node('y', 'NonMaxSuppressionV4', ['boxes', 'scores', 'm', 'i', 's'],
               { pad_to_max_output_size: A.b(true) })],
  fetch: ['y', 'y:1'],
}));
cases.push(makeCase('NonMaxSuppressionV5 soft', 'NonMaxSuppressionV5', {
  inputs: nmsInputs,
  consts: { m: i32c([], [6]), i: f32c([], [0.6]), s: f32c([], [0.1]), g: f32c([], [0.5]) },
  nodes: [node('y', 'NonMaxSuppressionV5', ['boxes', 'scores', 'm', 'i', 's', 'g'])],
  fetch: ['y', 'y:1'],
}));

// --- control flow v2: library functions called by While and If ------------------------------
const double = fn('double', [['x', 'float32']], [['y', 'float32']],
                  [node('sum', 'AddV2', ['x', 'x'])], { y: 'sum:z:0' });
const square = fn('square', [['x', 'float32']], [['y', 'float32']],
                  [node('sq', 'Mul', ['x', 'x'])], { y: 'sq:z:0' });
for (const pick of [1, 0]) {
  cases.push(makeCase(`StatelessIf ${pick ? 'then' : 'else'}`, 'StatelessIf', {
    inputs: { c: { dtype: 'bool', shape: [], values: [pick] }, x: f32([2, 3]) },
    nodes: [node('y', 'StatelessIf', ['c', 'x'], {
      then_branch: { func: { name: 'double' } }, else_branch: { func: { name: 'square' } },
      Tcond: A.type('bool'), Tin: { list: { type: ['DT_FLOAT'] } }, Tout: { list: { type: ['DT_FLOAT'] } },
    })],
    fetch: ['y'], functions: [double, square],
  }));
}
// while (i < n) { i += one; x = x + x; s = split(x)... }: loop variables i, n, one, x.
const cond = fn('cond', [['i', 'int32'], ['n', 'int32'], ['one', 'int32'], ['x', 'float32']],
                [['ok', 'bool']], [node('less', 'Less', ['i', 'n'])], { ok: 'less:z:0' });
const body = fn('body', [['i', 'int32'], ['n', 'int32'], ['one', 'int32'], ['x', 'float32']],
                [['i2', 'int32'], ['n2', 'int32'], ['one2', 'int32'], ['x2', 'float32']],
                [node('inc', 'AddV2', ['i', 'one']), node('dbl', 'AddV2', ['x', 'x']),
                 node('top', 'TopKV2', ['x', 'i']), node('cut', 'Maximum', ['dbl:z:0', 'top:values:0'])],
                { i2: 'inc:z:0', n2: 'n', one2: 'one', x2: 'dbl:z:0' });
cases.push(makeCase('StatelessWhile', 'StatelessWhile', {
  inputs: { x: f32([2, 3]) },
  consts: { i: i32c([], [0]), n: i32c([], [3]), one: i32c([], [1]) },
  nodes: [node('w', 'StatelessWhile', ['i', 'n', 'one', 'x'], {
    cond: { func: { name: 'cond' } }, body: { func: { name: 'body' } },
    T: { list: { type: ['DT_INT32', 'DT_INT32', 'DT_INT32', 'DT_FLOAT'] } },
  })],
  fetch: ['w', 'w:3'], functions: [cond, body],
}));


// --- ops of the list that the cases above leave out -----------------------------------------
cases.push(makeCase('NonMaxSuppressionV2', 'NonMaxSuppressionV2', {
  inputs: nmsInputs, consts: { m: i32c([], [4]), i: f32c([], [0.5]) },
  nodes: [node('y', 'NonMaxSuppressionV2', ['boxes', 'scores', 'm', 'i'])], fetch: ['y'],
}));
for (const dtype of ['float32', 'int32']) {
  for (const op of ['Add', 'Div', 'Mod']) {
    cases.push(makeCase(`${op} ${dtype} broadcast`, op, {
      inputs: { a: { dtype, shape: [2, 3] },
                b: { dtype, shape: [3], values: dtype === 'int32' ? [2, -3, 4] : [1.5, -2, 0.25] } },
      nodes: [node('y', op, ['a', 'b'])], fetch: ['y'],
    }));
  }
}
cases.push(makeCase('OnesLike Snapshot StopGradient IdentityN', 'OnesLike', {
  inputs: { x: f32([2, 3]), k: { dtype: 'int32', shape: [2] } },
  nodes: [
    node('ones', 'OnesLike', ['x']), node('onesInt', 'OnesLike', ['k']),
    node('snap', 'Snapshot', ['x']), node('stop', 'StopGradient', ['x']),
    node('ids', 'IdentityN', ['x', 'k']),
  ],
  fetch: ['ones', 'onesInt', 'snap', 'stop', 'ids', 'ids:1'],
}));
cases.push(makeCase('PlaceholderWithDefault and a NoOp control input', 'PlaceholderWithDefault', {
  inputs: { x: f32([2, 2]) },
  consts: { d: f32c([2, 2], [1, 2, 3, 4]) },
  nodes: [
    node('wait', 'NoOp', ['^x']),
    node('p', 'PlaceholderWithDefault', ['d'], { dtype: A.type('float32'), shape: A.shape([2, 2]) }),
    node('y', 'AddV2', ['p', 'x', '^wait']),
  ],
  fetch: ['y'],
}));
cases.push(makeCase('Concat axis first', 'Concat', {
  inputs: { a: f32([2, 3]), b: f32([2, 2]) }, consts: { ax: i32c([], [1]) },
  nodes: [node('y', 'Concat', ['ax', 'a', 'b'], { N: A.i(2) })], fetch: ['y'],
}));
cases.push(makeCase('Gather (axis 0)', 'Gather', {
  inputs: { x: f32([4, 2]) }, consts: { i: i32c([3], [3, 0, 3]) },
  nodes: [node('y', 'Gather', ['x', 'i'])], fetch: ['y'],
}));
for (const pick of [1, 0]) {
  cases.push(makeCase(`If ${pick ? 'then' : 'else'}`, 'If', {
    inputs: { c: { dtype: 'bool', shape: [], values: [pick] }, x: f32([3]) },
    nodes: [node('y', 'If', ['c', 'x'], {
      then_branch: { func: { name: 'double' } }, else_branch: { func: { name: 'square' } },
      Tcond: A.type('bool'), Tin: { list: { type: ['DT_FLOAT'] } }, Tout: { list: { type: ['DT_FLOAT'] } },
    })],
    fetch: ['y'], functions: [double, square],
  }));
}
cases.push(makeCase('While', 'While', {
  inputs: { x: f32([3]) },
  consts: { i: i32c([], [0]), n: i32c([], [2]), one: i32c([], [1]) },
  nodes: [node('w', 'While', ['i', 'n', 'one', 'x'], {
    cond: { func: { name: 'cond' } }, body: { func: { name: 'body' } },
    T: { list: { type: ['DT_INT32', 'DT_INT32', 'DT_INT32', 'DT_FLOAT'] } },
  })],
  fetch: ['w', 'w:3'], functions: [cond, body],
}));
// A list filled by SetItem and PushBack, then stacked: the ops TensorFlow 2's while loops use.
cases.push(makeCase('TensorListReserve SetItem PushBack Stack', 'TensorListReserve', {
  inputs: { a: f32([2]), b: f32([2]) },
  consts: { es: i32c([1], [2]), three: i32c([], [3]), zero: i32c([], [0]), two: i32c([], [2]) },
  nodes: [
    node('list', 'TensorListReserve', ['es', 'three'], { element_dtype: A.type('float32') }),
    node('s0', 'TensorListSetItem', ['list', 'zero', 'a'], { element_dtype: A.type('float32') }),
    node('s2', 'TensorListSetItem', ['s0', 'two', 'b'], { element_dtype: A.type('float32') }),
    node('empty', 'EmptyTensorList', ['es', 'three'], { element_dtype: A.type('float32') }),
    node('p0', 'TensorListPushBack', ['empty', 'b'], { element_dtype: A.type('float32') }),
    node('p1', 'TensorListPushBack', ['p0', 'a'], { element_dtype: A.type('float32') }),
    node('stack', 'TensorListStack', ['p1', 'es'], { element_dtype: A.type('float32'), num_elements: A.i(2) }),
    node('item', 'TensorListGetItem', ['s2', 'two', 'es'], { element_dtype: A.type('float32') }),
  ],
  fetch: ['stack', 'item'],
}));
