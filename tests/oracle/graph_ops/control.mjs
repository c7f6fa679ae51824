// Per-op oracle cases of TensorFlow 1 control flow (graph_op_cases.mjs): while loops built of
// Enter / Merge / LoopCond / Switch / NextIteration / Exit as tf.while_loop writes them, nested
// loops, a lowered tf.cond (a dead branch) at the top and inside a loop, control inputs, ops
// with data-dependent shapes inside a loop, and TensorArrayV3 with every op on it, including
// the misuses TF.js refuses.
import { A, node, makeCase, f32, i32c, f32c } from './common.mjs';

export const cases = [];

const enter = (name, input, frame, constant = false) =>
  node(name, 'Enter', [input], { frame_name: A.s(frame), is_constant: A.b(constant) });

// A loop `frame` over variables vars = [[name, initial input]], run while cond(merged names)
// holds, each iteration computing body(identity names) -> next inputs. Constants of the loop
// (read in every iteration) enter with is_constant. Returns its nodes; the exits are
// `${frame}/exit_${name}`.
function whileLoop(frame, vars, constants, cond, body) {
  const p = (s) => `${frame}/${s}`;
  const nodes = [];
  for (const [v, init] of vars) nodes.push(enter(p(`enter_${v}`), init, frame));
  for (const [c, input] of constants) nodes.push(enter(p(`const_${c}`), input, frame, true));
  for (const [v] of vars) nodes.push(node(p(`merge_${v}`), 'Merge', [p(`enter_${v}`), p(`next_${v}`)]));
  const condNodes = cond(p, Object.fromEntries(vars.map(([v]) => [v, p(`merge_${v}`)])));
  nodes.push(...condNodes.nodes);
  nodes.push(node(p('cond'), 'LoopCond', [condNodes.out]));
  for (const [v] of vars) {
    nodes.push(node(p(`switch_${v}`), 'Switch', [p(`merge_${v}`), p('cond')]));
    nodes.push(node(p(`id_${v}`), 'Identity', [`${p(`switch_${v}`)}:1`]));
  }
  const bodyNodes = body(p, Object.fromEntries(vars.map(([v]) => [v, p(`id_${v}`)])));
  nodes.push(...bodyNodes.nodes);
  for (const [v] of vars) {
    nodes.push(node(p(`next_${v}`), 'NextIteration', [bodyNodes.out[v]]));
    nodes.push(node(p(`exit_${v}`), 'Exit', [p(`switch_${v}`)]));
  }
  return nodes;
}

// while (i < n) { i += 1; x = x * 2 + i } — n fed, the 1 a Const with a control input on the
// loop's pivot, as TensorFlow places constants in a frame.
for (const n of [3, 0, 1]) {
  cases.push(makeCase(`while loop ${n} iterations`, 'Enter', {
    inputs: { x: f32([2, 3]), n: { dtype: 'int32', shape: [], values: [n] } },
    consts: { zero: i32c([], [0]), one: i32c([], [1]), two: f32c([], [2]) },
    nodes: whileLoop('loop', [['i', 'zero'], ['x', 'x']], [['n', 'n'], ['two', 'two']],
      (p, m) => ({ nodes: [node(p('less'), 'Less', [m.i, p('const_n')])], out: p('less') }),
      (p, v) => ({
        nodes: [
          node(p('inc'), 'AddV2', [v.i, 'one', `^${v.i}`]),
          node(p('dbl'), 'Mul', [v.x, p('const_two')]),
          node(p('incf'), 'Cast', [p('inc')], { SrcT: A.type('int32'), DstT: A.type('float32') }),
          node(p('sum'), 'AddV2', [p('dbl'), p('incf')]),
        ],
        out: { i: p('inc'), x: p('sum') },
      })),
    fetch: ['loop/exit_x', 'loop/exit_i'],
  }));
}

