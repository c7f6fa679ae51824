// The executor's consuming path (Layer::callConsuming in src/layers/layer.h): a layer may take
// the storage of an input value that no later call reads and that is no model output, and
// compute in it (the elementwise layers, BatchNormalization, Rescaling) or hand it on (Identity,
// Reshape, Flatten, nested models). Each case below feeds such a layer a value that must NOT be
// consumed (it is also a model output, feeds a later layer, or is passed twice to one call)
// beside values that may be: a wrong ownership decision changes the outputs.

function functional(tf, inputShape, make) {
  const x = tf.input({ shape: inputShape });
  const outs = make(tf, x);
  return tf.model({ inputs: x, outputs: outs });
}

export default [
  {
    // d feeds ReLU and is a model output itself; the model input feeds ReLU and a Dense after it.
    name: 'inplace_relu_operand_is_output',
    model: (tf) => functional(tf, [6], (t, x) => {
      const r0 = t.layers.reLU().apply(x);
      const d = t.layers.dense({ units: 5 }).apply(x);
      const r = t.layers.reLU({ maxValue: 0.8 }).apply(d);
      return [d, r, r0];
    }),
    inputs: [[3, 6]],
    inputRange: [-2, 2],
  },
  {
    // Two elementwise consumers of one value, then an Add of both: the first must copy, the
    // second may work in place.
    name: 'inplace_two_consumers',
    model: (tf) => functional(tf, [4, 5], (t, x) => {
      const d = t.layers.dense({ units: 6 }).apply(x);
      const a = t.layers.leakyReLU({ alpha: 0.2 }).apply(d);
      const b = t.layers.activation({ activation: 'tanh' }).apply(d);
      const c = t.layers.elu().apply(d);
      return t.layers.add().apply([a, b, c]);
    }),
    inputs: [[2, 4, 5]],
    inputRange: [-2, 2],
  },
  {
    // The same value as both inputs of a nested two-input model (each inner input needs its own
    // copy: inside, one is consumed by ReLU while the other is still to be read).
    name: 'inplace_value_passed_twice',
    model: (tf) => {
      const a = tf.input({ shape: [5] });
      const b = tf.input({ shape: [5] });
      const inner = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([tf.layers.reLU().apply(a), b]) });
      const x = tf.input({ shape: [5] });
      const d = tf.layers.dense({ units: 5 }).apply(x);
      return tf.model({ inputs: x, outputs: inner.apply([d, d]) });
    },
    inputs: [[3, 5]],
    inputRange: [-2, 2],
  },
  {
    // A chain where every link may consume its input (Reshape, Flatten, Dropout, Activation,
    // BatchNormalization, PReLU, ThresholdedReLU, Softmax), with a branch off the middle.
    name: 'inplace_chain_with_branch',
    model: (tf) => functional(tf, [12], (t, x) => {
      const d = t.layers.dense({ units: 12 }).apply(x);
      const r = t.layers.reshape({ targetShape: [3, 4] }).apply(d);
      const bn = t.layers.batchNormalization().apply(r);
      const p = t.layers.prelu({ sharedAxes: [1] }).apply(bn);
      const f = t.layers.flatten().apply(p);
      const dr = t.layers.dropout({ rate: 0.5 }).apply(f);
      const a = t.layers.activation({ activation: 'relu6' }).apply(dr);
      const th = t.layers.thresholdedReLU({ theta: 0.1 }).apply(a);
      const sm = t.layers.softmax().apply(th);
      const side = t.layers.dense({ units: 2 }).apply(bn);  // bn is still read after PReLU
      return [sm, t.layers.flatten().apply(side), f];
    }),
    inputs: [[2, 12]],
    inputRange: [-2, 2],
  },
  {
    // A nested model whose input is also used outside it (copied in), and one whose input dies
    // there (moved in); the outer Identity and BatchNormalization act on nested outputs.
    name: 'inplace_nested_model_inputs',
    model: (tf) => {
      const inner = tf.sequential({ layers: [tf.layers.reLU({ inputShape: [4] }), tf.layers.dense({ units: 4 })] });
      const inner2 = tf.sequential({ layers: [tf.layers.activation({ activation: 'elu', inputShape: [4] })] });
      const x = tf.input({ shape: [4] });
      const a = inner.apply(x);
      const b = tf.layers.dense({ units: 4 }).apply(x);
      const c = inner2.apply(tf.layers.add().apply([a, b]));
      const n = tf.layers.batchNormalization().apply(c);
      return tf.model({ inputs: x, outputs: [tf.layers.dropout({ rate: 0.1 }).apply(n), a] });
    },
    inputs: [[3, 4]],
    inputRange: [-2, 2],
  },
  {
    // Rescaling and LayerNormalization on a value that is an output too.
    name: 'inplace_rescaling_layernorm',
    model: (tf) => functional(tf, [3, 4], (t, x) => {
      const s = t.layers.rescaling({ scale: 0.5, offset: -0.25 }).apply(x);
      const l = t.layers.layerNormalization().apply(s);
      const s2 = t.layers.rescaling({ scale: 2 }).apply(l);
      return [s, s2];
    }),
    inputs: [[2, 3, 4]],
    inputRange: [-2, 2],
  },
];
