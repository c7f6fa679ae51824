// Per-op oracle cases of the text family (graph_op_cases.mjs): string and complex64 values,
// hash tables (with the model initializer), string, sparse, ragged and spectral ops.
import { A, DT, node, makeCase, f32, i32c, f32c, fn } from './common.mjs';
import { tf } from '../lib.mjs';

export const cases = [];
const str = (shape, values) => ({ dtype: 'string', shape, values });
const cpx = (shape, values) => ({ dtype: 'complex64', shape, values });

// --- string and complex64 at the model's edges ----------------------------------------------
cases.push(makeCase('Identity string feed and weight', 'Identity', {
  inputs: { x: str([2, 2], ['a', '', 'héllo', 'x y']) },
  consts: { w: str([3], ['', 'ü€😀', 'abc']) },
  nodes: [node('y', 'Identity', ['x']), node('z', 'Identity', ['w'])], fetch: ['y', 'z'],
}));
cases.push(makeCase('Identity complex64 feed and weight', 'Identity', {
  inputs: { x: cpx([2], [1, 2, -3, 0.5]) },
  consts: { w: cpx([1, 2], [0, 1, 2, 3]) },
  nodes: [node('y', 'Identity', ['x']), node('z', 'Identity', ['w'])], fetch: ['y', 'z'],
}));

// --- hash tables --------------------------------------------------------------------------
const table = (name, kd, vd) => node(name, 'HashTableV2', [], {
  key_dtype: A.type(kd), value_dtype: A.type(vd), shared_name: A.s(''), use_node_name_sharing: A.b(false) });
const lookup = (name, { keys, values, query, dflt, kd, vd, ops = ['LookupTableImportV2', 'LookupTableFindV2'],
  size = false }) => cases.push(makeCase(`${ops[1]} ${name}`, ops[1], {
  inputs: { q: query },
  consts: { k: keys, v: values, d: dflt },
  nodes: [table('t', kd, vd), node('imp', ops[0], ['t', 'k', 'v']),
          node('y', ops[1], ['t', 'q', 'd', '^imp']),
          ...(size ? [node('n', 'LookupTableSizeV2', ['t', '^imp'])] : [])],
  fetch: size ? ['y', 'n'] : ['y'],
}));
lookup('string to int', {
  keys: str([3], ['a', 'bb', 'ü']), values: i32c([3], [10, 20, 30]), dflt: i32c([], [-1]),
  query: str([2, 2], ['bb', 'zz', 'ü', '']), kd: 'string', vd: 'int32', size: true,
});
lookup('int to float rows', {
  keys: i32c([2], [5, -1]), values: f32c([2, 2], [1, 2, 3, 4]), dflt: f32c([2], [0, 0]),
  query: i32c([3], [-1, 7, 5]), kd: 'int32', vd: 'float32',
});
lookup('int to string v1 ops', {
  keys: i32c([2], [1, 2]), values: str([2], ['one', 'two']), dflt: str([], ['?']),
  query: i32c([3], [2, 3, 1]), kd: 'int32', vd: 'string', ops: ['InitializeTableV2', 'LookupTableFind'],
});
lookup('wrong key dtype', {
  keys: i32c([2], [1, 2]), values: f32c([2], [1, 2]), dflt: f32c([], [0]),
  query: f32c([1], [1]), kd: 'int32', vd: 'float32',
});
lookup('default shape mismatch', {
  keys: i32c([2], [1, 2]), values: f32c([2, 2], [1, 2, 3, 4]), dflt: f32c([], [0]),
  query: i32c([2], [1, 3]), kd: 'int32', vd: 'float32',
});
lookup('all defaults', {
  keys: i32c([2], [1, 2]), values: f32c([2, 2], [1, 2, 3, 4]), dflt: f32c([], [9]),
  query: i32c([2], [4, 3]), kd: 'int32', vd: 'float32',
});
lookup('key count mismatch', {
  keys: i32c([3], [1, 2, 3]), values: f32c([2], [1, 2]), dflt: f32c([], [0]),
  query: i32c([1], [1]), kd: 'int32', vd: 'float32',
});
// The v1 ops; a second import replaces the table's contents.
cases.push(makeCase('LookupTableImport v1 ops replace', 'LookupTableImport', {
  inputs: { q: i32c([3], [1, 2, 3]) },
  consts: { k1: i32c([2], [1, 2]), v1: f32c([2], [10, 20]), k2: i32c([1], [3]), v2: f32c([1], [30]),
            d: f32c([], [-1]) },
  nodes: [node('t', 'HashTable', [], { key_dtype: A.type('int32'), value_dtype: A.type('float32') }),
          node('init', 'InitializeTable', ['t', 'k1', 'v1']),
          node('imp', 'LookupTableImport', ['t', 'k2', 'v2', '^init']),
          node('y', 'LookupTableFind', ['t', 'q', 'd', '^imp']), node('n', 'LookupTableSize', ['t', '^imp'])],
  fetch: ['y', 'n'],
}));
cases.push(makeCase('LookupTableSize empty table', 'LookupTableSize', {
  nodes: [table('t', 'string', 'int32'), node('n', 'LookupTableSize', ['t'])], fetch: ['n'],
}));
// The model initializer fills the table the main graph's HashTable node (same name) reads.
cases.push(makeCase('HashTableV2 model initializer', 'HashTableV2', {
  inputs: { q: str([3], ['cat', 'dog', 'emu']) },
  consts: { k: str([2], ['dog', 'cat']), v: i32c([2], [1, 2]), d: i32c([], [0]) },
  initializer: [
    node('k', 'Const', [], { dtype: A.type('string'), value: { tensor: { dtype: DT.string } } }),
    node('v', 'Const', [], { dtype: A.type('int32'), value: { tensor: { dtype: DT.int32 } } }),
    table('t', 'string', 'int32'), node('imp', 'LookupTableImportV2', ['t', 'k', 'v'])],
  nodes: [table('t', 'string', 'int32'), node('y', 'LookupTableFindV2', ['t', 'q', 'd']),
          node('n', 'LookupTableSizeV2', ['t'])],
  fetch: ['y', 'n'],
}));

