// The summary (model/summary.cpp) against the runtime and the real TF.js, over every layer case
// of tests/oracle/layer_cases/*.mjs: the model's output shapes are those of the outputs TF.js
// computed (batch dimension None), and each layer's parameter count is the runtime layer's.
// Twice: as users get it (shapes and counts from the runtime's layers where they build), and
// with the config-only rules of summary_rules.cpp answering every layer (what the summary falls
// back on for classes and options the runtime refuses), so that those rules meet the same bar.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "model/summary_util.h"
#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

// "(None, 5, 4)" -> {nullopt, 5, 4}; "?" -> nullopt.
std::optional<std::vector<std::optional<int64_t>>> parseShape(const std::string& s) {
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return std::nullopt;
  std::vector<std::optional<int64_t>> dims;
  std::stringstream in(s.substr(1, s.size() - 2));
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    if (item.empty()) continue;  // "(5,)"
    dims.push_back(item == "None" ? std::nullopt : std::optional<int64_t>(std::stoll(item)));
  }
  return dims;
}

class SummaryCases : public ::testing::TestWithParam<bool> {};

TEST_P(SummaryCases, ShapesAreTfjsOutputsAndParamsAreTheRuntimes) {
  const bool rulesOnly = GetParam();
  const fs::path dir = test::layerCasesDir();
  ASSERT_TRUE(fs::exists(dir / "cases.json")) << "run node tests/oracle/make_layer_cases.mjs";
  const Json index = Json::parse(test::readText(dir / "cases.json"));
  size_t cases = 0, shapesChecked = 0, unknownDims = 0, layersChecked = 0;
  for (const auto& c : index["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(fmt::format("case {} ({})", name, c["file"].get<std::string>()));
    const ModelArtifacts a = loadModel((dir / name).string());
    const ModelSummary s = rulesOnly ? summary_detail::summarize(a, true) : summarizeLayersModel(a);
    ++cases;
    // Output shapes: the summary's model outputs against what TF.js computed.
    if (s.outputShapes.size() != c["outputs"].size()) {
      ADD_FAILURE() << s.outputShapes.size() << " outputs, TF.js " << c["outputs"].size();
      continue;
    }
    for (size_t i = 0; i < s.outputShapes.size(); ++i) {
      const auto want = c["outputs"][i]["shape"].get<std::vector<int64_t>>();
      const auto got = parseShape(s.outputShapes[i]);
      if (!got || got->size() != want.size()) {
        ADD_FAILURE() << "output " << i << ": " << s.outputShapes[i] << ", TF.js computed rank "
                      << want.size();
        continue;
      }
      EXPECT_FALSE((*got)[0].has_value()) << "the batch dimension is None";
      for (size_t d = 1; d < want.size(); ++d) {
        if (!(*got)[d].has_value()) {
          ++unknownDims;  // a dimension the topology leaves open (a None time axis)
          continue;
        }
        EXPECT_EQ(*(*got)[d], want[d])
            << "output " << i << " dim " << d << ": " << s.outputShapes[i];
      }
      ++shapesChecked;
    }
    // Parameters: each layer's count against the runtime layer's.
    const LayersModel m = loadLayersModel((dir / name).string());
    std::map<std::string, int64_t> runtime;
    for (const Layer& l : m.layers()) runtime[l.name()] = l.countParams();
    for (const LayerSummary& row : s.layers) {
      auto it = runtime.find(row.name);
      if (it == runtime.end()) continue;  // InputLayers (not runtime layers)
      EXPECT_TRUE(row.paramsKnown) << row.name << " (" << row.className << ")";
      EXPECT_EQ(static_cast<int64_t>(row.params), it->second)
          << row.name << " (" << row.className << ")";
      ++layersChecked;
    }
  }
  std::printf("%zu cases, %zu output shapes (%zu dimensions left None), %zu layers\n", cases,
              shapesChecked, unknownDims, layersChecked);
  EXPECT_GE(cases, 200u);
  EXPECT_GE(layersChecked, cases);
}

INSTANTIATE_TEST_SUITE_P(Summary, SummaryCases, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "RulesOnly" : "AsUsersGetIt"; });

}  // namespace
}  // namespace tfjs