// Nested: for i < 3 { s = 0; for j < i + 1 { s += x * (j + 1) }; acc += s } — the inner loop's
// bounds come from the outer iteration, its constants enter from the outer frame.
{
  const inner = (outerP, iVal, xVal) => whileLoop(`${outerP('inner')}`,
    [['j', outerP('zero_in')], ['s', outerP('zeros_in')]], [['lim', outerP('lim')], ['x', xVal]],
    (p, m) => ({ nodes: [node(p('less'), 'Less', [m.j, p('const_lim')])], out: p('less') }),
    (p, v) => ({
      nodes: [
        node(p('j1'), 'AddV2', [v.j, 'one']),
        node(p('j1f'), 'Cast', [p('j1')], { SrcT: A.type('int32'), DstT: A.type('float32') }),
        node(p('term'), 'Mul', [p('const_x'), p('j1f')]),
        node(p('s2'), 'AddV2', [v.s, p('term')]),
      ],
      out: { j: p('j1'), s: p('s2') },
    }));
  cases.push(makeCase('nested while loops', 'Enter', {
    inputs: { x: f32([4]) },
    consts: { zero: i32c([], [0]), one: i32c([], [1]), three: i32c([], [3]), zeros: f32c([4], [0, 0, 0, 0]) },
    nodes: whileLoop('outer', [['i', 'zero'], ['acc', 'zeros']], [['n', 'three'], ['x', 'x'], ['zeros', 'zeros']],
      (p, m) => ({ nodes: [node(p('less'), 'Less', [m.i, p('const_n')])], out: p('less') }),
      (p, v) => ({
        nodes: [
          node(p('zero_in'), 'ZerosLike', [v.i]),
          node(p('zeros_in'), 'Identity', [p('const_zeros'), `^${v.i}`]),  // on the pivot, as TF places it
          node(p('lim'), 'AddV2', [v.i, 'one']),
          // The outer invariant x reaches the inner loop through a node of each iteration (TF.js
          // runs a reader of a constant Enter only in the iteration that entered it).
          node(p('x_here'), 'Identity', [p('const_x'), `^${v.i}`]),
          ...inner(p, v.i, p('x_here')),
          node(p('acc2'), 'AddV2', [v.acc, `${p('inner')}/exit_s`]),
          node(p('i1'), 'AddV2', [v.i, 'one']),
        ],
        out: { i: p('i1'), acc: p('acc2') },
      })),
    fetch: ['outer/exit_acc', 'outer/exit_i'],
  }));
}

// A lowered tf.cond at the top: Switch sends x one way, the other branch is dead, Merge takes
// the live one. A node reading both branches never runs.
for (const pick of [true, false]) {
  cases.push(makeCase(`cond ${pick ? 'true' : 'false'} branch`, 'Switch', {
    inputs: { x: f32([2, 2]), p: { dtype: 'bool', shape: [], values: [pick ? 1 : 0] } },
    nodes: [
      node('sw', 'Switch', ['x', 'p']),
      node('t', 'Exp', ['sw:1']),
      node('f', 'Neg', ['sw:0']),
      node('m', 'Merge', ['f', 't']),
      node('after', 'Mul', ['m', 'm']),
    ],
    fetch: ['after', 'm'],
  }));
}
// Fetching the dead branch: TF.js cannot compute it.
cases.push(makeCase('cond fetch of the dead branch', 'Switch', {
  inputs: { x: f32([2]), p: { dtype: 'bool', shape: [], values: [1] } },
  nodes: [node('sw', 'Switch', ['x', 'p']), node('f', 'Neg', ['sw:0'])],
  fetch: ['f'],
}));

// A cond inside a loop: each iteration halves x when its sum is positive, else adds one.
cases.push(makeCase('cond inside a while loop', 'Merge', {
  inputs: { x: f32([3]) },
  consts: { zero: i32c([], [0]), one: i32c([], [1]), four: i32c([], [4]), half: f32c([], [0.5]),
            onef: f32c([], [1]), fzero: f32c([], [0]), ax: i32c([], [0]) },
  nodes: whileLoop('loop', [['i', 'zero'], ['x', 'x']], [['n', 'four']],
    (p, m) => ({ nodes: [node(p('less'), 'Less', [m.i, p('const_n')])], out: p('less') }),
    (p, v) => ({
      nodes: [
        node(p('sum'), 'Sum', [v.x, 'ax'], { keep_dims: A.b(false) }),
        node(p('pos'), 'Greater', [p('sum'), 'fzero']),
        node(p('csw'), 'Switch', [v.x, p('pos')]),
        node(p('halved'), 'Mul', [`${p('csw')}:1`, 'half']),
        node(p('plus'), 'AddV2', [`${p('csw')}:0`, 'onef']),
        node(p('cm'), 'Merge', [p('halved'), p('plus')]),
        node(p('i1'), 'AddV2', [v.i, 'one']),
      ],
      out: { i: p('i1'), x: p('cm') },
    })),
  fetch: ['loop/exit_x'],
}));

