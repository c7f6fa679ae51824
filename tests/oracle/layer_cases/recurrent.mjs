// Recurrent layers, Bidirectional and masks (src/layers/recurrent.cpp, wrappers.cpp, the mask
// propagation of src/model/layers_model.cpp, embedding.cpp, merge.cpp, advanced_activations.cpp).
import { Rng } from '../lib.mjs';

// An inputHook that zeroes whole timesteps of input 0 ([batch, time, ...] values or [batch, time]
// indices): the last pad[b] steps of batch row b (padding at the end), and step `hole` of row 0
// when given (a masked step in the middle).
function padded(steps, pad, hole) {
  return (arrays) => {
    const a = arrays[0];
    const perRow = a.length / pad.length;
    const width = perRow / steps;
    const zero = (b, t) => a.fill(0, b * perRow + t * width, b * perRow + (t + 1) * width);
    pad.forEach((p, b) => { for (let t = steps - p; t < steps; ++t) zero(b, t); });
    if (hole !== undefined) zero(0, hole);
  };
}

function functional(tf, inputShapes, make) {
  const ins = inputShapes.map((shape) => tf.input({ shape }));
  const outs = make(tf, ...ins);
  return tf.model({ inputs: ins.length === 1 ? ins[0] : ins, outputs: outs });
}

// GRU with reset_after = true (the Keras 2/3 default, refused by TF.js): TF.js builds a
// reset_after = false GRU of the same shapes; the saved model is patched to reset_after = true
// with a [2, 3u] bias (row 0 the TF.js bias, row 1 a seeded recurrent bias), and the expected
// outputs come from the Keras equations in plain tf ops:
//   x_z, x_r, x_h = x·W + b_in;  i_z, i_r, i_h = h·U + b_rec
//   z = ract(x_z + i_z); r = ract(x_r + i_r); hh = act(x_h + r * i_h); h = z*h + (1-z)*hh
function gruResetAfter({ name, units, steps, features, batch, returnSequences = false,
  goBackwards = false, recurrentActivation = 'sigmoid', activation = 'tanh', mask }) {
  const recBias = new Rng(`${name}/recurrent_bias`).f32(3 * units, -1, 1);
  const act = (tf, n, x) => (n === 'sigmoid' ? tf.sigmoid(x) : n === 'tanh' ? tf.tanh(x)
    : n === 'relu' ? tf.relu(x) : n === 'hardSigmoid' ? tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1)
      : (() => { throw new Error(n); })());
  return {
    name,
    layers: (tf) => [
      ...(mask ? [tf.layers.masking({ inputShape: [steps, features] })] : []),
      tf.layers.gru({ units, returnSequences, goBackwards, recurrentActivation, activation, inputShape: [steps, features] }),
    ],
    inputs: [[batch, steps, features]],
    inputHook: mask ? padded(steps, mask) : undefined,
    reference: (tf, model, [x]) => tf.tidy(() => {
      const [W, U, b] = model.layers[mask ? 1 : 0].getWeights();
      const bRec = tf.tensor(recBias);
      const xs = tf.unstack(x, 1);
      const order = goBackwards ? xs.slice().reverse() : xs;
      let h = tf.zeros([batch, units]);
      const outs = [];
      for (const xt of order) {
        const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, W), b), 3, 1);
        const [iz, ir, ih] = tf.split(tf.add(tf.matMul(h, U), bRec), 3, 1);
        const z = act(tf, recurrentActivation, tf.add(xz, iz));
        const r = act(tf, recurrentActivation, tf.add(xr, ir));
        const hh = act(tf, activation, tf.add(xh, tf.mul(r, ih)));
        const hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
        // A masked step (all features 0, as the Masking layer sees it) keeps h (TF.js's rnn()).
        const m = mask ? tf.cast(tf.any(tf.notEqual(xt, 0), 1, true), 'float32') : tf.onesLike(hNew);
        h = tf.add(tf.mul(hNew, m), tf.mul(h, tf.sub(1, m)));
        outs.push(h);
      }
      return returnSequences ? tf.stack(outs, 1) : h;
    }),
    patch: ({ artifacts, weightBytes }) => {
      const layer = artifacts.modelTopology.config.layers.find((l) => l.class_name === 'GRU');
      layer.config.reset_after = true;
      const parts = [];
      let offset = 0;
      for (const spec of artifacts.weightSpecs) {
        const n = spec.shape.reduce((a, c) => a * c, 1) * 4;
        parts.push(weightBytes.subarray(offset, offset + n));
        offset += n;
        if (spec.name.endsWith('/bias') && spec.name.includes(layer.config.name)) {
          spec.shape = [2, 3 * units];
          parts.push(new Uint8Array(recBias.buffer.slice(0)));
        }
      }
      const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of parts) { bytes.set(p, at); at += p.length; }
      return { artifacts, weightBytes: bytes };
    },
  };
}

