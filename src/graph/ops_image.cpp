// The graph ops of the image family: CropAndResize and ImageProjectiveTransformV3, as
// tfjs-backend-cpu computes tf.image.cropAndResize and tf.image.transform (in double from the
// float32 operands, each result rounded to float32 once).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "graph/ops.h"
#include "kernels/kernels.h"

namespace tfjs::graph {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

// JavaScript's Math.round.
double jsRound(double v) {
  return std::floor(v + 0.5);
}

// CropAndResize: image [N, H, W, C], boxes [B, 4] (y1, x1, y2, x2 normalized), box_ind [B]
// int32, crop_size [ch, cw] (at least 1 each); method bilinear / nearest (lower-cased),
// extrapolation_value for sample points outside the image. A box whose index is >= N stays zeros
// (TF.js skips it); a negative index reads outside the image: NaN, as TF.js's reads past its
// array give.
std::vector<ValuePtr> cropAndResize(const OpContext& c) {
  const Value& image = c.floatIn(0);
  const Value& boxes = c.floatIn(1);
  const Value& boxInd = c.in(2);
  const auto crop = c.ints(3);
  if (image.shape.size() != 4)
    c.node.invalid(fmt::format("an image of rank {} (4 expected)", image.shape.size()));
  if (boxes.shape.size() != 2 || boxes.shape[1] != 4)
    c.node.invalid(
        fmt::format("boxes of shape {} ([numBoxes, 4] expected)", shapeText(boxes.shape)));
  const int64_t numBoxes = boxes.shape[0];
  if (boxInd.dtype != DType::kInt32) c.node.invalid("box_ind that is not int32");
  if (boxInd.shape != Shape{numBoxes})
    c.node.invalid(
        fmt::format("box_ind of shape {} for {} boxes", shapeText(boxInd.shape), numBoxes));
  if (crop.size() != 2) c.node.invalid("crop_size that is not [height, width]");
  if (crop[0] < 1 || crop[1] < 1)
    c.node.invalid(fmt::format("crop_size [{},{}] (at least [1,1])", crop[0], crop[1]));
  const std::string method = lower(c.node.string("method", "bilinear"));
  if (method != "bilinear" && method != "nearest")
    c.node.invalid(fmt::format("method '{}' (bilinear or nearest)", method));
  const bool bilinear = method == "bilinear";
  const auto extrapolation = static_cast<float>(c.node.number("extrapolation_value", 0.0));
  const int64_t batch = image.shape[0], h = image.shape[1], w = image.shape[2], ch = image.shape[3];
  const int64_t cropH = crop[0], cropW = crop[1];
  const Shape shape{numBoxes, cropH, cropW, ch};
  checkSize(c, shape);
  kernels::Array y(shape);
  const float* img = image.f.data();
  const int64_t imageSize = batch * h * w * ch;
  for (int64_t b = 0; b < numBoxes; ++b) {
    const double y1 = boxes.f[static_cast<size_t>(4 * b)],
                 x1 = boxes.f[static_cast<size_t>(4 * b + 1)];
    const double y2 = boxes.f[static_cast<size_t>(4 * b + 2)],
                 x2 = boxes.f[static_cast<size_t>(4 * b + 3)];
    const int64_t bi = boxInd.i[static_cast<size_t>(b)];
    if (bi >= batch) continue;
    // Element (row, col, channel) of image bi: NaN outside the array (a negative bi).
    auto at = [&](int64_t row, int64_t col, int64_t k) {
      const int64_t e = ((bi * h + row) * w + col) * ch + k;
      return e >= 0 && e < imageSize ? static_cast<double>(img[e])
                                     : std::numeric_limits<double>::quiet_NaN();
    };
    const double hScale =
        cropH > 1 ? (y2 - y1) * static_cast<double>(h - 1) / static_cast<double>(cropH - 1) : 0.0;
    const double wScale =
        cropW > 1 ? (x2 - x1) * static_cast<double>(w - 1) / static_cast<double>(cropW - 1) : 0.0;
    for (int64_t r = 0; r < cropH; ++r) {
      float* row = y.data.data() + (b * cropH + r) * cropW * ch;
      const double yIn = cropH > 1
                             ? y1 * static_cast<double>(h - 1) + static_cast<double>(r) * hScale
                             : 0.5 * (y1 + y2) * static_cast<double>(h - 1);
      if (yIn < 0 || yIn > static_cast<double>(h - 1)) {
        std::fill(row, row + cropW * ch, extrapolation);
        continue;
      }
      if (std::isnan(yIn)) {  // a NaN box: TF.js reads at NaN
        std::fill(row, row + cropW * ch, std::numeric_limits<float>::quiet_NaN());
        continue;
      }
      for (int64_t col = 0; col < cropW; ++col) {
        float* out = row + col * ch;
        const double xIn = cropW > 1
                               ? x1 * static_cast<double>(w - 1) + static_cast<double>(col) * wScale
                               : 0.5 * (x1 + x2) * static_cast<double>(w - 1);
        if (xIn < 0 || xIn > static_cast<double>(w - 1)) {
          std::fill(out, out + ch, extrapolation);
          continue;
        }
        if (std::isnan(xIn)) {
          std::fill(out, out + ch, std::numeric_limits<float>::quiet_NaN());
          continue;
        }
        if (bilinear) {
          const auto top = static_cast<int64_t>(std::floor(yIn)),
                     bottom = static_cast<int64_t>(std::ceil(yIn));
          const auto left = static_cast<int64_t>(std::floor(xIn)),
                     right = static_cast<int64_t>(std::ceil(xIn));
          const double yLerp = yIn - std::floor(yIn), xLerp = xIn - std::floor(xIn);
          for (int64_t k = 0; k < ch; ++k) {
            const double tl = at(top, left, k), tr = at(top, right, k);
            const double bl = at(bottom, left, k), br = at(bottom, right, k);
            const double t = tl + (tr - tl) * xLerp, bo = bl + (br - bl) * xLerp;
            out[k] = static_cast<float>(t + (bo - t) * yLerp);
          }
        } else {
          const auto ny = static_cast<int64_t>(jsRound(yIn)),
                     nx = static_cast<int64_t>(jsRound(xIn));
          for (int64_t k = 0; k < ch; ++k) out[k] = static_cast<float>(at(ny, nx, k));
        }
      }
    }
  }
  return {fromArray(std::move(y))};
}

// util.clamp(0, v, len - 1) (NaN stays NaN).
double clampCoord(double v, int64_t len) {
  if (std::isnan(v)) return v;
  return std::max(0.0, std::min(v, static_cast<double>(len - 1)));
}

// tfjs-backend-cpu's mapCoord for fill modes reflect, wrap, nearest; constant (and any other
// mode) leaves the coordinate.
double mapCoord(double v, int64_t len, const std::string& mode) {
  const auto n = static_cast<double>(len);
  if (mode == "reflect") {
    if (v < 0) {
      if (len <= 1) {
        v = 0;
      } else {
        const double sz2 = 2 * n;
        if (v < sz2) v = sz2 * std::trunc(-v / sz2) + v;
        v = v < -n ? v + sz2 : -v - 1;
      }
    } else if (v > n - 1) {
      if (len <= 1) {
        v = 0;
      } else {
        const double sz2 = 2 * n;
        v -= sz2 * std::trunc(v / sz2);
        if (v >= n) v = sz2 - v - 1;
      }
    }
    return clampCoord(v, len);
  }
  if (mode == "wrap") {
    if (v < 0) {
      if (len <= 1) {
        v = 0;
      } else {
        v += n * (std::trunc(-v / (n - 1)) + 1);
      }
    } else if (v > n - 1) {
      if (len <= 1) {
        v = 0;
      } else {
        v -= n * std::trunc(v / (n - 1));
      }
    }
    return clampCoord(v, len);
  }
  if (mode == "nearest") return clampCoord(v, len);
  return v;
}

// ImageProjectiveTransformV3 (tf.image.transform): images [N, H, W, C], transforms [N or 1, 8],
// output_shape [h, w], fill_value (input 3); interpolation nearest / bilinear, fill_mode
// constant / reflect / wrap / nearest (both lower-cased; required, as TF.js's executor
// lower-cases them; an unknown fill mode is constant). Output pixel (x, y) samples the input at
// ((a0 x + a1 y + a2) / p, (b0 x + b1 y + b2) / p), p = c0 x + c1 y + 1 (fill value when p is 0
// or the sample is outside). As tfjs-backend-cpu 4.22, only the first image is transformed: its
// kernel returns inside the batch loop, so images 1.. are all fill_value.
std::vector<ValuePtr> imageTransform(const OpContext& c) {
  const Value& image = c.floatIn(0);
  const Value& transforms = c.floatIn(1);
  const auto outSize = c.ints(2);
  const Value& fill = c.in(3);
  if (image.shape.size() != 4)
    c.node.invalid(fmt::format("images of rank {} (4 expected)", image.shape.size()));
  const int64_t batch = image.shape[0], h = image.shape[1], w = image.shape[2], ch = image.shape[3];
  if (transforms.shape.size() != 2 || (transforms.shape[0] != batch && transforms.shape[0] != 1) ||
      transforms.shape[1] != 8) {
    c.node.invalid(fmt::format("transforms of shape {} ([{} or 1, 8] expected)",
                               shapeText(transforms.shape), batch));
  }
  if (outSize.size() != 2) c.node.invalid("output_shape that is not [height, width]");
  if (fill.size() < 1) c.node.invalid("an empty fill_value");
  const double fillValue = fill.dtype == DType::kFloat32 ? static_cast<double>(fill.f[0])
                                                         : static_cast<double>(fill.i[0]);
  if (c.node.string("interpolation").empty() || c.node.string("fill_mode").empty())
    c.node.invalid("no interpolation or fill_mode (TF.js's executor needs both)");
  const std::string interpolation = lower(c.node.string("interpolation"));
  const std::string mode = lower(c.node.string("fill_mode"));
  const int64_t outH = outSize[0], outW = outSize[1];
  if (outH < 0 || outW < 0) c.node.invalid(fmt::format("output_shape [{},{}]", outH, outW));
  const Shape shape{batch, outH, outW, ch};
  checkSize(c, shape);
  kernels::Floats out(static_cast<size_t>(kernels::Array::count(shape)),
                      static_cast<float>(fillValue));
  if (batch > 0 && outH > 0 && outW > 0 && ch > 0) {
    if (interpolation != "nearest" && interpolation != "bilinear")
      c.node.invalid(fmt::format("interpolation '{}' (nearest or bilinear)", interpolation));
    const bool nearest = interpolation == "nearest";
    std::array<double, 8> t{};
    for (size_t i = 0; i < 8; ++i) t[i] = transforms.f[i];  // image 0's
    auto read = [&](double yy, double xx, int64_t k) {
      if (0 <= yy && yy < static_cast<double>(h) && 0 <= xx && xx < static_cast<double>(w)) {
        return static_cast<double>(image.f[static_cast<size_t>(
            (static_cast<int64_t>(yy) * w + static_cast<int64_t>(xx)) * ch + k)]);
      }
      return fillValue;
    };
    for (int64_t oy = 0; oy < outH; ++oy) {
      for (int64_t ox = 0; ox < outW; ++ox) {
        const auto dx = static_cast<double>(ox), dy = static_cast<double>(oy);
        const double p = t[6] * dx + t[7] * dy + 1;
        if (p == 0) continue;
        const double x = mapCoord((t[0] * dx + t[1] * dy + t[2]) / p, w, mode);
        const double y = mapCoord((t[3] * dx + t[4] * dy + t[5]) / p, h, mode);
        float* o = out.data() + (oy * outW + ox) * ch;
        for (int64_t k = 0; k < ch; ++k) {
          double v;
          if (nearest) {
            v = read(jsRound(y), jsRound(x), k);
          } else {
            const double y0 = std::floor(y), x0 = std::floor(x), y1 = y0 + 1, x1 = x0 + 1;
            const double top = (x1 - x) * read(y0, x0, k) + (x - x0) * read(y0, x1, k);
            const double bottom = (x1 - x) * read(y1, x0, k) + (x - x0) * read(y1, x1, k);
            v = (y1 - y) * top + (y - y0) * bottom;
          }
          o[k] = static_cast<float>(v);
        }
      }
    }
  }
  return {floatValue(shape, std::move(out))};
}

constexpr OpRow kRows[] = {
    {"CropAndResize", cropAndResize},
    {"ImageProjectiveTransformV3", imageTransform},
};

}  // namespace

std::span<const OpRow> imageOps() {
  return kRows;
}

}  // namespace tfjs::graph