// Ops whose output shapes depend on values, inside a loop: each iteration keeps the positive
// elements (Where + GatherV2) and pads back with zeros.
cases.push(makeCase('Where inside a while loop', 'Where', {
  inputs: { x: f32([6]) },
  consts: { zero: i32c([], [0]), one: i32c([], [1]), two: i32c([], [2]), ax: i32c([], [0]),
            fzero: f32c([], [0]), shift: f32c([], [-0.5]), z6: f32c([6], [0, 0, 0, 0, 0, 0]),
            six: i32c([1], [6]), begin: i32c([1], [0]) },
  nodes: whileLoop('loop', [['i', 'zero'], ['x', 'x']], [['n', 'two']],
    (p, m) => ({ nodes: [node(p('less'), 'Less', [m.i, p('const_n')])], out: p('less') }),
    (p, v) => ({
      nodes: [
        node(p('gt'), 'Greater', [v.x, 'fzero']),
        node(p('where'), 'Where', [p('gt')]),
        node(p('idx'), 'Squeeze', [p('where')], { squeeze_dims: A.ints([1]) }),
        node(p('kept'), 'GatherV2', [v.x, p('idx'), 'ax']),
        node(p('joined'), 'ConcatV2', [p('kept'), 'z6', 'ax'], { N: A.i(2) }),
        node(p('cut'), 'Slice', [p('joined'), 'begin', 'six']),
        node(p('moved'), 'AddV2', [p('cut'), 'shift']),
        node(p('i1'), 'AddV2', [v.i, 'one']),
      ],
      out: { i: p('i1'), x: p('moved') },
    })),
  fetch: ['loop/exit_x'],
}));

// --- TensorArrayV3 ------------------------------------------------------------------------------
const ta = (name, size, dtype, extra = {}) => node(name, 'TensorArrayV3', [size], {
  dtype: A.type(dtype), element_shape: extra.shape ? A.shape(extra.shape) : { shape: { unknownRank: true } },
  dynamic_size: A.b(extra.dynamic ?? false), clear_after_read: A.b(extra.clear ?? true),
  identical_element_shapes: A.b(true), tensor_array_name: A.s(extra.name ?? ''),
});

// tf.map_fn as TensorFlow 1 writes it: scatter x's rows into an array, loop reading each row,
// squaring it, writing it to a second array; gather the result; the array sizes too.
cases.push(makeCase('TensorArray map over rows', 'TensorArrayV3', {
  inputs: { x: f32([4, 3]) },
  consts: { four: i32c([], [4]), zero: i32c([], [0]), one: i32c([], [1]), range: i32c([4], [0, 1, 2, 3]) },
  nodes: [
    ta('in', 'four', 'float32', { shape: [3] }),
    ta('out', 'four', 'float32', { shape: [3] }),
    node('scatter', 'TensorArrayScatterV3', ['in', 'range', 'x', 'in:1']),
    ...whileLoop('map', [['i', 'zero'], ['flow', 'out:1']],
      [['n', 'four'], ['in', 'in'], ['scatter', 'scatter'], ['out', 'out']],
      (p, m) => ({ nodes: [node(p('less'), 'Less', [m.i, p('const_n')])], out: p('less') }),
      (p, v) => ({
        nodes: [
          node(p('row'), 'TensorArrayReadV3', [p('const_in'), v.i, p('const_scatter')], { dtype: A.type('float32') }),
          node(p('sq'), 'Square', [p('row')]),
          node(p('write'), 'TensorArrayWriteV3', [p('const_out'), v.i, p('sq'), v.flow]),
          node(p('i1'), 'AddV2', [v.i, 'one']),
        ],
        out: { i: p('i1'), flow: p('write') },
      })),
    node('size', 'TensorArraySizeV3', ['out', 'map/exit_flow']),
    node('gather', 'TensorArrayGatherV3', ['out', 'range', 'map/exit_flow'], {
      dtype: A.type('float32'), element_shape: A.shape([3]) }),
  ],
  fetch: ['gather', 'size'],
}));

