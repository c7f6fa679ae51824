// Graph ops of tfjs-converter's dynamic family whose output size depends on the values:
// NonMaxSuppressionV2 / V3 / V4 / V5, as tfjs-core's nonMaxSuppressionImpl computes them:
// candidates above the score threshold taken by score (ties: the lower box index first), each
// kept unless its IoU with a kept box reaches the IoU threshold; V5's soft-NMS lowers a score by
// exp(-0.5 / sigma * iou^2) instead and puts the candidate back. Arithmetic in double, as in
// JavaScript. V4 returns (indices padded to maxOutputSize with 0 when asked, valid count); V5
// returns (indices, scores): two outputs, as TF.js's executor gives them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

struct Candidate {
  double score;
  int64_t box;
  size_t suppressBegin;
};

// TF.js's ascending order (the best candidate last): by score, then the larger index first.
bool before(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score < b.score;
  return a.box > b.box;
}

double iouOf(const float* boxes, int64_t i, int64_t j) {
  const float* a = boxes + i * 4;
  const float* b = boxes + j * 4;
  const double yminA = std::min(a[0], a[2]), xminA = std::min(a[1], a[3]);
  const double ymaxA = std::max(a[0], a[2]), xmaxA = std::max(a[1], a[3]);
  const double yminB = std::min(b[0], b[2]), xminB = std::min(b[1], b[3]);
  const double ymaxB = std::max(b[0], b[2]), xmaxB = std::max(b[1], b[3]);
  const double areaA = (ymaxA - yminA) * (xmaxA - xminA);
  const double areaB = (ymaxB - yminB) * (xmaxB - xminB);
  if (areaA <= 0 || areaB <= 0) return 0.0;
  const double inter = std::max(std::min(ymaxA, ymaxB) - std::max(yminA, yminB), 0.0) *
                       std::max(std::min(xmaxA, xmaxB) - std::max(xminA, xminB), 0.0);
  return inter / (areaA + areaB - inter);
}

double scalarAt(const OpContext& c, size_t k, double otherwise) {
  if (k >= c.inputs.size()) return otherwise;
  const Value& v = c.in(k);
  if (v.size() != 1) c.node.invalid(fmt::format("input {} is not a scalar", k));
  return v.dtype == DType::kFloat32 ? static_cast<double>(v.f[0]) : static_cast<double>(v.i[0]);
}

std::vector<ValuePtr> nms(const OpContext& c) {
  const std::string& op = c.node.op;
  const Value& boxes = c.floatIn(0);
  const Value& scores = c.floatIn(1);
  if (boxes.shape.size() != 2 || boxes.shape[1] != 4) {
    c.node.invalid(fmt::format("boxes of shape {} ([n, 4] expected)", shapeText(boxes.shape)));
  }
  const int64_t n = boxes.shape[0];
  if (scores.shape != Shape{n}) {
    c.node.invalid(fmt::format("scores of shape {} for {} boxes", shapeText(scores.shape), n));
  }
  const double maxOut = std::min<double>(scalarAt(c, 2, 0), static_cast<double>(n));
  const double iouThreshold = scalarAt(c, 3, 0.5);
  const double scoreThreshold = op == "NonMaxSuppressionV2"
                                    ? -std::numeric_limits<double>::infinity()
                                    : scalarAt(c, 4, -std::numeric_limits<double>::infinity());
  const double sigma = op == "NonMaxSuppressionV5" ? scalarAt(c, 5, 0.0) : 0.0;
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) {
    c.node.invalid(fmt::format("iouThreshold {} is not in [0, 1]", iouThreshold));
  }
  if (!(sigma >= 0 && sigma <= 1))
    c.node.invalid(fmt::format("softNmsSigma {} is not in [0, 1]", sigma));
  const double scale = sigma > 0 ? -0.5 / sigma : 0.0;

  std::vector<Candidate> candidates;  // ascending: the best at the back
  for (int64_t i = 0; i < n; ++i) {
    const double s = scores.f[static_cast<size_t>(i)];
    if (s > scoreThreshold) candidates.push_back({s, i, 0});
  }
  std::stable_sort(candidates.begin(), candidates.end(), before);
  std::vector<int32_t> selected;
  std::vector<float> selectedScores;
  while (static_cast<double>(selected.size()) < maxOut && !candidates.empty()) {
    Candidate cand = candidates.back();
    candidates.pop_back();
    const double original = cand.score;
    if (original < scoreThreshold) break;
    bool ignore = false;
    for (size_t j = selected.size(); j-- > cand.suppressBegin;) {
      const double iou = iouOf(boxes.f.data(), cand.box, selected[j]);
      if (iou >= iouThreshold) {
        ignore = true;
        break;
      }
      // Soft-NMS's weight (without soft NMS, scale 0: a weight of 1, the score unchanged).
      if (scale != 0) cand.score *= iou <= iouThreshold ? std::exp(scale * iou * iou) : 0.0;
      if (cand.score <= scoreThreshold) break;
    }
    cand.suppressBegin = selected.size();
    if (ignore) continue;
    if (cand.score == original) {
      selected.push_back(static_cast<int32_t>(cand.box));
      selectedScores.push_back(static_cast<float>(cand.score));
    } else if (cand.score > scoreThreshold) {
      candidates.insert(std::lower_bound(candidates.begin(), candidates.end(), cand, before), cand);
    }
  }
  const auto valid = static_cast<int32_t>(selected.size());
  if (op == "NonMaxSuppressionV4" && c.node.flag("pad_to_max_output_size", false)) {
    // TF.js pads with new Array(maxOutputSize - count): a negative size is a RangeError there.
    if (!(maxOut >= 0)) {
      c.node.invalid(fmt::format("padding to a max_output_size of {}", scalarAt(c, 2, 0)));
    }
    selected.resize(static_cast<size_t>(maxOut), 0);
  }
  const auto count = static_cast<int64_t>(selected.size());
  std::vector<ValuePtr> out{intValue({count}, std::move(selected))};
  if (op == "NonMaxSuppressionV4") out.push_back(intValue({}, {valid}));
  if (op == "NonMaxSuppressionV5") {
    out.push_back(floatValue({static_cast<int64_t>(selectedScores.size())},
                             kernels::Floats(selectedScores.begin(), selectedScores.end())));
  }
  return out;
}

constexpr OpRow kRows[] = {
    {"NonMaxSuppressionV2", nms},
    {"NonMaxSuppressionV3", nms},
    {"NonMaxSuppressionV4", nms},
    {"NonMaxSuppressionV5", nms},
};

}  // namespace

std::span<const OpRow> dynamicOps() {
  return kRows;
}

}  // namespace tfjs::graph
