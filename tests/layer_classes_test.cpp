// The layer-class table (layers/layer.h) against the real TF.js: its `tfjs` column is exactly the
// set of Layer classes the pinned @tensorflow/tfjs registers (tests/oracle/layer_classes.mjs), and
// every row the runtime builds makes a layer.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "convert/tfjs_check.h"
#include "layers/layer.h"
#include "test_util.h"

namespace tfjs {
namespace {

std::set<std::string> tfjsLayerClasses() {
  const std::string cmd = std::string("'") + TFJS_NODE + "' '" + TFJS_SOURCE_DIR +
                          "/tests/oracle/layer_classes.mjs' 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << out;
  return Json::parse(out).get<std::set<std::string>>();
}

TEST(LayerClasses, TheTfjsColumnIsWhatTfjsRegisters) {
  const std::set<std::string> real = tfjsLayerClasses();
  ASSERT_GE(real.size(), 60u);
  std::set<std::string> ours;
  for (const auto& [name, row] : layers::registry()) {
    if (row.tfjs) ours.insert(name);
  }
  EXPECT_EQ(ours, real);
  for (const std::string& name : real) EXPECT_TRUE(convert::tfjsRegistersLayerClass(name)) << name;
  EXPECT_FALSE(convert::tfjsRegistersLayerClass("Normalization"));
  EXPECT_FALSE(convert::tfjsRegistersLayerClass("NoSuchLayer"));
}

TEST(LayerClasses, RowsWithoutAFactoryAreRefusedByName) {
  for (const char* name : {"InputLayer", "Sequential", "LSTMCell", "StackedRNNCells"}) {
    ASSERT_NE(layers::findLayerClass(name), nullptr) << name;
    EXPECT_FALSE(layers::runsLayerClass(name)) << name;
    try {
      layers::createLayer(layers::Config(name, "x", Json::object()));
      ADD_FAILURE() << name << " was built";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(layers::runsLayerClass("Dense"));
  EXPECT_TRUE(layers::findLayerClass("Dense")->maskThrough);
  EXPECT_FALSE(layers::findLayerClass("Flatten")->maskThrough);
}

}  // namespace
}  // namespace tfjs
