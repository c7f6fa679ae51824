// Nested models as layers (model/layers_model.cpp NestedModel), TimeDistributed over a nested
// model (src/layers/wrappers.cpp), and Keras's names for a stacked RNN's cell weights (the
// runtime's weight binding).

// RNN over StackedRNNCells with the cells named as Keras names them.
function stackedModel(tf) {
  return tf.sequential({
    layers: [tf.layers.rnn({
      name: 'rnn',
      cell: tf.layers.stackedRNNCells({
        name: 'stacked_rnn_cells',
        cells: [
          tf.layers.lstmCell({ units: 4, name: 'lstm_cell', recurrentActivation: 'sigmoid' }),
          tf.layers.gruCell({ units: 3, name: 'gru_cell' }),
        ],
      }),
      returnSequences: true,
      inputShape: [5, 2],
    })],
  });
}

// Renames TF.js's `rnn/RNNCell_<i>/<weight>` to Keras's spelling: `scoped` keeps the stack's
// name scope (rnn/stacked_rnn_cells/lstm_cell/kernel, what Keras 2 and the converter write),
// else rnn/lstm_cell/kernel. TF.js 4.22 itself refuses both ("Provided weight data has no target
// variable"); the expected outputs are TF.js's predict with its own names.
function kerasNames(scoped) {
  const cells = ['lstm_cell', 'gru_cell'];
  return ({ artifacts, weightBytes }) => {
    const weightSpecs = artifacts.weightSpecs.map((s) => {
      const m = /^rnn\/RNNCell_(\d+)\/(.+)$/.exec(s.name);
      if (!m) throw new Error(`unexpected weight name ${s.name}`);
      const cell = cells[Number(m[1])];
      return { ...s, name: scoped ? `rnn/stacked_rnn_cells/${cell}/${m[2]}` : `rnn/${cell}/${m[2]}` };
    });
    return { artifacts: { ...artifacts, weightSpecs }, weightBytes };
  };
}

// Two masked inputs (Embedding, mask_zero) into a nested functional model whose inputs each feed
// an LSTM. TF.js hands the nested model only the FIRST input's mask (kwargs.mask), and every
// inner layer reads that one: the LSTM on input b runs with a's mask.
function twoMaskedIntoNested(tf) {
  const ia = tf.input({ shape: [6, 3] });
  const ib = tf.input({ shape: [6, 3] });
  const la = tf.layers.lstm({ units: 2, name: 'inner_lstm_a' }).apply(ia);
  const lb = tf.layers.lstm({ units: 2, name: 'inner_lstm_b' }).apply(ib);
  const inner = tf.model({ inputs: [ia, ib], outputs: tf.layers.concatenate({ name: 'inner_cat' }).apply([la, lb]), name: 'inner' });
  const a = tf.input({ shape: [6], dtype: 'int32', name: 'a' });
  const b = tf.input({ shape: [6], dtype: 'int32', name: 'b' });
  const ea = tf.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, name: 'emb_a' }).apply(a);
  const eb = tf.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, name: 'emb_b' }).apply(b);
  return tf.model({ inputs: [a, b], outputs: inner.apply([ea, eb]) });
}

export default [
  {
    name: 'td_over_sequential',
    model: (tf) => {
      const inner = tf.sequential({
        name: 'inner_seq',
        layers: [
          tf.layers.dense({ units: 3, activation: 'relu', inputShape: [5], name: 'td_seq_d1' }),
          tf.layers.dense({ units: 2, name: 'td_seq_d2' }),
        ],
      });
      return tf.sequential({ layers: [tf.layers.timeDistributed({ layer: inner, inputShape: [4, 5] })] });
    },
    inputs: [[2, 4, 5]],
  },
  {
    name: 'td_over_functional',
    model: (tf) => {
      const x = tf.input({ shape: [6, 3] });
      const a = tf.layers.conv1d({ filters: 2, kernelSize: 3, name: 'td_fn_conv' }).apply(x);
      const f = tf.layers.flatten({ name: 'td_fn_flat' }).apply(a);
      const d = tf.layers.dense({ units: 3, activation: 'tanh', name: 'td_fn_dense' }).apply(f);
      const inner = tf.model({ inputs: x, outputs: tf.layers.concatenate({ name: 'td_fn_cat' }).apply([d, f]), name: 'inner_fn' });
      const y = tf.input({ shape: [3, 6, 3] });
      const t = tf.layers.timeDistributed({ layer: inner }).apply(y);
      const z = tf.layers.lstm({ units: 2, name: 'td_fn_after' }).apply(t);
      return tf.model({ inputs: y, outputs: z });
    },
    inputs: [[2, 3, 6, 3]],
  },
  { name: 'keras_names_stacked_cells_scoped', model: stackedModel, patch: kerasNames(true), inputs: [[3, 5, 2]] },
  { name: 'keras_names_stacked_cells_flat', model: stackedModel, patch: kerasNames(false), inputs: [[3, 5, 2]] },
  {
    name: 'nested_two_masked_inputs_first_mask_wins',
    model: twoMaskedIntoNested,
    inputs: [[3, 6], [3, 6]],
    inputInt: true,
    inputRange: [1, 5],
    // a: trailing padding of 0..2 steps per row; b: leading padding of 1..3 steps (other places).
    inputHook: ([a, b]) => {
      for (let r = 0; r < 3; ++r) {
        for (let t = 6 - r; t < 6; ++t) a[r * 6 + t] = 0;
        for (let t = 0; t <= r; ++t) b[r * 6 + t] = 0;
      }
    },
  },
];
