// Runnable (runnable.h).
#include "runnable.h"

#include <fmt/format.h>

#include <cmath>

#include "tfjs/convert.h"

namespace tfjs::cli {
namespace {

// `x` as the dtype a graph input declares: float32 values that are whole numbers (0 / 1 for
// bool) become int32 / bool, as a user of TF.js would make them; anything else stays for the
// model's own dtype check to refuse.
Tensor conform(const Tensor& x, DType want, const std::string& name) {
  if (x.dtype() != DType::kFloat32 || (want != DType::kInt32 && want != DType::kBool)) return x;
  const auto v = x.floats();
  std::vector<int32_t> ints(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const bool whole =
        std::isfinite(v[i]) && std::trunc(v[i]) == v[i] && std::fabs(v[i]) < 2147483648.0f;
    if (!whole || (want == DType::kBool && v[i] != 0 && v[i] != 1)) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("input '{}' is {}, but element {} is {}", name, dtypeName(want), i,
                              floatText(v[i])));
    }
    ints[i] = static_cast<int32_t>(v[i]);
  }
  return tensor(std::span<const int32_t>(ints), x.shape(), want);
}

}  // namespace

Runnable Runnable::open(const ModelArgs& model, const RunArgs& run, bool progress) {
  Runnable r;
  ModelArtifacts a = loadAnyModel(model.model, model.loadOptions(progress));
  if (a.inferredFormat() == ModelFormat::kGraph) {
    GraphModelOptions options;
    options.threads = run.threads;
    r.graph_ = std::make_shared<const GraphModel>(GraphModel::fromArtifacts(a, options));
    for (const ModelTensorInfo& in : r.graph_->inputs()) {
      r.inputs_.push_back({in.key, in.knownRank ? in.shape : std::vector<int64_t>{}, in.dtype});
    }
    // Named as TF.js's execute names them: by structuredOutputKeys when the model has them.
    r.outputNames_ = r.graph_->structuredOutputKeys().size() == r.graph_->outputNodes().size()
                         ? r.graph_->structuredOutputKeys()
                         : r.graph_->outputNodes();
  } else {
    r.layers_ =
        std::make_shared<const LayersModel>(LayersModel::fromArtifacts(a, run.modelOptions()));
    r.inputs_ = r.layers_->inputs();
    for (const TensorInfo& out : r.layers_->outputs()) r.outputNames_.push_back(out.name);
  }
  return r;
}

std::vector<Tensor> Runnable::run(const std::vector<Tensor>& xs,
                                  const std::vector<std::string>& fetch) const {
  if (layers_) {
    if (!fetch.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "--outputs names node outputs of a graph model; "
                  "this is a layers model");
    }
    return layers_->predict(xs);
  }
  std::map<std::string, Tensor> feeds;
  for (size_t k = 0; k < xs.size() && k < inputs_.size(); ++k) {
    feeds.emplace(inputs_[k].name, conform(xs[k], inputs_[k].dtype, inputs_[k].name));
  }
  return graph_->execute(feeds, fetch);
}

}  // namespace tfjs::cli
