// Every layer case of tests/oracle/layer_cases/*.mjs, run natively and compared with what the real
// TF.js computed on the same weights and inputs (tests/oracle/make_layer_cases.mjs, run by CTest
// as the `oracle_layer_cases` fixture). Tolerance per case: |ours - tfjs| <= abs + rel * |tfjs|
// (default abs 1e-5, rel 1e-4: float32 sums evaluated in another order).
// TFJS_LAYER_CASES=DIR points the test at another output folder of the runner.
#include <fmt/format.h>

#include <gtest/gtest.h>
#include <optional>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

Tensor fromHex(const Json& t) {
  const std::string& hex = t["hex"].get_ref<const std::string&>();
  Buffer b = Buffer::allocate(hex.size() / 2);
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    b.mutableData()[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  const DType dt = t["dtype"] == "int32" ? DType::kInt32 : DType::kFloat32;
  return Tensor(dt, t["shape"].get<std::vector<int64_t>>(), b, 0);
}

// Runs every case with `options`; `batched` only: the cases whose inputs all hold more than
// one sample. Returns how many ran.
size_t runCases(const ModelOptions& options, bool batched) {
  const fs::path dir = test::layerCasesDir();
  EXPECT_TRUE(fs::exists(dir / "cases.json"))
      << "run node tests/oracle/make_layer_cases.mjs " << dir;
  if (!fs::exists(dir / "cases.json")) return 0;
  const Json index = Json::parse(test::readText(dir / "cases.json"));
  size_t ran = 0;
  for (const auto& c : index["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(fmt::format("case {} ({})", name, c["file"].get<std::string>()));
    std::vector<Tensor> inputs;
    for (const auto& t : c["inputs"]) inputs.push_back(fromHex(t));
    bool several = !inputs.empty();
    for (const Tensor& t : inputs) several = several && !t.shape().empty() && t.shape()[0] > 1;
    if (batched && !several) continue;
    ++ran;
    std::optional<LayersModel> m;
    try {
      m = loadLayersModel((dir / name).string(), {}, options);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    std::vector<Tensor> outputs;
    try {
      outputs = m->predict(inputs);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_EQ(outputs.size(), c["outputs"].size());
    if (outputs.size() != c["outputs"].size()) continue;
    const double absTol = c["tolerance"]["abs"], relTol = c["tolerance"]["rel"];
    for (size_t k = 0; k < outputs.size(); ++k) {
      const Tensor want = fromHex(c["outputs"][k]);
      EXPECT_EQ(outputs[k].shape(), want.shape()) << "output " << k;
      if (outputs[k].shape() != want.shape()) continue;
      const auto a = outputs[k].floats();
      const auto b = want.floats();
      double worst = 0;
      size_t worstAt = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        const double excess = std::fabs(a[i] - b[i]) - (absTol + relTol * std::fabs(b[i]));
        if (excess > worst || (std::isnan(a[i]) != std::isnan(b[i]))) {
          worst = std::isnan(a[i]) != std::isnan(b[i]) ? INFINITY : excess;
          worstAt = i;
        }
      }
      EXPECT_EQ(worst, 0) << "output " << k << " element " << worstAt << ": ours " << a[worstAt]
                          << ", tfjs " << b[worstAt];
    }
  }
  return ran;
}

TEST(LayerCases, EveryCaseMatchesTfjs) {
  EXPECT_GE(runCases({}, false), 30u);
}

// predict() may run a batch in passes of fewer samples (ModelOptions::batchChunk): every layer
// must give each sample what TF.js gives it in the whole batch.
TEST(LayerCases, EveryCaseMatchesTfjsOneSamplePerPass) {
  ModelOptions options;
  options.batchChunk = 1;
  EXPECT_GE(runCases(options, true), 30u);
}

}  // namespace
}  // namespace tfjs
