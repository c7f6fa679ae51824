// Core, reshape and merge layers (src/layers/core.cpp, reshape.cpp, merge.cpp).
const activations = ['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'softplus',
  'softsign', 'tanh', 'softmax', 'swish', 'mish', 'gelu', 'gelu_new', 'logSoftmax'];

function twoInputs(tf, make) {
  const a = tf.input({ shape: [3, 4], name: 'a' });
  const b = tf.input({ shape: [3, 4], name: 'b' });
  return tf.model({ inputs: [a, b], outputs: make(tf, a, b) });
}

export default [
  ...activations.map((activation) => ({
    name: `dense_${activation}`,
    layers: (tf) => [tf.layers.dense({ units: 5, activation, inputShape: [7] })],
    inputs: [[3, 7]],
    inputRange: [-3, 3],
  })),
  { name: 'dense_no_bias_rank3', layers: (tf) => [tf.layers.dense({ units: 4, useBias: false, inputShape: [2, 6] })], inputs: [[2, 2, 6]] },
  { name: 'activation_softmax_rank3', layers: (tf) => [tf.layers.activation({ activation: 'softmax', inputShape: [3, 5] })], inputs: [[2, 3, 5]], inputRange: [-5, 5] },
  { name: 'dropout_flatten', layers: (tf) => [tf.layers.dropout({ rate: 0.5, inputShape: [2, 3, 4] }), tf.layers.flatten(), tf.layers.dense({ units: 3 })], inputs: [[2, 2, 3, 4]] },
  { name: 'flatten_channels_first', layers: (tf) => [tf.layers.flatten({ dataFormat: 'channelsFirst', inputShape: [3, 2, 2] }), tf.layers.dense({ units: 2 })], inputs: [[2, 3, 2, 2]] },
  { name: 'noise_layers_identity', layers: (tf) => [tf.layers.gaussianNoise({ stddev: 1, inputShape: [4] }), tf.layers.gaussianDropout({ rate: 0.3 }), tf.layers.alphaDropout({ rate: 0.3 })], inputs: [[3, 4]] },
  { name: 'reshape_permute_repeat', layers: (tf) => [tf.layers.reshape({ targetShape: [3, 4], inputShape: [12] }), tf.layers.permute({ dims: [2, 1] }), tf.layers.flatten(), tf.layers.repeatVector({ n: 3 })], inputs: [[2, 12]] },
  { name: 'reshape_unknown_dim', layers: (tf) => [tf.layers.reshape({ targetShape: [-1, 3], inputShape: [2, 6] })], inputs: [[2, 2, 6]] },
  { name: 'permute_rank4', layers: (tf) => [tf.layers.permute({ dims: [3, 1, 2], inputShape: [2, 3, 4] })], inputs: [[2, 2, 3, 4]] },
  { name: 'merge_add', model: (tf) => twoInputs(tf, (t, a, b) => t.layers.add().apply([a, b])), inputs: [[2, 3, 4], [2, 3, 4]] },
  { name: 'merge_multiply', model: (tf) => twoInputs(tf, (t, a, b) => t.layers.multiply().apply([a, b])), inputs: [[2, 3, 4], [2, 3, 4]] },
  { name: 'merge_average', model: (tf) => twoInputs(tf, (t, a, b) => t.layers.average().apply([a, b])), inputs: [[2, 3, 4], [2, 3, 4]] },
  { name: 'merge_maximum', model: (tf) => twoInputs(tf, (t, a, b) => t.layers.maximum().apply([a, b])), inputs: [[2, 3, 4], [2, 3, 4]] },
  { name: 'merge_minimum', model: (tf) => twoInputs(tf, (t, a, b) => t.layers.minimum().apply([a, b])), inputs: [[2, 3, 4], [2, 3, 4]] },
  { name: 'merge_concatenate_axis1', model: (tf) => twoInputs(tf, (t, a, b) => t.layers.concatenate({ axis: 1 }).apply([a, b])), inputs: [[2, 3, 4], [2, 3, 4]] },
  { name: 'merge_concatenate_last', model: (tf) => twoInputs(tf, (t, a, b) => t.layers.concatenate().apply([a, t.layers.dense({ units: 2 }).apply(b)])), inputs: [[2, 3, 4], [2, 3, 4]] },
  {
    name: 'functional_shared_layer_twice',
    model: (tf) => {
      const x = tf.input({ shape: [5] });
      const shared = tf.layers.dense({ units: 5, activation: 'tanh' });
      const y = shared.apply(shared.apply(x));
      return tf.model({ inputs: x, outputs: [y, tf.layers.dense({ units: 2 }).apply(y)] });
    },
    inputs: [[3, 5]],
  },
  {
    name: 'nested_sequential_in_functional',
    model: (tf) => {
      const inner = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'relu', inputShape: [6] }), tf.layers.dense({ units: 3 })] });
      const x = tf.input({ shape: [6] });
      return tf.model({ inputs: x, outputs: tf.layers.add().apply([inner.apply(x), tf.layers.dense({ units: 3 }).apply(x)]) });
    },
    inputs: [[2, 6]],
  },
];
