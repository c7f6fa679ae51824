// Loads a TF.js graph model (folder, model.json path or http(s) URL) as tf.loadGraphModel does,
// runs it on zeros of its input shapes (unknown dimensions 1), and prints what it computed.
//   usage: graph_model MODEL
#include <cstdio>
#include <map>
#include <string>

#include "tfjs/tfjs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: graph_model MODEL\n");
    return 2;
  }
  try {
    // [graph]
    const tfjs::GraphModel model = tfjs::loadGraphModel(argv[1]);
    std::map<std::string, tfjs::Tensor> feeds;  // by signature key or placeholder name
    for (const tfjs::ModelTensorInfo& in : model.inputs()) {
      std::vector<int64_t> shape = in.shape;
      for (int64_t& d : shape) d = d < 0 ? 1 : d;
      feeds.emplace(in.key, tfjs::zeros(shape, in.dtype));
    }
    const std::vector<tfjs::Tensor> ys = model.execute(feeds);  // model.outputNodes, in order
    for (size_t k = 0; k < ys.size(); ++k) {
      std::printf("%s: %s %s, first value %g\n", model.outputNodes()[k].c_str(),
                  std::string(tfjs::dtypeName(ys[k].dtype())).c_str(),
                  tfjs::Json(ys[k].shape()).dump().c_str(),
                  ys[k].size() > 0 ? ys[k].dataSync()[0] : 0.0f);
    }
    // [graph]
  } catch (const tfjs::Error& e) {
    std::fprintf(stderr, "graph_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
