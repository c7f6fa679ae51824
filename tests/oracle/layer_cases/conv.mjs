// Convolution, pooling and padding layers (src/layers/conv.cpp, pooling.cpp, padding.cpp).
const cf = 'channelsFirst';

function conv2d(name, args, input, extra = {}) {
  return { name, layers: (tf) => [tf.layers.conv2d({ inputShape: input.slice(1), ...args })], inputs: [input], ...extra };
}

export default [
  // Conv2D
  conv2d('conv2d_valid', { filters: 4, kernelSize: 3 }, [2, 7, 6, 3]),
  conv2d('conv2d_same_s2', { filters: 4, kernelSize: 3, strides: 2, padding: 'same' }, [2, 9, 9, 3]),
  conv2d('conv2d_same_s2_even', { filters: 3, kernelSize: [2, 4], strides: [2, 3], padding: 'same' }, [1, 8, 10, 2]),
  conv2d('conv2d_valid_strides_odd', { filters: 5, kernelSize: [3, 2], strides: [2, 3], padding: 'valid' }, [2, 9, 8, 2]),
  conv2d('conv2d_dilated_same', { filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' }, [2, 7, 8, 2]),
  conv2d('conv2d_dilated_valid', { filters: 3, kernelSize: [2, 3], dilationRate: [3, 2], padding: 'valid' }, [1, 9, 9, 2]),
  conv2d('conv2d_relu_no_bias', { filters: 4, kernelSize: 3, padding: 'same', useBias: false, activation: 'relu' }, [2, 5, 5, 3]),
  conv2d('conv2d_sigmoid', { filters: 2, kernelSize: 1, activation: 'sigmoid' }, [2, 4, 4, 3]),
  conv2d('conv2d_softmax', { filters: 5, kernelSize: 2, activation: 'softmax' }, [2, 4, 4, 3]),
  conv2d('conv2d_channels_first', { filters: 4, kernelSize: 3, strides: 2, padding: 'same', dataFormat: cf }, [2, 3, 7, 6]),
  conv2d('conv2d_channels_first_softmax', { filters: 3, kernelSize: 2, dataFormat: cf, activation: 'softmax' }, [2, 2, 5, 4]),
  conv2d('conv2d_kernel_larger_than_stride1', { filters: 2, kernelSize: 5, padding: 'same' }, [1, 3, 4, 2]),
  conv2d('conv2d_kernel1_stride3_same', { filters: 2, kernelSize: 1, strides: 3, padding: 'same' }, [1, 7, 8, 2]),
  {
    name: 'conv2d_stack_pool_dense',
    layers: (tf) => [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [10, 10, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'elu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    inputs: [[2, 10, 10, 1]],
  },

  // Conv1D
  { name: 'conv1d_valid', layers: (tf) => [tf.layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [9, 3] })], inputs: [[2, 9, 3]] },
  { name: 'conv1d_same_s2_tanh', layers: (tf) => [tf.layers.conv1d({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh', inputShape: [11, 2] })], inputs: [[2, 11, 2]] },
  { name: 'conv1d_dilated_no_bias', layers: (tf) => [tf.layers.conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, useBias: false, inputShape: [10, 3] })], inputs: [[2, 10, 3]] },

  // Conv3D
  { name: 'conv3d_valid', layers: (tf) => [tf.layers.conv3d({ filters: 3, kernelSize: 2, inputShape: [4, 5, 3, 2] })], inputs: [[2, 4, 5, 3, 2]] },
  { name: 'conv3d_same_s2_relu', layers: (tf) => [tf.layers.conv3d({ filters: 2, kernelSize: [3, 2, 3], strides: 2, padding: 'same', activation: 'relu', inputShape: [5, 4, 5, 2] })], inputs: [[1, 5, 4, 5, 2]] },
  // kernel < stride with 'same': tfjs-core's 3-D padding goes negative (window starts at 1).
  { name: 'conv3d_same_kernel1_stride3', layers: (tf) => [tf.layers.conv3d({ filters: 2, kernelSize: 1, strides: 3, padding: 'same', inputShape: [5, 5, 4, 2] })], inputs: [[1, 5, 5, 4, 2]] },
  { name: 'conv3d_dilated', layers: (tf) => [tf.layers.conv3d({ filters: 2, kernelSize: 2, dilationRate: 2, padding: 'same', inputShape: [4, 5, 4, 2] })], inputs: [[1, 4, 5, 4, 2]] },
  { name: 'conv3d_channels_first', layers: (tf) => [tf.layers.conv3d({ filters: 3, kernelSize: 2, dataFormat: cf, inputShape: [2, 3, 4, 3] })], inputs: [[2, 2, 3, 4, 3]] },

  // DepthwiseConv2D
  { name: 'depthwise_valid', layers: (tf) => [tf.layers.depthwiseConv2d({ kernelSize: 3, inputShape: [6, 7, 3] })], inputs: [[2, 6, 7, 3]] },
  { name: 'depthwise_same_s2_mult2', layers: (tf) => [tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, inputShape: [7, 8, 3] })], inputs: [[2, 7, 8, 3]] },
  { name: 'depthwise_relu6_no_bias', layers: (tf) => [tf.layers.depthwiseConv2d({ kernelSize: [2, 3], useBias: false, activation: 'relu6', inputShape: [5, 5, 4] })], inputs: [[2, 5, 5, 4]], inputRange: [-8, 8] },
  { name: 'depthwise_channels_first', layers: (tf) => [tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, dataFormat: cf, inputShape: [3, 5, 4] })], inputs: [[2, 3, 5, 4]] },

  // SeparableConv2D
  { name: 'separable_valid', layers: (tf) => [tf.layers.separableConv2d({ filters: 4, kernelSize: 3, inputShape: [6, 6, 3] })], inputs: [[2, 6, 6, 3]] },
  // depthMultiplier is not tested here: tfjs-layers 4.22 does not save it for SeparableConv2D, so
  // a JS-saved model with multiplier 2 does not load in TF.js itself (nor here: shape mismatch).
  { name: 'separable_same_s2_relu', layers: (tf) => [tf.layers.separableConv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [7, 6, 3] })], inputs: [[2, 7, 6, 3]] },
  { name: 'separable_dilated_no_bias', layers: (tf) => [tf.layers.separableConv2d({ filters: 3, kernelSize: 2, dilationRate: 2, useBias: false, inputShape: [7, 7, 2] })], inputs: [[2, 7, 7, 2]] },
  { name: 'separable_channels_first_no_bias', layers: (tf) => [tf.layers.separableConv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false, dataFormat: cf, inputShape: [2, 5, 6] })], inputs: [[2, 2, 5, 6]] },

  // Conv2DTranspose / Conv3DTranspose
  { name: 'conv2d_transpose_valid', layers: (tf) => [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, inputShape: [4, 5, 2] })], inputs: [[2, 4, 5, 2]] },
  { name: 'conv2d_transpose_same_s2', layers: (tf) => [tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', inputShape: [4, 3, 3] })], inputs: [[2, 4, 3, 3]] },
  { name: 'conv2d_transpose_valid_s2_k4', layers: (tf) => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: [4, 3], strides: [2, 3], activation: 'relu', inputShape: [3, 4, 2] })], inputs: [[2, 3, 4, 2]] },
  { name: 'conv2d_transpose_kernel_lt_stride', layers: (tf) => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same', useBias: false, inputShape: [3, 3, 2] })], inputs: [[1, 3, 3, 2]] },
  { name: 'conv2d_transpose_valid_kernel_lt_stride', layers: (tf) => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, inputShape: [3, 2, 2] })], inputs: [[1, 3, 2, 2]] },
  { name: 'conv2d_transpose_channels_first', layers: (tf) => [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', dataFormat: cf, inputShape: [2, 4, 3] })], inputs: [[2, 2, 4, 3]] },
  { name: 'conv3d_transpose_same_s2', layers: (tf) => [tf.layers.conv3dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', inputShape: [2, 3, 2, 2] })], inputs: [[1, 2, 3, 2, 2]] },
  { name: 'conv3d_transpose_valid', layers: (tf) => [tf.layers.conv3dTranspose({ filters: 3, kernelSize: [2, 3, 2], strides: [1, 2, 1], inputShape: [2, 3, 3, 2] })], inputs: [[2, 2, 3, 3, 2]] },

  // Pooling 2D
  { name: 'maxpool2d_default', layers: (tf) => [tf.layers.maxPooling2d({ inputShape: [6, 7, 3] })], inputs: [[2, 6, 7, 3]] },
  { name: 'maxpool2d_same_s2_k3', layers: (tf) => [tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', inputShape: [7, 8, 2] })], inputs: [[2, 7, 8, 2]] },
  { name: 'maxpool2d_channels_first', layers: (tf) => [tf.layers.maxPooling2d({ poolSize: [2, 3], strides: [1, 2], dataFormat: cf, inputShape: [3, 5, 7] })], inputs: [[2, 3, 5, 7]] },
  { name: 'avgpool2d_valid', layers: (tf) => [tf.layers.averagePooling2d({ poolSize: [3, 2], inputShape: [7, 6, 3] })], inputs: [[2, 7, 6, 3]] },
  { name: 'avgpool2d_same_counts_valid_only', layers: (tf) => [tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', inputShape: [6, 7, 2] })], inputs: [[2, 6, 7, 2]] },
  { name: 'avgpool2d_channels_first_same', layers: (tf) => [tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', dataFormat: cf, inputShape: [2, 5, 5] })], inputs: [[2, 2, 5, 5]] },

  // Pooling 1D / 3D
  { name: 'maxpool1d', layers: (tf) => [tf.layers.maxPooling1d({ poolSize: 3, strides: 2, inputShape: [10, 3] })], inputs: [[2, 10, 3]] },
  { name: 'avgpool1d_same', layers: (tf) => [tf.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same', inputShape: [9, 2] })], inputs: [[2, 9, 2]] },
  { name: 'maxpool3d', layers: (tf) => [tf.layers.maxPooling3d({ poolSize: 2, inputShape: [4, 5, 4, 2] })], inputs: [[2, 4, 5, 4, 2]] },
  { name: 'avgpool3d_same', layers: (tf) => [tf.layers.averagePooling3d({ poolSize: [2, 3, 2], strides: [1, 2, 2], padding: 'same', inputShape: [3, 5, 4, 2] })], inputs: [[2, 3, 5, 4, 2]] },
  { name: 'maxpool3d_channels_first_same', layers: (tf) => [tf.layers.maxPooling3d({ poolSize: 3, strides: 2, padding: 'same', dataFormat: cf, inputShape: [2, 5, 4, 3] })], inputs: [[1, 2, 5, 4, 3]] },
  { name: 'avgpool3d_same_kernel_lt_stride', layers: (tf) => [tf.layers.averagePooling3d({ poolSize: 1, strides: 3, padding: 'same', inputShape: [5, 4, 5, 2] })], inputs: [[1, 5, 4, 5, 2]] },

  // Global pooling
  { name: 'global_avgpool2d', layers: (tf) => [tf.layers.globalAveragePooling2d({ inputShape: [5, 6, 4] })], inputs: [[3, 5, 6, 4]] },
  { name: 'global_maxpool2d', layers: (tf) => [tf.layers.globalMaxPooling2d({ inputShape: [5, 6, 4] })], inputs: [[3, 5, 6, 4]] },
  { name: 'global_avgpool2d_channels_first', layers: (tf) => [tf.layers.globalAveragePooling2d({ dataFormat: cf, inputShape: [4, 5, 3] })], inputs: [[2, 4, 5, 3]] },
  { name: 'global_maxpool2d_channels_first', layers: (tf) => [tf.layers.globalMaxPooling2d({ dataFormat: cf, inputShape: [4, 5, 3] })], inputs: [[2, 4, 5, 3]] },
  { name: 'global_avgpool1d', layers: (tf) => [tf.layers.globalAveragePooling1d({ inputShape: [7, 3] })], inputs: [[2, 7, 3]] },
  { name: 'global_maxpool1d', layers: (tf) => [tf.layers.globalMaxPooling1d({ inputShape: [7, 3] })], inputs: [[2, 7, 3]] },

  // ZeroPadding2D / Cropping2D / UpSampling2D
  { name: 'zeropad2d_default', layers: (tf) => [tf.layers.zeroPadding2d({ inputShape: [3, 4, 2] })], inputs: [[2, 3, 4, 2]] },
  { name: 'zeropad2d_asymmetric', layers: (tf) => [tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]], inputShape: [3, 4, 2] })], inputs: [[2, 3, 4, 2]] },
  { name: 'zeropad2d_channels_first', layers: (tf) => [tf.layers.zeroPadding2d({ padding: [2, 1], dataFormat: cf, inputShape: [2, 3, 4] })], inputs: [[2, 2, 3, 4]] },
  { name: 'zeropad_conv_valid', layers: (tf) => [tf.layers.zeroPadding2d({ padding: 1, inputShape: [5, 5, 2] }), tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2 })], inputs: [[2, 5, 5, 2]] },
  { name: 'cropping2d', layers: (tf) => [tf.layers.cropping2D({ cropping: [[1, 0], [2, 1]], inputShape: [5, 6, 2] })], inputs: [[2, 5, 6, 2]] },
  { name: 'cropping2d_symmetric_channels_first', layers: (tf) => [tf.layers.cropping2D({ cropping: [1, 2], dataFormat: cf, inputShape: [2, 5, 6] })], inputs: [[2, 2, 5, 6]] },
  { name: 'upsampling2d_nearest', layers: (tf) => [tf.layers.upSampling2d({ size: [2, 3], inputShape: [3, 4, 2] })], inputs: [[2, 3, 4, 2]] },
  { name: 'upsampling2d_nearest_size3', layers: (tf) => [tf.layers.upSampling2d({ size: [3, 3], inputShape: [5, 7, 1] })], inputs: [[1, 5, 7, 1]] },
  { name: 'upsampling2d_bilinear', layers: (tf) => [tf.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear', inputShape: [3, 4, 2] })], inputs: [[2, 3, 4, 2]] },
  { name: 'upsampling2d_bilinear_size3', layers: (tf) => [tf.layers.upSampling2d({ size: [3, 5], interpolation: 'bilinear', inputShape: [5, 3, 2] })], inputs: [[1, 5, 3, 2]] },
  { name: 'upsampling2d_channels_first_bilinear', layers: (tf) => [tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear', dataFormat: cf, inputShape: [2, 3, 4] })], inputs: [[2, 2, 3, 4]] },
];
