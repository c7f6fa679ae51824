// TimeDistributed (src/layers/wrappers.cpp) and ConvLSTM2D (src/layers/conv_recurrent.cpp).
const cf = 'channelsFirst';

function td(name, inner, input, extra = {}) {
  return {
    name,
    layers: (tf) => [tf.layers.timeDistributed({ layer: inner(tf), inputShape: input.slice(1) })],
    inputs: [input],
    ...extra,
  };
}

function convlstm(name, args, input, extra = {}) {
  return { name, layers: (tf) => [tf.layers.convLstm2d({ inputShape: input.slice(1), ...args })], inputs: [input], ...extra };
}

// A functional model whose outputs are ConvLSTM2D's [output, h, c].
function convlstmState(name, args, input) {
  return {
    name,
    model: (tf) => {
      const x = tf.input({ shape: input.slice(1) });
      const outs = tf.layers.convLstm2d({ ...args, returnState: true }).apply(x);
      return tf.model({ inputs: x, outputs: outs });
    },
    inputs: [input],
  };
}

export default [
  // TimeDistributed
  td('td_dense', (tf) => tf.layers.dense({ units: 3, activation: 'relu' }), [2, 4, 5]),
  td('td_dense_rank4_softmax', (tf) => tf.layers.dense({ units: 4, activation: 'softmax' }), [2, 3, 2, 5]),
  td('td_conv2d', (tf) => tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }), [2, 3, 6, 5, 2]),
  td('td_conv2d_channels_first', (tf) => tf.layers.conv2d({ filters: 2, kernelSize: 2, dataFormat: cf }), [2, 3, 2, 5, 4]),
  td('td_maxpool2d', (tf) => tf.layers.maxPooling2d({ poolSize: 2 }), [2, 3, 6, 5, 2]),
  td('td_batchnorm', (tf) => tf.layers.batchNormalization({}), [2, 4, 3]),
  td('td_td_dense', (tf) => tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }), [2, 3, 4, 5]),
  {
    name: 'td_flatten_dense',
    layers: (tf) => [
      tf.layers.timeDistributed({ layer: tf.layers.flatten(), inputShape: [3, 4, 2, 2] }),
      tf.layers.dense({ units: 3, activation: 'sigmoid' }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
    ],
    inputs: [[2, 3, 4, 2, 2]],
  },
  {
    name: 'td_conv_pool_flatten_stack',
    layers: (tf) => [
      tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), inputShape: [4, 8, 8, 1] }),
      tf.layers.timeDistributed({ layer: tf.layers.maxPooling2d({ poolSize: 2 }) }),
      tf.layers.timeDistributed({ layer: tf.layers.flatten() }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3 }) }),
    ],
    inputs: [[2, 4, 8, 8, 1]],
  },
  {
    name: 'td_functional_shared_and_merged',
    model: (tf) => {
      const x = tf.input({ shape: [4, 6] });
      const shared = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 6, activation: 'tanh' }) });
      const a = shared.apply(shared.apply(x));
      const b = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 6 }) }).apply(x);
      const y = tf.layers.add().apply([a, b]);
      const z = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'softmax' }) }).apply(y);
      return tf.model({ inputs: x, outputs: [y, z] });
    },
    inputs: [[3, 4, 6]],
  },
  {
    // Embedding's mask passes through TimeDistributed (Dense does not read it).
    name: 'td_after_mask_zero_embedding',
    layers: (tf) => [
      tf.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [6] }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
    ],
    inputs: [[3, 6]],
    inputRange: [0, 5],
    inputInt: true,
  },
  // Recurrent inner layers run over the inner time axis of every outer step.
  td('td_lstm', (tf) => tf.layers.lstm({ units: 3 }), [2, 3, 4, 5]),
  td('td_gru_sequences', (tf) => tf.layers.gru({ units: 2, returnSequences: true }), [2, 3, 4, 3]),
  td('td_bidirectional_lstm', (tf) => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) }), [2, 3, 4, 3]),
  {
    // The classic tagger: the mask of Embedding goes through the LSTM and the TimeDistributed.
    name: 'td_after_masked_lstm',
    layers: (tf) => [
      tf.layers.embedding({ inputDim: 6, outputDim: 4, maskZero: true, inputShape: [7] }),
      tf.layers.lstm({ units: 3, returnSequences: true }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'softmax' }) }),
    ],
    inputs: [[3, 7]],
    inputRange: [0, 6],
    inputInt: true,
  },

  // ConvLSTM2D
  convlstm('convlstm2d_valid', { filters: 3, kernelSize: 3 }, [2, 4, 6, 6, 2]),
  convlstm('convlstm2d_same_sequences', { filters: 2, kernelSize: 3, padding: 'same', returnSequences: true }, [2, 3, 5, 4, 2]),
  convlstm('convlstm2d_even_kernel_same', { filters: 2, kernelSize: [2, 4], padding: 'same', returnSequences: true }, [2, 3, 4, 5, 3]),
  convlstm('convlstm2d_strides_same', { filters: 3, kernelSize: 3, strides: 2, padding: 'same' }, [1, 3, 7, 6, 2]),
  convlstm('convlstm2d_strides_valid', { filters: 2, kernelSize: [3, 2], strides: [2, 1], returnSequences: true }, [2, 3, 7, 5, 2]),
  convlstm('convlstm2d_dilation', { filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same' }, [2, 3, 7, 6, 2]),
  convlstm('convlstm2d_dilation_valid', { filters: 2, kernelSize: 2, dilationRate: [2, 3] }, [1, 3, 6, 7, 2]),
  convlstm('convlstm2d_channels_first', { filters: 2, kernelSize: 3, padding: 'same', dataFormat: cf, returnSequences: true }, [2, 3, 2, 5, 4]),
  convlstm('convlstm2d_channels_first_valid_strides', { filters: 3, kernelSize: 2, strides: 2, dataFormat: cf }, [2, 3, 2, 6, 5]),
  convlstm('convlstm2d_go_backwards', { filters: 2, kernelSize: 3, padding: 'same', goBackwards: true }, [2, 4, 4, 4, 2]),
  convlstm('convlstm2d_go_backwards_sequences', { filters: 2, kernelSize: 3, padding: 'same', goBackwards: true, returnSequences: true }, [2, 4, 4, 4, 2]),
  convlstm('convlstm2d_relu_sigmoid_no_bias', { filters: 3, kernelSize: 2, activation: 'relu', recurrentActivation: 'sigmoid', useBias: false, returnSequences: true }, [2, 3, 4, 4, 2]),
  // Dropouts are the identity at inference; unitForgetBias only initializes.
  convlstm('convlstm2d_dropout_unit_forget_bias', { filters: 2, kernelSize: 3, padding: 'same', dropout: 0.3, recurrentDropout: 0.2, unitForgetBias: true }, [2, 3, 5, 5, 2]),
  convlstmState('convlstm2d_return_state', { filters: 2, kernelSize: 3, padding: 'same' }, [2, 3, 5, 4, 2]),
  convlstmState('convlstm2d_return_state_sequences_cf', { filters: 3, kernelSize: 2, returnSequences: true, goBackwards: true, dataFormat: cf }, [2, 3, 2, 4, 5]),
  {
    name: 'convlstm2d_stack_td_dense',
    layers: (tf) => [
      tf.layers.convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true, inputShape: [4, 6, 6, 1] }),
      tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 2, kernelSize: 1 }) }),
      tf.layers.convLstm2d({ filters: 2, kernelSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    inputs: [[2, 4, 6, 6, 1]],
  },
];