// Split a tensor into blocks, read them back, concat; an int32 array; a closed array.
cases.push(makeCase('TensorArray split concat', 'TensorArraySplitV3', {
  inputs: { x: f32([6, 2]) },
  consts: { three: i32c([], [3]), lengths: i32c([3], [2, 2, 2]), one: i32c([], [1]) },
  nodes: [
    ta('arr', 'three', 'float32', { shape: [2, 2], clear: false }),
    node('split', 'TensorArraySplitV3', ['arr', 'x', 'lengths', 'arr:1']),
    node('read', 'TensorArrayReadV3', ['arr', 'one', 'split'], { dtype: A.type('float32') }),
    node('concat', 'TensorArrayConcatV3', ['arr', 'split', '^read'], { dtype: A.type('float32') }),
  ],
  fetch: ['concat', 'read'],
}));
cases.push(makeCase('TensorArray int32 dynamic size', 'TensorArrayWriteV3', {
  inputs: { v: { dtype: 'int32', shape: [2] } },
  consts: { one: i32c([], [1]), five: i32c([], [5]), idx: i32c([2], [5, 1]) },
  nodes: [
    ta('arr', 'one', 'int32', { dynamic: true }),
    node('w0', 'TensorArrayWriteV3', ['arr', 'five', 'v', 'arr:1']),
    node('w1', 'TensorArrayWriteV3', ['arr', 'one', 'v', 'w0']),
    node('size', 'TensorArraySizeV3', ['arr', 'w1']),
    node('gather', 'TensorArrayGatherV3', ['arr', 'idx', 'w1'], { dtype: A.type('int32') }),
  ],
  fetch: ['gather', 'size'],
}));
// Misuses TF.js refuses: a second read with clear_after_read, a second write, a write past a
// fixed size, a dtype that is not the array's, a read after close.
cases.push(makeCase('TensorArray read twice', 'TensorArrayReadV3', {
  inputs: { x: f32([2]) },
  consts: { two: i32c([], [2]), zero: i32c([], [0]) },
  nodes: [
    ta('arr', 'two', 'float32'),
    node('w', 'TensorArrayWriteV3', ['arr', 'zero', 'x', 'arr:1']),
    node('r1', 'TensorArrayReadV3', ['arr', 'zero', 'w'], { dtype: A.type('float32') }),
    node('r2', 'TensorArrayReadV3', ['arr', 'zero', 'w', '^r1'], { dtype: A.type('float32') }),
  ],
  fetch: ['r2'],
}));
cases.push(makeCase('TensorArray write twice', 'TensorArrayWriteV3', {
  inputs: { x: f32([2]) },
  consts: { two: i32c([], [2]), zero: i32c([], [0]) },
  nodes: [
    ta('arr', 'two', 'float32'),
    node('w', 'TensorArrayWriteV3', ['arr', 'zero', 'x', 'arr:1']),
    node('w2', 'TensorArrayWriteV3', ['arr', 'zero', 'x', 'w']),
  ],
  fetch: ['w2'],
}));
cases.push(makeCase('TensorArray write past its size', 'TensorArrayWriteV3', {
  inputs: { x: f32([2]) },
  consts: { two: i32c([], [2]) },
  nodes: [ta('arr', 'two', 'float32'), node('w', 'TensorArrayWriteV3', ['arr', 'two', 'x', 'arr:1'])],
  fetch: ['w'],
}));
cases.push(makeCase('TensorArray wrong dtype', 'TensorArrayWriteV3', {
  inputs: { x: { dtype: 'int32', shape: [2] } },
  consts: { two: i32c([], [2]), zero: i32c([], [0]) },
  nodes: [ta('arr', 'two', 'float32'), node('w', 'TensorArrayWriteV3', ['arr', 'zero', 'x', 'arr:1'])],
  fetch: ['w'],
}));
cases.push(makeCase('TensorArray read after close', 'TensorArrayCloseV3', {
  inputs: { x: f32([2]) },
  consts: { two: i32c([], [2]), zero: i32c([], [0]) },
  nodes: [
    ta('arr', 'two', 'float32', { clear: false }),
    node('w', 'TensorArrayWriteV3', ['arr', 'zero', 'x', 'arr:1']),
    node('close', 'TensorArrayCloseV3', ['arr', '^w']),
    node('r', 'TensorArrayReadV3', ['arr', 'zero', 'w', '^close'], { dtype: A.type('float32') }),
  ],
  fetch: ['r'],
}));

