// Normalization, advanced activation, embedding / masking and preprocessing layers
// (src/layers/normalization.cpp, advanced_activations.cpp, embedding.cpp, preprocessing.cpp).
//
// Notes on what TF.js (cpu backend) can be asked for:
// - BatchNormalization on a non-last axis: the cpu and wasm kernels index the statistics
//   cyclically as if they were on the last axis (webgl and Keras broadcast them). The runtime
//   broadcasts; the axis-1 cases keep the dimensions after the axis at 1, where both agree.
// - CategoryEncoding and CenterCrop write their output shape into their input's shape array
//   (computeOutputShape mutates it), which breaks predict when they follow the model input
//   directly: a Reshape to the same shape goes first.
// - Resizing, and CenterCrop when it must enlarge, fail in any TF.js 4.22 model predict: they
//   pass the layer's input list to tf.image.resizeBilinear ("x must be rank 3 or 4, but got
//   rank 1"). Those cases unwrap the list (unwrapInputs) so that the outputs are what the layer
//   computes when applied to a tensor; the saved model is unchanged.

function unwrapInputs(layer) {
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => call(Array.isArray(inputs) ? inputs[0] : inputs, kwargs);
  return layer;
}

export default [
  // BatchNormalization
  { name: 'bn_last_axis', layers: (tf) => [tf.layers.batchNormalization({ inputShape: [4, 5] })], inputs: [[3, 4, 5]], inputRange: [-3, 3] },
  { name: 'bn_rank2_eps', layers: (tf) => [tf.layers.batchNormalization({ epsilon: 0.1, inputShape: [6] })], inputs: [[4, 6]], inputRange: [-3, 3] },
  { name: 'bn_axis1_channels_first', layers: (tf) => [tf.layers.batchNormalization({ axis: 1, inputShape: [4, 1, 1] })], inputs: [[3, 4, 1, 1]], inputRange: [-3, 3] },
  { name: 'bn_axis1_rank3', layers: (tf) => [tf.layers.batchNormalization({ axis: 1, inputShape: [5, 1] })], inputs: [[2, 5, 1]], inputRange: [-3, 3] },
  { name: 'bn_no_center', layers: (tf) => [tf.layers.batchNormalization({ center: false, inputShape: [2, 3, 4] })], inputs: [[2, 2, 3, 4]], inputRange: [-3, 3] },
  { name: 'bn_no_scale', layers: (tf) => [tf.layers.batchNormalization({ scale: false, inputShape: [3, 4] })], inputs: [[2, 3, 4]], inputRange: [-3, 3] },
  { name: 'bn_no_center_no_scale', layers: (tf) => [tf.layers.batchNormalization({ center: false, scale: false, axis: -1, inputShape: [5] })], inputs: [[3, 5]], inputRange: [-3, 3] },
  { name: 'bn_after_dense', layers: (tf) => [tf.layers.dense({ units: 6, inputShape: [4] }), tf.layers.batchNormalization(), tf.layers.activation({ activation: 'relu' })], inputs: [[3, 4]] },

  // LayerNormalization
  { name: 'ln_last_axis', layers: (tf) => [tf.layers.layerNormalization({ inputShape: [3, 8] })], inputs: [[2, 3, 8]], inputRange: [-3, 3] },
  { name: 'ln_rank2_eps', layers: (tf) => [tf.layers.layerNormalization({ epsilon: 1e-5, inputShape: [7] })], inputs: [[3, 7]], inputRange: [-3, 3] },
  { name: 'ln_axes_1_2', layers: (tf) => [tf.layers.layerNormalization({ axis: [1, 2], inputShape: [3, 4] })], inputs: [[2, 3, 4]], inputRange: [-3, 3] },
  { name: 'ln_axes_unsorted', layers: (tf) => [tf.layers.layerNormalization({ axis: [-1, 1], inputShape: [2, 3, 4] })], inputs: [[2, 2, 3, 4]], inputRange: [-3, 3] },
  { name: 'ln_axis_middle', layers: (tf) => [tf.layers.layerNormalization({ axis: 1, inputShape: [5, 3] })], inputs: [[2, 5, 3]], inputRange: [-3, 3] },
  { name: 'ln_no_center_no_scale', layers: (tf) => [tf.layers.layerNormalization({ center: false, scale: false, inputShape: [6] })], inputs: [[3, 6]], inputRange: [-3, 3] },
  { name: 'ln_no_scale', layers: (tf) => [tf.layers.layerNormalization({ scale: false, inputShape: [2, 6] })], inputs: [[3, 2, 6]], inputRange: [-3, 3] },

  // Advanced activations
  { name: 'relu_layer', layers: (tf) => [tf.layers.reLU({ inputShape: [3, 4] })], inputs: [[2, 3, 4]], inputRange: [-3, 3] },
  { name: 'relu_max_value', layers: (tf) => [tf.layers.reLU({ maxValue: 1.5, inputShape: [10] })], inputs: [[3, 10]], inputRange: [-3, 3] },
  { name: 'leaky_relu_default', layers: (tf) => [tf.layers.leakyReLU({ inputShape: [8] })], inputs: [[3, 8]], inputRange: [-3, 3] },
  { name: 'leaky_relu_alpha', layers: (tf) => [tf.layers.leakyReLU({ alpha: 0.07, inputShape: [2, 5] })], inputs: [[3, 2, 5]], inputRange: [-3, 3] },
  { name: 'prelu_full', layers: (tf) => [tf.layers.prelu({ inputShape: [3, 4] })], inputs: [[2, 3, 4]], inputRange: [-3, 3] },
  { name: 'prelu_shared_1_2', layers: (tf) => [tf.layers.prelu({ sharedAxes: [1, 2], inputShape: [3, 4, 5] })], inputs: [[2, 3, 4, 5]], inputRange: [-3, 3] },
  { name: 'prelu_shared_last', layers: (tf) => [tf.layers.prelu({ sharedAxes: 2, inputShape: [3, 4] })], inputs: [[2, 3, 4]], inputRange: [-3, 3] },
  { name: 'elu_layer', layers: (tf) => [tf.layers.elu({ inputShape: [12] })], inputs: [[3, 12]], inputRange: [-4, 4] },
  { name: 'thresholded_relu_default', layers: (tf) => [tf.layers.thresholdedReLU({ inputShape: [12] })], inputs: [[3, 12]], inputRange: [-3, 3] },
  { name: 'thresholded_relu_theta', layers: (tf) => [tf.layers.thresholdedReLU({ theta: 0.25, inputShape: [3, 4] })], inputs: [[2, 3, 4]], inputRange: [-1, 1] },
  { name: 'softmax_layer_rank2', layers: (tf) => [tf.layers.softmax({ inputShape: [7] })], inputs: [[3, 7]], inputRange: [-5, 5] },
  { name: 'softmax_layer_last_axis', layers: (tf) => [tf.layers.softmax({ axis: -1, inputShape: [3, 5] })], inputs: [[2, 3, 5]], inputRange: [-5, 5] },
  { name: 'softmax_layer_axes_1_2', layers: (tf) => [tf.layers.softmax({ axis: [1, 2], inputShape: [3, 4] })], inputs: [[2, 3, 4]], inputRange: [-5, 5] },
  { name: 'softmax_layer_axes_1_3', layers: (tf) => [tf.layers.softmax({ axis: [1, 3], inputShape: [2, 3, 4] })], inputs: [[2, 2, 3, 4]], inputRange: [-5, 5] },

  // Embedding and Masking
  { name: 'embedding_int', layers: (tf) => [tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 })], inputs: [[3, 5]], inputRange: [0, 10], inputInt: true },
  { name: 'embedding_float_indices', layers: (tf) => [tf.layers.embedding({ inputDim: 7, outputDim: 3, inputShape: [2, 3] })], inputs: [[2, 2, 3]], inputRange: [0, 6.99] },
  { name: 'embedding_mask_zero_dense', layers: (tf) => [tf.layers.embedding({ inputDim: 6, outputDim: 5, maskZero: true, inputShape: [4] }), tf.layers.flatten(), tf.layers.dense({ units: 3 })], inputs: [[3, 4]], inputRange: [0, 6], inputInt: true },
  {
    name: 'masking_timesteps',
    model: (tf) => {
      // Integer inputs in {-1, 0, 1}, so that some timesteps are all mask_value; Rescaling casts
      // them to float32.
      const x = tf.input({ shape: [6, 2] });
      const q = tf.layers.rescaling({ scale: 1 }).apply(x);
      return tf.model({ inputs: x, outputs: tf.layers.masking({ maskValue: 0 }).apply(q) });
    },
    inputs: [[4, 6, 2]],
    inputRange: [-1, 2],
    inputInt: true,
  },
  { name: 'masking_value', layers: (tf) => [tf.layers.rescaling({ scale: 1, inputShape: [5, 2] }), tf.layers.masking({ maskValue: 1 })], inputs: [[3, 5, 2]], inputRange: [1, 3], inputInt: true },

  // Preprocessing
  { name: 'rescaling', layers: (tf) => [tf.layers.rescaling({ scale: 1 / 255, inputShape: [2, 3, 3] })], inputs: [[2, 2, 3, 3]], inputRange: [0, 255] },
  { name: 'rescaling_offset', layers: (tf) => [tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [4, 3] })], inputs: [[2, 4, 3]], inputRange: [0, 255] },
  { name: 'center_crop_smaller', layers: (tf) => [tf.layers.reshape({ targetShape: [6, 7, 2], inputShape: [6, 7, 2] }), tf.layers.centerCrop({ height: 4, width: 3 })], inputs: [[2, 6, 7, 2]] },
  { name: 'center_crop_odd_margin', layers: (tf) => [tf.layers.reshape({ targetShape: [5, 6, 1], inputShape: [5, 6, 1] }), tf.layers.centerCrop({ height: 4, width: 5 })], inputs: [[2, 5, 6, 1]] },
  { name: 'center_crop_upsize', layers: (tf) => [tf.layers.reshape({ targetShape: [3, 4, 2], inputShape: [3, 4, 2] }), unwrapInputs(tf.layers.centerCrop({ height: 5, width: 3 }))], inputs: [[2, 3, 4, 2]] },
  { name: 'center_crop_upsize_width', layers: (tf) => [tf.layers.reshape({ targetShape: [6, 2, 1], inputShape: [6, 2, 1] }), unwrapInputs(tf.layers.centerCrop({ height: 4, width: 5 }))], inputs: [[2, 6, 2, 1]] },
  { name: 'center_crop_same', layers: (tf) => [tf.layers.reshape({ targetShape: [4, 4, 3], inputShape: [4, 4, 3] }), tf.layers.centerCrop({ height: 4, width: 4 })], inputs: [[1, 4, 4, 3]] },
  { name: 'resizing_bilinear_up', layers: (tf) => [unwrapInputs(tf.layers.resizing({ height: 7, width: 5, inputShape: [4, 3, 2] }))], inputs: [[2, 4, 3, 2]] },
  { name: 'resizing_bilinear_down', layers: (tf) => [unwrapInputs(tf.layers.resizing({ height: 3, width: 2, inputShape: [6, 5, 3] }))], inputs: [[2, 6, 5, 3]] },
  { name: 'resizing_nearest_up', layers: (tf) => [unwrapInputs(tf.layers.resizing({ height: 7, width: 5, interpolation: 'nearest', inputShape: [4, 3, 2] }))], inputs: [[2, 4, 3, 2]] },
  { name: 'resizing_nearest_down', layers: (tf) => [unwrapInputs(tf.layers.resizing({ height: 3, width: 2, interpolation: 'nearest', inputShape: [6, 5, 1] }))], inputs: [[2, 6, 5, 1]] },
  { name: 'resizing_crop_same_aspect', layers: (tf) => [unwrapInputs(tf.layers.resizing({ height: 6, width: 4, cropToAspectRatio: true, inputShape: [3, 2, 2] }))], inputs: [[2, 3, 2, 2]] },
  { name: 'resizing_nearest_crop_same_aspect', layers: (tf) => [unwrapInputs(tf.layers.resizing({ height: 2, width: 3, interpolation: 'nearest', cropToAspectRatio: true, inputShape: [4, 6, 1] }))], inputs: [[1, 4, 6, 1]] },
  { name: 'category_encoding_one_hot', layers: (tf) => [tf.layers.reshape({ targetShape: [1], inputShape: [1] }), tf.layers.categoryEncoding({ numTokens: 6, outputMode: 'oneHot' })], inputs: [[5, 1]], inputRange: [0, 6], inputInt: true },
  { name: 'category_encoding_multi_hot', layers: (tf) => [tf.layers.reshape({ targetShape: [5], inputShape: [5] }), tf.layers.categoryEncoding({ numTokens: 4, outputMode: 'multiHot' })], inputs: [[3, 5]], inputRange: [0, 4], inputInt: true },
  { name: 'category_encoding_count', layers: (tf) => [tf.layers.reshape({ targetShape: [6], inputShape: [6] }), tf.layers.categoryEncoding({ numTokens: 5, outputMode: 'count' })], inputs: [[3, 6]], inputRange: [0, 5], inputInt: true },
];