// --- string ops ---------------------------------------------------------------------------
const regex = (name, pattern, rewrite, global, values) => cases.push(makeCase(`StaticRegexReplace ${name}`, 'StaticRegexReplace', {
  inputs: { x: str([values.length], values) },
  nodes: [node('y', 'StaticRegexReplace', ['x'], { pattern: A.s(pattern), rewrite: A.s(rewrite),
    ...(global === undefined ? {} : { replace_global: A.b(global) }) })],
  fetch: ['y'],
}));
regex('global', ' +', ' ', true, ['format    this  spacing', '', 'none']);
regex('first only', 'a', 'X', false, ['banana', 'aaa', '']);
regex('default global', '[0-9]', '#', undefined, ['a1b22c333', '']);
regex('groups', '(\\w+)@(\\w+)', '$2 at $1 ($&)', true, ['me@host and you@there']);
regex('empty match', 'x*', '-', true, ['abc', '']);
regex('utf8', 'é.', '<$&>', true, ['héllo ééa', 'ü€😀']);
regex('bad pattern', '(', '', true, ['a']);

const ngrams = (name, { data, splits, widths, sep = ' ', left = '', right = '', pad = 0, preserve = false }) =>
  cases.push(makeCase(`StringNGrams ${name}`, 'StringNGrams', {
    inputs: { d: str([data.length], data) }, consts: { s: i32c([splits.length], splits) },
    nodes: [node('y', 'StringNGrams', ['d', 's'], {
      separator: A.s(sep), ngram_widths: A.ints(widths), left_pad: A.s(left), right_pad: A.s(right),
      pad_width: A.i(pad), preserve_short_sequences: A.b(preserve), Tsplits: A.type('int32') })],
    fetch: ['y:0', 'y:1'],
  }));
const words = ['a', 'b', 'c', 'd', 'e', 'ü', 'g'];
ngrams('bigrams', { data: words, splits: [0, 4, 4, 7], widths: [2] });
ngrams('widths 1 3 separator', { data: words, splits: [0, 2, 7], widths: [1, 3], sep: '+' });
ngrams('padded', { data: words, splits: [0, 1, 4, 7], widths: [2, 3], left: '<', right: '>', pad: 1, sep: '_' });
ngrams('dynamic pad', { data: words, splits: [0, 3, 7], widths: [3], left: 'L', right: 'R', pad: -1 });
ngrams('preserve short', { data: words, splits: [0, 1, 3, 3, 7], widths: [3], preserve: true });
ngrams('preserve short padded', { data: words, splits: [0, 1, 2, 7], widths: [5], pad: 1, left: 'L', right: 'R', preserve: true });
ngrams('empty data', { data: [], splits: [0, 0], widths: [2] });
ngrams('bad first split', { data: words, splits: [1, 7], widths: [2] });
ngrams('bad last split', { data: words, splits: [0, 3], widths: [2] });
ngrams('decreasing split', { data: words, splits: [0, 4, 2, 7], widths: [2] });

const split = (name, values, delim, skip) => cases.push(makeCase(`StringSplit ${name}`, 'StringSplit', {
  inputs: { x: str([values.length], values), d: str([], [delim]) },
  nodes: [node('y', 'StringSplit', ['x', 'd'], skip === undefined ? {} : { skip_empty: A.b(skip) })],
  fetch: ['y:0', 'y:1', 'y:2'],
}));
split('space', ['hello world', 'a b c', '', 'x'], ' ', true);
split('keep empty', ['a  b ', '', ' '], ' ', false);
split('default skip', ['a,,b', ',c'], ',', undefined);
split('several delimiters', ['a,b;c d', ';;x'], ',; ', false);
split('empty delimiter', ['abc', 'ü'], '', true);
split('none', [], ' ', true);

