// The builder's layer factories beyond the basics (tfjs/builder.h, "more layers"): each model
// made with them is built here with seeded initial weights, saved, loaded by the real TF.js
// (tests/oracle/decode_folder.mjs), and predicts what TF.js predicts on TF.js's seeded input
// (tolerance: 1e-5 absolute + 1e-4 relative, test::expectClose).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"
#include "tfjs/builder.h"

namespace tfjs {
namespace {

#define REQUIRE_TFJS()                                                                       \
  if (!fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/@tensorflow/tfjs")) \
  GTEST_SKIP() << "SKIPPED: tests/oracle/node_modules not installed (scripts/setup.sh)"

std::vector<Tensor> tensorsOf(const Json& list) {
  std::vector<Tensor> out;
  for (const auto& t : list) out.push_back(test::floatTensorFromHex(t["shape"], t["hex"]));
  return out;
}

void expectTfjsAgrees(LayersModel m, const std::string& name) {
  SCOPED_TRACE(name);
  test::TempDir tmp;
  m.save((tmp / name).string());
  const test::TfjsRun tf = test::tfjsPredict(tmp / name);
  ASSERT_TRUE(tf.ok) << tf.text;
  const auto xs = tensorsOf(tf.predict["inputs"]);
  const auto ys = tensorsOf(tf.predict["outputs"]);
  const auto ours = m.predict(xs);
  ASSERT_EQ(ours.size(), ys.size());
  for (size_t i = 0; i < ys.size(); ++i) test::expectClose(ours[i], ys[i]);
}

TEST(BuilderLayers, ConvolutionsAgreeWithTfjs) {
  REQUIRE_TFJS();
  using namespace layers;
  expectTfjsAgrees(
      sequential({depthwiseConv2d({.kernelSize = {3},
                                   .depthMultiplier = 2,
                                   .padding = "same",
                                   .activation = "relu",
                                   .biasInitializer = "ones",
                                   .inputShape = {6, 6, 3},
                                   .depthwiseRegularizer = Regularizer{.l2 = 0.01}}),
                  separableConv2d({.filters = 4, .kernelSize = {3}, .strides = {2}}), flatten()})
          .build(3),
      "depthwise_separable");
  expectTfjsAgrees(
      sequential({conv3d({.filters = 2, .kernelSize = {2}, .inputShape = {4, 4, 4, 1}}),
                  maxPooling3d({.poolSize = {2}}), flatten()})
          .build(4),
      "conv3d_pool3d");
  expectTfjsAgrees(sequential({conv2dTranspose({.filters = 3,
                                                .kernelSize = {3},
                                                .strides = {2},
                                                .inputShape = {4, 4, 2},
                                                .kernelRegularizer = Regularizer{.l1 = 0.1}})})
                       .build(5),
                   "conv2d_transpose");
}

TEST(BuilderLayers, PoolingPaddingAndResizingAgreeWithTfjs) {
  REQUIRE_TFJS();
  using namespace layers;
  expectTfjsAgrees(sequential({maxPooling1d({.poolSize = {2}, .inputShape = {8, 3}}),
                               averagePooling1d({.poolSize = {2}}), globalMaxPooling1d()})
                       .build(6),
                   "pool1d");
  expectTfjsAgrees(
      sequential({averagePooling3d({.poolSize = {2}, .inputShape = {4, 4, 4, 2}}), flatten()})
          .build(6),
      "avgpool3d");
  expectTfjsAgrees(
      sequential({zeroPadding2d({.padding = {1, 2}, .inputShape = {4, 4, 1}}),
                  cropping2d({.padding = {1, 0, 2, 1}}),
                  upSampling2d({.size = {2, 3}, .interpolation = "bilinear"}), flatten()})
          .build(7),
      "pad_crop_upsample");
  expectTfjsAgrees(
      sequential({globalAveragePooling1d({.inputShape = {5, 3}}), reLU({.maxValue = 0.5})})
          .build(7),
      "gap1d_relu6");
}

TEST(BuilderLayers, ActivationsNormalizationAndShapesAgreeWithTfjs) {
  REQUIRE_TFJS();
  using namespace layers;
  expectTfjsAgrees(sequential({layerNormalization({.inputShape = {5}}),
                               dense({.units = 6, .kernelRegularizer = Regularizer{.l2 = 0.5}}),
                               leakyReLU({.alpha = 0.2}), elu(), thresholdedReLU({.theta = 0.1}),
                               prelu({.alphaInitializer = "ones"}), softmax()})
                       .build(8),
                   "activations");
  expectTfjsAgrees(sequential({permute({.dims = {2, 1}, .inputShape = {3, 4}}), flatten(),
                               repeatVector({.n = 3}),
                               timeDistributed(dense({.units = 2, .activation = "tanh"})),
                               bidirectional(simpleRNN({.units = 3}), {.mergeMode = "sum"})})
                       .build(9),
                   "shapes_wrappers");
  expectTfjsAgrees(
      sequential({rescaling({.scale = 0.5, .offset = 1, .inputShape = {4}}),
                  gaussianNoise({.value = 0.3}), gaussianDropout({.value = 0.2}),
                  alphaDropout({.value = 0.1}), masking({.maskValue = 0}), dense({.units = 2})})
          .build(10),
      "rescaling_noise");
  const auto a = input({.shape = {4}, .name = "a"});
  const auto b = input({.shape = {4}, .name = "b"});
  expectTfjsAgrees(
      model({.inputs = {a, b}, .outputs = {dot({.axes = {1}, .normalize = true}).apply({a, b})}})
          .build(11),
      "dot");
}

TEST(BuilderLayers, GenericLayerAndBadArguments) {
  using namespace layers;
  const LayerConfig g = layer("GaussianNoise", {{"stddev", 0.2}}, {.inputShape = {3}});
  EXPECT_EQ(g.className, "GaussianNoise");
  EXPECT_EQ(g.config["batch_input_shape"].dump(), "[null,3]");
  LayersModel m = sequential({g, dense({.units = 1})}).build(1);
  EXPECT_EQ(m.predict(zeros({2, 3})).shape(), (std::vector<int64_t>{2, 1}));
  auto message = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      return e.what();
    }
    return "";
  };
  EXPECT_THAT(message([] { layer("Dence", {}); }), HasSubstr("did you mean 'Dense'?"));
  EXPECT_THAT(message([] { dense({.units = 1, .kernelRegularizer = Regularizer{.l2 = -1}}); }),
              HasSubstr("finite values >= 0"));
  EXPECT_THAT(message([] { permute({.dims = {1, 3}}); }), HasSubstr("permutation"));
  EXPECT_THAT(message([] { zeroPadding2d({.padding = {1, 2, 3}}); }), HasSubstr("1, 2 or 4"));
  EXPECT_THAT(message([] { bidirectional(simpleRNN({.units = 2}), {.mergeMode = "max"}); }),
              HasSubstr("mergeMode 'max'"));
  EXPECT_THAT(message([] { repeatVector({.n = 0}); }), HasSubstr("n = 0"));
  EXPECT_THAT(message([] { elu({.alpha = 0.7}); }), HasSubstr("alpha 1 only"));
  // The regularizer fields are written as TF.js writes tf.regularizers.l1l2.
  const LayerConfig d = dense({.units = 1, .kernelRegularizer = Regularizer{.l1 = 0.1, .l2 = 0.2}});
  EXPECT_EQ(d.config["kernel_regularizer"]["class_name"], "L1L2");
  EXPECT_EQ(d.config["kernel_regularizer"]["config"]["l2"], 0.2);
  EXPECT_TRUE(d.config["bias_regularizer"].is_null());
  // Conv3DTranspose (no TF.js layer) builds and runs here.
  LayersModel t =
      sequential({conv3dTranspose({.filters = 2, .kernelSize = {2}, .inputShape = {2, 2, 2, 1}})})
          .build(2);
  EXPECT_EQ(t.predict(ones({1, 2, 2, 2, 1})).shape(), (std::vector<int64_t>{1, 3, 3, 3, 2}));
}

}  // namespace
}  // namespace tfjs
