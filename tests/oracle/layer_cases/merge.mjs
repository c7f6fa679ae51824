// Broadcasting merges and Dot (src/layers/merge.cpp).
function pair(tf, shapeA, shapeB, make) {
  const a = tf.input({ shape: shapeA, name: 'a' });
  const b = tf.input({ shape: shapeB, name: 'b' });
  return tf.model({ inputs: [a, b], outputs: make(tf, a, b) });
}

const broadcasting = [
  ['add', [3, 4], [1, 4]],
  ['multiply', [3, 1], [3, 4]],
  ['maximum', [2, 3, 4], [4]],
  ['minimum', [4], [2, 3, 4]],
  ['average', [3, 4], [3, 1]],
];

const dots = [
  // [name, shapeA, shapeB, axes, normalize]
  ['dot_rank2', [5], [5], -1, false],
  ['dot_rank2_normalize', [5], [5], 1, true],
  ['dot_rank3_last', [3, 4], [2, 4], 2, false],
  ['dot_rank3_first', [3, 4], [3, 2], 1, false],
  ['dot_rank3_pair_1_2', [3, 4], [2, 3], [1, 2], false],
  ['dot_rank3_pair_2_1', [3, 4], [4, 2], [2, 1], false],
  ['dot_rank3_normalize', [3, 4], [2, 4], -1, true],
  ['dot_rank3_rank2', [3, 4], [4], [2, 1], false],
  ['dot_rank2_rank3', [4], [4, 3], [1, 1], false],
  ['dot_rank2_rank3_last', [4], [3, 4], [-1, -1], false],
];

export default [
  ...broadcasting.map(([op, a, b]) => ({
    name: `merge_${op}_broadcast_${a.join('x')}_${b.join('x')}`,
    model: (tf) => pair(tf, a, b, (t, x, y) => t.layers[op]().apply([x, y])),
    inputs: [[2, ...a], [2, ...b]],
  })),
  {
    name: 'merge_add_three_inputs_broadcast',
    model: (tf) => {
      const a = tf.input({ shape: [3, 4] });
      const b = tf.input({ shape: [1, 4] });
      const c = tf.input({ shape: [4] });
      return tf.model({ inputs: [a, b, c], outputs: tf.layers.add().apply([a, b, c]) });
    },
    inputs: [[2, 3, 4], [2, 1, 4], [2, 4]],
  },
  ...dots.map(([name, a, b, axes, normalize]) => ({
    name,
    model: (tf) => pair(tf, a, b, (t, x, y) => t.layers.dot({ axes, normalize }).apply([x, y])),
    inputs: [[3, ...a], [3, ...b]],
    inputRange: [-2, 2],
  })),
];