const mergeModes = ['concat', 'sum', 'mul', 'ave'];

export default [
  // SimpleRNN
  { name: 'simple_rnn_default', layers: (tf) => [tf.layers.simpleRNN({ units: 4, inputShape: [5, 3] })], inputs: [[2, 5, 3]] },
  { name: 'simple_rnn_seq_relu_backwards', layers: (tf) => [tf.layers.simpleRNN({ units: 3, activation: 'relu', returnSequences: true, goBackwards: true, inputShape: [4, 2] })], inputs: [[3, 4, 2]] },
  { name: 'simple_rnn_no_bias_dropouts', layers: (tf) => [tf.layers.simpleRNN({ units: 5, useBias: false, dropout: 0.3, recurrentDropout: 0.2, inputShape: [6, 3] })], inputs: [[2, 6, 3]] },
  // GRU (reset_after = false: TF.js's only form)
  { name: 'gru_default_hard_sigmoid', layers: (tf) => [tf.layers.gru({ units: 4, inputShape: [5, 3] })], inputs: [[2, 5, 3]] },
  { name: 'gru_seq_sigmoid_backwards', layers: (tf) => [tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, goBackwards: true, inputShape: [4, 5] })], inputs: [[2, 4, 5]] },
  { name: 'gru_no_bias_relu', layers: (tf) => [tf.layers.gru({ units: 4, useBias: false, activation: 'relu', implementation: 1, inputShape: [3, 2] })], inputs: [[3, 3, 2]] },
  // GRU reset_after = true (Keras semantics, reference from the Keras equations)
  gruResetAfter({ name: 'gru_reset_after_keras', units: 4, steps: 5, features: 3, batch: 2 }),
  gruResetAfter({ name: 'gru_reset_after_seq_backwards', units: 3, steps: 4, features: 2, batch: 3, returnSequences: true, goBackwards: true, recurrentActivation: 'hardSigmoid', activation: 'relu' }),
  // LSTM
  { name: 'lstm_default', layers: (tf) => [tf.layers.lstm({ units: 4, inputShape: [5, 3] })], inputs: [[2, 5, 3]] },
  { name: 'lstm_seq_sigmoid', layers: (tf) => [tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [6, 4] })], inputs: [[2, 6, 4]] },
  { name: 'lstm_backwards_seq_no_bias', layers: (tf) => [tf.layers.lstm({ units: 5, useBias: false, goBackwards: true, returnSequences: true, unitForgetBias: true, inputShape: [4, 3] })], inputs: [[2, 4, 3]] },
  { name: 'lstm_relu_stacked_dense', layers: (tf) => [tf.layers.lstm({ units: 4, activation: 'relu', returnSequences: true, inputShape: [5, 2] }), tf.layers.lstm({ units: 3 }), tf.layers.dense({ units: 2 })], inputs: [[3, 5, 2]] },
  {
    name: 'lstm_return_state',
    model: (tf) => functional(tf, [[5, 3]], (t, x) => t.layers.lstm({ units: 4, returnState: true }).apply(x)),
    inputs: [[2, 5, 3]],
  },
  {
    name: 'lstm_seq_return_state_backwards',
    model: (tf) => functional(tf, [[4, 3]], (t, x) => t.layers.lstm({ units: 3, returnState: true, returnSequences: true, goBackwards: true }).apply(x)),
    inputs: [[2, 4, 3]],
  },
  {
    name: 'lstm_initial_state',
    model: (tf) => functional(tf, [[5, 3], [4], [4]], (t, x, h, c) => t.layers.lstm({ units: 4, returnSequences: true }).apply(x, { initialState: [h, c] })),
    inputs: [[2, 5, 3], [2, 4], [2, 4]],
  },
  {
    name: 'gru_encoder_decoder_states',
    model: (tf) => functional(tf, [[5, 3], [4, 2]], (t, enc, dec) => {
      const [, h] = t.layers.gru({ units: 4, returnState: true }).apply(enc);
      return t.layers.gru({ units: 4, returnSequences: true }).apply(dec, { initialState: [h] });
    }),
    inputs: [[2, 5, 3], [2, 4, 2]],
  },
  // Generic RNN with cells
  { name: 'rnn_simple_rnn_cell', layers: (tf) => [tf.layers.rnn({ cell: tf.layers.simpleRNNCell({ units: 3 }), inputShape: [4, 2] })], inputs: [[2, 4, 2]] },
  { name: 'rnn_gru_cell_seq', layers: (tf) => [tf.layers.rnn({ cell: tf.layers.gruCell({ units: 3 }), returnSequences: true, inputShape: [4, 2] })], inputs: [[2, 4, 2]] },
  { name: 'rnn_lstm_cell_backwards', layers: (tf) => [tf.layers.rnn({ cell: tf.layers.lstmCell({ units: 3 }), goBackwards: true, inputShape: [4, 2] })], inputs: [[2, 4, 2]] },
  {
    name: 'rnn_stacked_cells_state',
    model: (tf) => functional(tf, [[5, 3]], (t, x) => t.layers.rnn({
      cell: [t.layers.simpleRNNCell({ units: 4 }), t.layers.gruCell({ units: 3 }), t.layers.lstmCell({ units: 2 })],
      returnSequences: true, returnState: true,
    }).apply(x)),
    inputs: [[2, 5, 3]],
  },
  // Bidirectional
  ...mergeModes.map((mergeMode) => ({
    name: `bidirectional_lstm_${mergeMode}_seq`,
    layers: (tf) => [tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }), mergeMode, inputShape: [4, 2] })],
    inputs: [[2, 4, 2]],
  })),
  ...mergeModes.map((mergeMode) => ({
    name: `bidirectional_gru_${mergeMode}_last`,
    layers: (tf) => [tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3 }), mergeMode, inputShape: [5, 2] })],
    inputs: [[2, 5, 2]],
  })),
  {
    name: 'bidirectional_simple_rnn_merge_null',
    model: (tf) => functional(tf, [[4, 3]], (t, x) => t.layers.bidirectional({ layer: t.layers.simpleRNN({ units: 3, returnSequences: true }), mergeMode: null }).apply(x)),
    inputs: [[2, 4, 3]],
  },
  {
    name: 'bidirectional_lstm_return_state',
    model: (tf) => functional(tf, [[4, 3]], (t, x) => t.layers.bidirectional({ layer: t.layers.lstm({ units: 3, returnState: true }) }).apply(x)),
    inputs: [[2, 4, 3]],
  },
  {
    name: 'bidirectional_gru_null_return_state_seq',
    model: (tf) => functional(tf, [[4, 3]], (t, x) => t.layers.bidirectional({ layer: t.layers.gru({ units: 2, returnState: true, returnSequences: true }), mergeMode: null }).apply(x)),
    inputs: [[2, 4, 3]],
  },
  { name: 'bidirectional_backwards_inner', layers: (tf) => [tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, goBackwards: true, returnSequences: true }), inputShape: [4, 2] }), tf.layers.dense({ units: 2 })], inputs: [[2, 4, 2]] },
  // Masks
  {
    name: 'mask_embedding_lstm',
    layers: (tf) => [tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [6] }), tf.layers.lstm({ units: 4 })],
    inputs: [[3, 6]], inputInt: true, inputRange: [1, 6],
    inputHook: padded(6, [2, 0, 4], 1),
  },
  {
    name: 'mask_embedding_gru_seq_gru',
    layers: (tf) => [tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [5] }), tf.layers.gru({ units: 3, returnSequences: true }), tf.layers.gru({ units: 2, goBackwards: true })],
    inputs: [[3, 5]], inputInt: true, inputRange: [1, 6],
    inputHook: padded(5, [1, 3, 0], 0),
  },
  {
    name: 'mask_embedding_dense_simple_rnn_seq',
    layers: (tf) => [tf.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [5] }), tf.layers.dense({ units: 4, activation: 'tanh' }), tf.layers.dropout({ rate: 0.5 }), tf.layers.simpleRNN({ units: 3, returnSequences: true })],
    inputs: [[2, 5]], inputInt: true, inputRange: [1, 5],
    inputHook: padded(5, [2, 1], 2),
  },
  {
    name: 'mask_masking_lstm_seq_backwards',
    layers: (tf) => [tf.layers.masking({ maskValue: 0, inputShape: [6, 3] }), tf.layers.lstm({ units: 3, returnSequences: true, goBackwards: true })],
    inputs: [[3, 6, 3]],
    inputHook: padded(6, [3, 0, 1], 2),
  },
  {
    name: 'mask_masking_value_gru',
    layers: (tf) => [tf.layers.masking({ maskValue: 0.5, inputShape: [5, 2] }), tf.layers.gru({ units: 3 })],
    inputs: [[2, 5, 2]],
    inputHook: (arrays) => { arrays[0].fill(0.5, 4, 8); arrays[0].fill(0.5, 16, 20); },
  },
  ...mergeModes.map((mergeMode) => ({
    name: `mask_bidirectional_lstm_${mergeMode}`,
    layers: (tf) => [tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [5] }), tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }), mergeMode }), tf.layers.lstm({ units: 2 })],
    inputs: [[3, 5]], inputInt: true, inputRange: [1, 6],
    inputHook: padded(5, [2, 0, 3], 1),
  })),
  {
    name: 'mask_bidirectional_gru_last',
    layers: (tf) => [tf.layers.masking({ inputShape: [5, 2] }), tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3 }) })],
    inputs: [[2, 5, 2]],
    inputHook: padded(5, [2, 1]),
  },
  {
    name: 'mask_lstm_return_state_seq',
    model: (tf) => functional(tf, [[5, 2]], (t, x) => t.layers.lstm({ units: 3, returnSequences: true, returnState: true }).apply(t.layers.masking().apply(x))),
    inputs: [[2, 5, 2]],
    inputHook: padded(5, [1, 3]),
  },
  {
    name: 'mask_concatenate_two_embeddings_lstm',
    model: (tf) => {
      const a = tf.input({ shape: [5], dtype: 'int32' });
      const b = tf.input({ shape: [5], dtype: 'int32' });
      const ea = tf.layers.embedding({ inputDim: 6, outputDim: 2, maskZero: true }).apply(a);
      const eb = tf.layers.embedding({ inputDim: 6, outputDim: 3 }).apply(b);
      const c = tf.layers.concatenate().apply([ea, eb]);
      return tf.model({ inputs: [a, b], outputs: tf.layers.lstm({ units: 3, returnSequences: true }).apply(c) });
    },
    inputs: [[2, 5], [2, 5]], inputInt: true, inputRange: [1, 6],
    inputHook: padded(5, [2, 1], 3),
  },
  {
    name: 'mask_concatenate_both_masked_time_axis',
    model: (tf) => {
      const a = tf.input({ shape: [3, 2] });
      const b = tf.input({ shape: [4, 2] });
      const c = tf.layers.concatenate({ axis: 1 }).apply([tf.layers.masking().apply(a), tf.layers.masking().apply(b)]);
      return tf.model({ inputs: [a, b], outputs: tf.layers.gru({ units: 2, returnSequences: true }).apply(c) });
    },
    inputs: [[2, 3, 2], [2, 4, 2]],
    inputHook: (arrays) => { arrays[0].fill(0, 2, 4); arrays[1].fill(0, 14, 16); },
  },
  {
    // TF.js broadcasts the [batch, time] mask against the softmax input aligned on the last axes:
    // with batch = time = features = 3 it adds -1e9 at [*, b, t] where row b's step t is masked.
    name: 'mask_softmax_broadcast',
    layers: (tf) => [tf.layers.masking({ inputShape: [3, 3] }), tf.layers.softmax({ axis: -1 })],
    inputs: [[3, 3, 3]], inputRange: [-3, 3],
    inputHook: padded(3, [1, 0, 2]),
  },
  {
    name: 'mask_nested_sequential_lstm',
    model: (tf) => {
      const inner = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [5, 4] })] });
      const x = tf.input({ shape: [5] });
      const e = tf.layers.embedding({ inputDim: 6, outputDim: 4, maskZero: true }).apply(x);
      return tf.model({ inputs: x, outputs: inner.apply(e) });
    },
    inputs: [[3, 5]], inputInt: true, inputRange: [1, 6],
    inputHook: padded(5, [2, 0, 1]),
  },
  gruResetAfter({ name: 'gru_reset_after_masked', units: 3, steps: 5, features: 2, batch: 2, mask: [2, 1] }),
];