// --- TensorList: the ops beyond those real models use -------------------------------------------
const ed = (dt = 'float32') => ({ element_dtype: A.type(dt) });
cases.push(makeCase('TensorListScatter then Gather', 'TensorListScatter', {
  inputs: { x: f32([3, 2]) },
  consts: { idx: i32c([3], [2, 0, 1]), es: i32c([1], [2]), pick: i32c([2], [1, 2]), ones: i32c([], [-1]) },
  nodes: [
    node('list', 'TensorListScatter', ['x', 'idx', 'es'], ed()),
    node('g', 'TensorListGather', ['list', 'pick', 'es'], ed()),
    node('len', 'TensorListLength', ['list']),
  ],
  fetch: ['g', 'len'],
}));
cases.push(makeCase('TensorListScatterV2 with holes', 'TensorListScatterV2', {
  inputs: { x: f32([2, 3]) },
  consts: { idx: i32c([2], [3, 1]), es: i32c([], [-1]), n: i32c([], [5]), pick: i32c([2], [3, 1]) },
  nodes: [
    node('list', 'TensorListScatterV2', ['x', 'idx', 'es', 'n'], ed()),
    node('g', 'TensorListGather', ['list', 'pick', 'es'], ed()),
    node('len', 'TensorListLength', ['list']),
  ],
  fetch: ['g', 'len'],
}));
cases.push(makeCase('TensorListScatterV2 index past its size', 'TensorListScatterV2', {
  inputs: { x: f32([2, 3]) },
  consts: { idx: i32c([2], [3, 1]), es: i32c([], [-1]), n: i32c([], [2]) },
  nodes: [node('list', 'TensorListScatterV2', ['x', 'idx', 'es', 'n'], ed()),
          node('len', 'TensorListLength', ['list'])],
  fetch: ['len'],
}));
cases.push(makeCase('TensorListSplit then Concat', 'TensorListSplit', {
  inputs: { x: f32([6, 2]) },
  consts: { es: i32c([2], [-1, 2]), lengths: i32c([3], [1, 3, 2]), one: i32c([], [1]) },
  nodes: [
    node('list', 'TensorListSplit', ['x', 'es', 'lengths'], ed()),
    node('item', 'TensorListGetItem', ['list', 'one', 'es'], ed()),
    node('cat', 'TensorListConcat', ['list'], { ...ed(), element_shape: A.shape([-1, 2]) }),
    node('cat2', 'TensorListConcatV2', ['list'], { ...ed(), element_shape: A.shape([-1, 2]) }),
  ],
  fetch: ['cat', 'item', 'cat2'],
}));
// TF.js merges the element shape with the value's rows (not with the blocks), so only blocks of
// one row split with a row's shape.
cases.push(makeCase('TensorListSplit rows then Concat', 'TensorListSplit', {
  inputs: { x: f32([3, 2]) },
  consts: { es: i32c([1], [2]), lengths: i32c([3], [1, 1, 1]), one: i32c([], [1]) },
  nodes: [
    node('list', 'TensorListSplit', ['x', 'es', 'lengths'], ed()),
    node('item', 'TensorListGetItem', ['list', 'one', 'es'], ed()),
    node('cat', 'TensorListConcatV2', ['list'], { ...ed(), element_shape: A.shape([2]) }),
  ],
  fetch: ['cat', 'item'],
}));
cases.push(makeCase('TensorListPopBack', 'TensorListPopBack', {
  inputs: { x: f32([3, 4]) },
  consts: { es: i32c([1], [4]) },
  nodes: [
    node('list', 'TensorListFromTensor', ['x', 'es'], ed()),
    node('pop', 'TensorListPopBack', ['list', 'es'], ed()),
  ],
  fetch: ['pop'],
}));
cases.push(makeCase('TensorListResize', 'TensorListResize', {
  inputs: { x: { dtype: 'int32', shape: [3, 2] } },
  consts: { es: i32c([1], [2]), five: i32c([], [5]), two: i32c([], [2]), pick: i32c([2], [1, 0]) },
  nodes: [
    node('list', 'TensorListFromTensor', ['x', 'es'], ed('int32')),
    node('big', 'TensorListResize', ['list', 'five']),
    node('small', 'TensorListResize', ['list', 'two']),
    node('lenBig', 'TensorListLength', ['big']),
    node('g', 'TensorListGather', ['small', 'pick', 'es'], ed('int32')),
  ],
  fetch: ['lenBig', 'g'],
}));
cases.push(makeCase('TensorListGather of an unset element', 'TensorListGather', {
  inputs: { x: f32([2, 3]) },
  consts: { idx: i32c([2], [3, 1]), es: i32c([1], [3]), pick: i32c([2], [0, 1]) },
  nodes: [
    node('list', 'TensorListScatter', ['x', 'idx', 'es'], ed()),
    node('g', 'TensorListGather', ['list', 'pick', 'es'], ed()),
  ],
  fetch: ['g'],
}));

// A NoOp's control readers run in a graph with a Switch too (TF.js's NoOp gives a scalar 1; a
// real model, RVM, waits on one for every input).
for (const pick of [0, 1]) {
  cases.push(makeCase(`Switch after a NoOp control input (pred ${pick})`, 'NoOp', {
    inputs: { x: f32([2]), p: { dtype: 'bool', shape: [], values: [pick] } },
    nodes: [
      node('ctl', 'NoOp', ['^x']),
      node('xi', 'Identity', ['x', '^ctl']),
      node('sw', 'Switch', ['xi', 'p']),
      node('t', 'Neg', ['sw:1']),
      node('f', 'Exp', ['sw:0']),
      node('m', 'Merge', ['f', 't']),
      node('y', 'Identity', ['m', '^ctl']),
    ],
    fetch: ['y', 'ctl'],
  }));
}