const hash = (name, values, buckets) => cases.push(makeCase(`StringToHashBucketFast ${name}`, 'StringToHashBucketFast', {
  inputs: { x: str([values.length], values) },
  nodes: [node('y', 'StringToHashBucketFast', ['x'], { num_buckets: A.i(buckets) })], fetch: ['y'],
}));
const long = (n) => Array.from({ length: n }, (_, k) => String.fromCharCode(33 + (k * 7) % 90)).join('');
hash('short', ['', 'a', 'ab', 'abc', 'abcd', 'Hello', 'TensorFlow', '2.x', 'ü€😀'], 1000);
hash('lengths', [long(8), long(15), long(16), long(17), long(31), long(32), long(33), long(63), long(64),
  long(65), long(100), long(128), long(129), long(300)], 2147483647);
hash('one bucket', ['a', 'b'], 1);
hash('zero buckets', ['a'], 0);
cases.push(makeCase('StringToHashBucketFast 2-D', 'StringToHashBucketFast', {
  inputs: { x: str([2, 2], ['a', 'b', 'c', 'd']) },
  nodes: [node('y', 'StringToHashBucketFast', ['x'], { num_buckets: A.i(7) })], fetch: ['y'],
}));
// TF.js reads string attributes lowercased and byte by byte (atob), not as UTF-8.
regex('uppercase pattern', '[A-Z]\\S', 'Ab', true, ['ABC abc aB', 'Zz']);
ngrams('non-ASCII separator', { data: words, splits: [0, 3, 7], widths: [2], sep: 'É', left: 'Ü', pad: 1 });
// A converted SavedModel's tables: the initializer's output is the main graph's resource input
// (initializerSignature / signature resourceId), not fed by the caller.
cases.push(makeCase('LookupTableFindV2 captured resource input', 'LookupTableFindV2', {
  inputs: { q: str([3], ['x', 'y', 'w']) },
  consts: { k: str([2], ['x', 'y']), v: f32c([2], [0.5, 1.5]), d: f32c([], [-1]) },
  initializer: [
    node('k', 'Const', [], { dtype: A.type('string'), value: { tensor: { dtype: DT.string } } }),
    node('v', 'Const', [], { dtype: A.type('float32'), value: { tensor: { dtype: DT.float32 } } }),
    table('hash_table', 'string', 'float32'), node('imp', 'LookupTableImportV2', ['hash_table', 'k', 'v']),
    node('out', 'Identity', ['hash_table', '^imp'])],
  initializerSignature: { outputs: { 'out:0': { name: 'out:0', dtype: 'DT_RESOURCE', tensorShape: {}, resourceId: 7 } } },
  signature: {
    inputs: { q: { name: 'q:0', dtype: 'DT_STRING', tensorShape: { dim: [{ size: '3' }] } },
              unknown: { name: 'unknown:0', dtype: 'DT_RESOURCE', tensorShape: {}, resourceId: 7 } },
    outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '3' }] } } },
  },
  nodes: [node('unknown', 'Placeholder', [], { dtype: { type: 'DT_RESOURCE' }, shape: A.shape([]) }),
          node('y', 'LookupTableFindV2', ['unknown', 'q', 'd'])],
  fetch: ['y'],
}));

// --- sparse -------------------------------------------------------------------------------
const fill = (name, { indices, rank = 2, values, dense, dflt, dtype = 'float32' }) =>
  cases.push(makeCase(`SparseFillEmptyRows ${name}`, 'SparseFillEmptyRows', {
    consts: { i: i32c([indices.length / rank, rank], indices), v: { dtype, shape: [values.length], values },
              s: i32c([dense.length], dense), d: { dtype, shape: [], values: [dflt] } },
    nodes: [node('y', 'SparseFillEmptyRows', ['i', 'v', 's', 'd'])],
    fetch: ['y:0', 'y:1', 'y:2', 'y:3'],
  }));
fill('empty rows', { indices: [0, 0, 1, 0, 1, 3, 1, 1, 3, 2], values: [0, 10, 13, 14, 32], dense: [5, 6], dflt: -1 });
fill('unordered int32', { indices: [3, 1, 0, 2, 3, 0], values: [1, 2, 3], dense: [4, 4], dflt: 7, dtype: 'int32' });
fill('full and ordered', { indices: [0, 1, 1, 0, 1, 2], values: [1.5, 2.5, 3.5], dense: [2, 3], dflt: 0 });
fill('no entries', { indices: [], values: [], dense: [3, 2], dflt: 4 });
fill('zero rows', { indices: [], values: [], dense: [0, 2], dflt: 4 });
fill('row out of range', { indices: [0, 0, 5, 0], values: [1, 2], dense: [3, 2], dflt: 0 });
fill('negative row', { indices: [-1, 0], values: [1], dense: [3, 2], dflt: 0 });

const sreshape = (name, indices, inShape, newShape) => cases.push(makeCase(`SparseReshape ${name}`, 'SparseReshape', {
  consts: { i: i32c([indices.length / inShape.length, inShape.length], indices),
            s: i32c([inShape.length], inShape), n: i32c([newShape.length], newShape) },
  nodes: [node('y', 'SparseReshape', ['i', 's', 'n'])], fetch: ['y:0', 'y:1'],
}));
sreshape('2-D to 3-D', [0, 0, 0, 1, 1, 2, 2, 3], [3, 4], [2, 3, 2]);
sreshape('infer', [0, 0, 1, 5, 2, 7], [3, 8], [-1, 4]);
sreshape('to 1-D', [1, 1, 0, 2], [2, 3], [6]);
sreshape('two unknowns', [0, 0], [2, 2], [-1, -1]);
sreshape('size mismatch', [0, 0], [2, 2], [3, 2]);
sreshape('not a multiple', [0, 0], [2, 3], [-1, 4]);

const segment = (op, name, dataShape, indices, ids, dtype = 'float32') => cases.push(makeCase(`${op} ${name}`, op, {
  inputs: { x: { dtype, shape: dataShape } },
  consts: { i: i32c([indices.length], indices), s: i32c([ids.length], ids) },
  nodes: [node('y', op, ['x', 'i', 's'])], fetch: ['y'],
}));
for (const op of ['SparseSegmentSum', 'SparseSegmentMean']) {
  segment(op, 'rows', [4, 3], [0, 1, 3, 2], [0, 0, 1, 1]);
  segment(op, 'gap segments', [3, 2], [2, 0, 1], [1, 1, 3]);
  segment(op, 'int32 1-D', [5], [4, 3, 1, 0, 2], [0, 0, 0, 1, 2], 'int32');
  segment(op, 'empty', [3, 2], [], []);
  segment(op, 'index out of range', [3, 2], [0, 3], [0, 1]);
  segment(op, 'decreasing ids', [3, 2], [0, 1, 2], [1, 0, 1]);
}

// --- ragged -------------------------------------------------------------------------------
// TF.js 4.22's OperationMapper does not load the ragged op list (tf.loadGraphModel: "Unknown
// op"), so each case's outputs come from TF.js's own kernels called directly on the case's feeds
// (`expect`, see graph_op_cases.mjs); the one-op graph is what tfjs-cpp runs. Every input is a
// Placeholder, so the feeds hold them all.
const viaTf = (c, expect) => cases.push(Object.assign(c, { expect }));
const typed = (dtype, [shape, values]) => ({ dtype, shape, values });
const sc = (x) => [[], [x]];
const vec = (...xs) => [[xs.length], xs];

// RaggedGather: nested splits s0..sN, dense values v, indices i; outputs the splits then the
// values. TF.js's op list would pass the graph node's splits without the last one (start 0,
// end -3); tfjs-cpp takes them all, as TensorFlow does, and so does the direct call here.
// Not here (tests/graph_model_test.cpp has it): TF.js checks a nested splits' last value
// against the next splits' length, not its row count, so splits [0, 2, 4] over [0, 1, 3, 6]
// pass and gathering row 1 reads past the end (output splits [0, 3, 0], values of shape [NaN]);
// tfjs-cpp refuses them.
const rgather = (name, { splits, values, indices, dtype = 'float32' }) => {
  const names = splits.map((_, k) => `s${k}`);
  const inputs = Object.fromEntries(splits.map((s, k) => [names[k], i32c([s.length], s)]));
  inputs.v = typed(dtype, values);
  inputs.i = i32c(...indices);
  const outRank = Math.max(indices[0].length - 1 + splits.length, 0);
  viaTf(makeCase(`RaggedGather ${name}`, 'RaggedGather', {
    inputs,
    nodes: [node('y', 'RaggedGather', [...names, 'v', 'i'], {
      Tvalues: A.type(dtype), Tindices: A.type('int32'), Tsplits: A.type('int32'),
      PARAMS_RAGGED_RANK: A.i(splits.length), OUTPUT_RAGGED_RANK: A.i(outRank) })],
    fetch: Array.from({ length: outRank + 1 }, (_, k) => `y:${k}`),
  }), async (f) => {
    const r = tf.raggedGather(names.map((n) => f[n]), f.v, f.i, outRank);
    return [...r.outputNestedSplits, r.outputDenseValues];
  });
};
const six = [[6], [1, 2, 3, 4, 5, 6]];
rgather('nested splits', { splits: [[0, 2, 3, 4], [0, 1, 3, 3, 6]], values: six, indices: vec(2, 0, 2) });
rgather('rows of 2-D int32 values', { splits: [[0, 2, 2, 5]], dtype: 'int32',
  values: [[5, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], indices: vec(1, 2, 0, 2) });
rgather('2-D indices', { splits: [[0, 1, 3, 6]], values: six, indices: [[2, 2], [2, 0, 1, 1]] });
rgather('2-D indices nested splits', { splits: [[0, 2, 3, 4], [0, 1, 3, 3, 6]], values: six,
  indices: [[3, 1], [1, 2, 0]] });
rgather('scalar index', { splits: [[0, 2, 3, 4], [0, 1, 3, 3, 6]], values: six, indices: sc(0) });
rgather('three levels', { splits: [[0, 2, 3], [0, 1, 2, 4], [0, 2, 3, 3, 5]],
  values: [[5, 1], [1.5, -2, 3, 0, 7]], indices: vec(1, 0, 1) });
rgather('empty indices', { splits: [[0, 2, 5]], values: [[5], [1, 2, 3, 4, 5]], indices: [[0], []] });
rgather('string values', { splits: [[0, 1, 3]], dtype: 'string', values: [[3], ['a', 'bc', 'ü']],
  indices: vec(1, 0) });
rgather('index out of range', { splits: [[0, 2, 3, 5]], values: [[5], [1, 2, 3, 4, 5]], indices: vec(0, 3) });
rgather('negative index', { splits: [[0, 2, 3, 5]], values: [[5], [1, 2, 3, 4, 5]], indices: vec(-1) });
rgather('decreasing splits', { splits: [[0, 3, 2, 5]], values: [[5], [1, 2, 3, 4, 5]], indices: vec(0) });
rgather('splits past the values', { splits: [[0, 2, 7]], values: [[5], [1, 2, 3, 4, 5]], indices: vec(1) });
rgather('negative split', { splits: [[-1, 2, 5]], values: [[5], [1, 2, 3, 4, 5]], indices: vec(1) });

// RaggedRange: starts, limits, deltas (scalars broadcast); outputs the splits and the values.
const rrange = (name, { starts, limits, deltas, dtype = 'int32' }) => viaTf(
  makeCase(`RaggedRange ${name}`, 'RaggedRange', {
    inputs: { s: typed(dtype, starts), l: typed(dtype, limits), d: typed(dtype, deltas) },
    nodes: [node('y', 'RaggedRange', ['s', 'l', 'd'], { T: A.type(dtype), Tsplits: A.type('int32') })],
    fetch: ['y:0', 'y:1'],
  }), async (f) => {
    const r = tf.raggedRange(f.s, f.l, f.d);
    return [r.rtNestedSplits, r.rtDenseValues];
  });
rrange('int32 scalar delta', { starts: vec(0, 5, 10), limits: vec(3, 9, 4), deltas: sc(2) });
rrange('float32 negative deltas', { dtype: 'float32', starts: vec(5, 0.5, 1), limits: vec(0, -2, 1),
  deltas: vec(-1.5, -0.75, -1) });
rrange('all scalars', { starts: sc(-3), limits: sc(7), deltas: sc(3) });
rrange('scalar start mixed signs', { starts: sc(2), limits: vec(10, -4, 2, 3), deltas: vec(3, -2, 1, -1) });
rrange('float32 fractional steps', { dtype: 'float32', starts: vec(0.1, -1, 2.5), limits: vec(1, 1, 0),
  deltas: sc(0.1) });
rrange('scalar limit', { dtype: 'float32', starts: vec(0, 1.25), limits: sc(3), deltas: vec(0.5, -1) });
rrange('no rows', { starts: [[0], []], limits: sc(3), deltas: sc(1) });
rrange('zero delta', { starts: vec(0, 1), limits: sc(3), deltas: vec(1, 0) });
rrange('length mismatch', { starts: vec(0, 1), limits: vec(3, 4, 5), deltas: sc(1) });
rrange('rank 2 starts', { starts: [[1, 2], [0, 1]], limits: sc(3), deltas: sc(1) });
rrange('size over int32', { starts: sc(-2000000000), limits: sc(2000000000), deltas: sc(1) });
rrange('infinite limit', { dtype: 'float32', starts: sc(0), limits: sc(Infinity), deltas: sc(1) });

// RaggedTensorToTensor: shape, values, default_value, then the row partition tensors of
// row_partition_types (a number: a scalar, FIRST_DIM_SIZE's). TF.js's kernel is wrong in ways
// these cases avoid (tfjs-cpp computes TensorFlow's results or refuses; tests/graph_model_test.cpp
// checks them):
//  - combineRaggedTensorToTensorShapes reads shape[shape[k]] for an inner dimension k (a value
//    used as an index), so an inner dimension must be given, at a position equal to its size
//    ([-1, -1, 2] for values [n, 2]); [-1, -1, 3] for values [2, 3] gives shape [2, 1, 3, 3]
//    with NaNs, an inner -1 "Dimension -1 must be >= 0", and the scalar -1 shape (unknown rank)
//    is refused as incompatible (rank 0);
//  - a non-scalar default value is written into a copy (slice) of the output, which keeps 0:
//    only zeros, a [1]-shaped default (filled) or a case with nothing to pad are right;
//  - values the partitions do not describe are ignored (too many) or read past the end (too
//    few: NaN), and value_rowids out of order are placed anyhow: tfjs-cpp refuses them;
//  - tfjs-converter lowercases string list attributes, and the kernel given 'row_splits'
//    refuses "No row_partition_types given." (tfjs-cpp reads them as written).
const r2t = (name, { shape, values, dflt, parts, types, dtype = 'float32' }) => {
  const names = parts.map((_, k) => `p${k}`);
  const inputs = { sh: i32c(...shape), v: typed(dtype, values), d: typed(dtype, dflt) };
  parts.forEach((p, k) => { inputs[names[k]] = typeof p === 'number' ? i32c([], [p]) : i32c([p.length], p); });
  viaTf(makeCase(`RaggedTensorToTensor ${name}`, 'RaggedTensorToTensor', {
    inputs,
    nodes: [node('y', 'RaggedTensorToTensor', ['sh', 'v', 'd', ...names], {
      T: A.type(dtype), Tindex: A.type('int32'), Tshape: A.type('int32'),
      num_row_partition_tensors: A.i(parts.length), row_partition_types: A.strs(types) })],
    fetch: ['y'],
  }), async (f) => [tf.raggedTensorToTensor(f.sh, f.v, f.d, names.map((n) => f[n]), types)]);
};
const five = [[5], [1, 2, 3, 4, 5]];
const SPLITS = ['ROW_SPLITS'];
const ROWIDS = ['FIRST_DIM_SIZE', 'VALUE_ROWIDS'];
r2t('row splits natural shape', { shape: vec(-1, -1), values: five, dflt: sc(0), parts: [[0, 2, 2, 5]], types: SPLITS });
r2t('rows cut columns padded', { shape: vec(2, 4), values: five, dflt: sc(9), parts: [[0, 2, 2, 5]], types: SPLITS });
r2t('rows padded columns cut', { shape: vec(5, 2), values: five, dflt: sc(-1), parts: [[0, 2, 2, 5]], types: SPLITS });
r2t('first dim unknown width given', { shape: vec(-1, 3), values: five, dflt: sc(0.5), parts: [[0, 1, 5]], types: SPLITS });
r2t('value rowids int32', { dtype: 'int32', shape: vec(-1, -1), values: [[6], [1, 2, 3, 4, 5, 6]], dflt: sc(-1),
  parts: [5, [0, 0, 2, 2, 2, 3]], types: ROWIDS });
r2t('value rowids cut', { dtype: 'int32', shape: vec(3, 2), values: [[6], [1, 2, 3, 4, 5, 6]], dflt: sc(7),
  parts: [5, [0, 0, 2, 2, 2, 3]], types: ROWIDS });
r2t('value rowids empty', { shape: vec(-1, -1), values: [[0], []], dflt: sc(3), parts: [2, []], types: ROWIDS });
r2t('two row splits levels', { shape: vec(-1, -1, -1), values: six, dflt: sc(0),
  parts: [[0, 2, 3], [0, 1, 4, 6]], types: ['ROW_SPLITS', 'ROW_SPLITS'] });
r2t('two levels cut', { shape: vec(2, 1, 2), values: six, dflt: sc(-5),
  parts: [[0, 2, 3], [0, 1, 4, 6]], types: ['ROW_SPLITS', 'ROW_SPLITS'] });
r2t('row splits then value rowids', { shape: vec(-1, -1, -1), values: six, dflt: sc(0),
  parts: [[0, 2, 3], [0, 0, 1, 2, 2, 2]], types: ['ROW_SPLITS', 'VALUE_ROWIDS'] });
r2t('two value rowids levels', { shape: vec(-1, -1, -1), values: five, dflt: sc(0),
  parts: [4, [0, 0, 2], [0, 1, 1, 1, 2]], types: ['FIRST_DIM_SIZE', 'VALUE_ROWIDS', 'VALUE_ROWIDS'] });
r2t('2-D values', { shape: vec(-1, -1, 2), values: [[5, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], dflt: sc(0.5),
  parts: [[0, 1, 1, 5]], types: SPLITS });
r2t('2-D values default of shape [1]', { shape: vec(-1, -1, 2), values: [[5, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  dflt: [[1], [7]], parts: [[0, 1, 1, 5]], types: SPLITS });
// A [2] default: TF.js pads with 0 whatever it holds, so zeros here (tfjs-cpp pads with it).
r2t('2-D values zero default of shape [2]', { shape: vec(3, 3, 2), values: [[5, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  dflt: [[2], [0, 0]], parts: [[0, 1, 1, 5]], types: SPLITS });
r2t('2-D values full rows', { shape: vec(-1, -1, 2), values: [[4, 2], [1, 2, 3, 4, 5, 6, 7, 8]],
  dflt: [[2], [5, 6]], parts: [[0, 2, 4]], types: SPLITS });
r2t('3-D values', { dtype: 'int32', shape: vec(-1, -1, 2, 2), values: [[3, 2, 2], Array.from({ length: 12 }, (_, k) => k)],
  dflt: sc(-1), parts: [[0, 2, 2, 3]], types: SPLITS });
r2t('values rank 2 two levels', { shape: vec(-1, -1, -1, 3), values: [[3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  dflt: sc(0), parts: [[0, 1, 3], [0, 2, 2, 3]], types: ['ROW_SPLITS', 'ROW_SPLITS'] });
r2t('empty rows', { shape: vec(-1, -1), values: [[0], []], dflt: sc(1), parts: [[0, 0, 0]], types: SPLITS });
r2t('value rowids first', { shape: vec(-1, -1), values: five, dflt: sc(0), parts: [[0, 0, 1, 1, 1]], types: ['VALUE_ROWIDS'] });
r2t('empty first partition', { shape: vec(-1, -1), values: [[0], []], dflt: sc(0), parts: [[]], types: SPLITS });
r2t('shape of the wrong rank', { shape: vec(-1, -1, -1), values: five, dflt: sc(0), parts: [[0, 2, 5]], types: SPLITS });
r2t('scalar shape not -1', { shape: sc(3), values: five, dflt: sc(0), parts: [[0, 2, 5]], types: SPLITS });
r2t('dimension below -1', { shape: vec(-2, -1), values: five, dflt: sc(0), parts: [[0, 2, 5]], types: SPLITS });
r2t('default of the values rank', { shape: vec(-1, -1), values: five, dflt: [[1], [0]], parts: [[0, 2, 5]], types: SPLITS });
r2t('decreasing row splits', { shape: vec(-1, -1), values: five, dflt: sc(0), parts: [[0, 3, 2, 5]], types: SPLITS });
r2t('row splits not from 0', { shape: vec(-1, -1), values: [[2], [1, 2]], dflt: sc(0), parts: [[1, 3]], types: SPLITS });
r2t('more rows than the level above', { shape: vec(-1, -1, -1), values: [[3], [1, 2, 3]], dflt: sc(0),
  parts: [[0, 1, 2], [0, 1, 2, 3]], types: ['ROW_SPLITS', 'ROW_SPLITS'] });
r2t('value rowid past first dim size', { shape: vec(-1, -1), values: [[3], [1, 2, 3]], dflt: sc(0),
  parts: [2, [0, 1, 3]], types: ROWIDS });
r2t('negative first dim size', { shape: vec(-1, -1), values: [[0], []], dflt: sc(0), parts: [-2, []], types: ROWIDS });
r2t('row lengths unsupported', { shape: vec(-1, -1), values: five, dflt: sc(0), parts: [[2, 3]], types: ['ROW_LENGTHS'] });

// --- spectral and complex64 ---------------------------------------------------------------
const cplx = (shape, rng) => ({ dtype: 'complex64', shape,
  values: Array.from({ length: 2 * shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.fround(Math.sin(k * 1.7 + rng) * 2)) });
const spectral = (op, name, x) => cases.push(makeCase(`${op} ${name}`, op, {
  inputs: { x }, nodes: [node('y', op, ['x'])], fetch: ['y'],
}));
spectral('FFT', 'power of two', cplx([8], 1));
spectral('FFT', 'batch of 5', cplx([2, 3, 5], 2));
spectral('FFT', 'length 1', cplx([3, 1], 3));
spectral('FFT', 'float32 refused', f32([4]));
spectral('IFFT', 'power of two', cplx([2, 16], 4));
spectral('IFFT', 'length 6', cplx([6], 5));
spectral('IFFT', 'int32 refused', { dtype: 'int32', shape: [4] });
const rfftCase = (op, name, x) => cases.push(makeCase(`${op} ${name}`, op, {
  inputs: { x }, consts: { n: i32c([1], [x.shape[x.shape.length - 1]]) },
  nodes: [node('y', op, ['x', 'n'])], fetch: ['y'],
}));
rfftCase('RFFT', 'length 8', f32([8]));
rfftCase('RFFT', 'batch length 7', f32([3, 7]));
rfftCase('RFFT', 'length 1', f32([2, 1]));
rfftCase('RFFT', 'complex refused', cplx([4], 6));
rfftCase('IRFFT', 'length 5', cplx([5], 7));
rfftCase('IRFFT', 'batch length 4', cplx([3, 4], 8));
rfftCase('IRFFT', 'rank 3', cplx([2, 3, 6], 9));
rfftCase('IRFFT', 'length 2', cplx([2, 2], 10));
rfftCase('IRFFT', 'length 1', cplx([1], 11));
rfftCase('IRFFT', 'float32 refused', f32([4]));
cases.push(makeCase('Complex Real Imag ComplexAbs', 'Complex', {
  inputs: { re: f32([2, 3]), im: f32([2, 3]) },
  nodes: [node('c', 'Complex', ['re', 'im'], { Tout: A.type('complex64') }), node('r', 'Real', ['c']),
          node('i', 'Imag', ['c']), node('a', 'ComplexAbs', ['c'])],
  fetch: ['c', 'r', 'i', 'a'],
}));
cases.push(makeCase('Complex int32 parts', 'Complex', {
  inputs: { re: { dtype: 'int32', shape: [3] }, im: { dtype: 'int32', shape: [3] } },
  nodes: [node('c', 'Complex', ['re', 'im'])], fetch: ['c'],
}));
cases.push(makeCase('Complex shape mismatch', 'Complex', {
  inputs: { re: f32([3]), im: f32([2]) }, nodes: [node('c', 'Complex', ['re', 'im'])], fetch: ['c'],
}));
spectral('ComplexAbs', 'float32', f32([5]));
spectral('ComplexAbs', 'int32', { dtype: 'int32', shape: [5] });
spectral('ComplexAbs', 'complex64 with zeros', cpx([3], [0, 0, 3, -4, -1e-3, 2e-3]));
spectral('Real', 'float32 refused', f32([2]));
spectral('Imag', 'complex64', cplx([2, 2], 12));
// JavaScript strings are UTF-16: '.' matches half of an astral character; bytes that are not UTF-8
// are decoded as U+FFFD.
regex('astral', '.', 'x', true, ['a😀', '😀']);
regex('first astral half', '.', '', false, ['😀b']);
regex('invalid UTF-8', 'b', 'c', true, [Buffer.from([0x61, 0xff, 0x62, 0xc3])]);
ngrams('wide padding', { data: words, splits: [0, 2, 7], widths: [4], left: '<', right: '>', pad: 2 });

// Strings through the ops TF.js takes them in (tfjs-core's 'string_or_numeric' ops): Pack,
// ConcatV2, Slice, StridedSlice, Tile, Reshape, ExpandDims, Squeeze, Unpack, GatherNd, Equal,
// NotEqual, Unique; GatherV2 and Transpose refuse them, as TF.js does.
cases.push(makeCase('strings moved and compared', 'Pack', {
  inputs: { a: { dtype: 'string', shape: [2, 2], values: ['a', 'bb', '', 'ü'] },
            b: { dtype: 'string', shape: [2, 2], values: ['c', 'bb', 'e', 'ü'] } },
  consts: { ax: i32c([], [1]), begin: i32c([2], [0, 1]), size: i32c([2], [2, 1]), end: i32c([2], [2, 2]),
            strides: i32c([2], [1, 1]), reps: i32c([2], [1, 2]), shape: i32c([1], [4]), zero: i32c([], [0]),
            nd: i32c([2, 2], [1, 1, 0, 1]) },
  nodes: [
    node('pack', 'Pack', ['a', 'b'], { axis: A.i(0), N: A.i(2) }),
    node('cat', 'ConcatV2', ['a', 'b', 'ax'], { N: A.i(2) }),
    node('slice', 'Slice', ['cat', 'begin', 'size']),
    node('ss', 'StridedSlice', ['cat', 'begin', 'end', 'strides']),
    node('tile', 'Tile', ['a', 'reps']),
    node('flat', 'Reshape', ['b', 'shape']),
    node('ex', 'ExpandDims', ['flat', 'zero']),
    node('sq', 'Squeeze', ['ex'], { squeeze_dims: A.ints([0]) }),
    node('rows', 'Unpack', ['a'], { axis: A.i(0), num: A.i(2) }),
    node('gnd', 'GatherNd', ['b', 'nd']),
    node('eq', 'Equal', ['a', 'b']),
    node('ne', 'NotEqual', ['a', 'b']),
    node('uniq', 'Unique', ['flat']),
  ],
  fetch: ['pack', 'cat', 'slice', 'ss', 'tile', 'sq', 'rows:1', 'gnd', 'eq', 'ne', 'uniq', 'uniq:1'],
}));
for (const [op, extra] of [['GatherV2', ['idx', 'ax']], ['Transpose', ['perm']]]) {
  cases.push(makeCase(`${op} of strings`, op, {
    inputs: { b: { dtype: 'string', shape: [2, 2], values: ['c', 'd', 'e', 'ff'] } },
    consts: { perm: i32c([2], [1, 0]), idx: i32c([1], [1]), ax: i32c([], [0]) },
    nodes: [node('y', op, ['b', ...extra])],
    fetch: ['y'],
  }));
}
