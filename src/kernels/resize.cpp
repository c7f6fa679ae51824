// Image resizing (kernels.h): TF.js's resizeBilinear / resizeNearestNeighbor and their
// gradients on NHWC float32 images. The reference kernels compute each output pixel's source
// coordinates on the spot, as tfjs-backend-cpu's loops do; the fast ones compute the row and
// column tables once (the same double expressions) and run the images' rows in parallel, so
// both give the same bits. The gradients run each image on its own thread and keep TF.js's order
// of accumulation within an image.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "format/js_math.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::kernels {
namespace {

struct Geometry {
  int64_t batch, inH, inW, ch;
};

Geometry geometryOf(const Shape& s, const char* what) {
  if (s.size() != 4) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: images of rank {} (4 expected: [batch, height, width, channels])",
                            what, s.size()));
  }
  return {s[0], s[1], s[2], s[3]};
}

void checkSize(int64_t height, int64_t width, const char* what) {
  if (height < 0 || width < 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: a negative output size [{}, {}]", what, height, width));
  }
}

// in / out, or (in - 1) / (out - 1) with alignCorners when out > 1 (TF.js's effective ratio).
double ratio(int64_t in, int64_t out, bool alignCorners) {
  const bool aligned = alignCorners && out > 1;
  return static_cast<double>(aligned ? in - 1 : in) / static_cast<double>(aligned ? out - 1 : out);
}

// The source of output position i along one axis of `in` positions, bilinear.
struct Lerp {
  int64_t lo, hi;
  double frac;
};
Lerp bilinearSource(int64_t i, int64_t in, double ratio, bool halfPixel) {
  const double src =
      halfPixel ? ratio * (static_cast<double>(i) + 0.5) - 0.5 : ratio * static_cast<double>(i);
  const auto lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(src)));
  return {lo, std::min(in - 1, static_cast<int64_t>(std::ceil(src))),
          src - static_cast<double>(lo)};
}

// The source of output position i along one axis of `in` positions, nearest.
int64_t nearestSource(int64_t i, int64_t in, double ratio, bool alignCorners, bool halfPixel) {
  const double src = ratio * (halfPixel ? static_cast<double>(i) + 0.5 : static_cast<double>(i));
  int64_t at =
      std::min(in - 1, static_cast<int64_t>(alignCorners ? jsRound(src) : std::floor(src)));
  if (halfPixel) at = std::max<int64_t>(0, at);
  return at;
}

// One output pixel's channels, bilinear: top + (bottom - top) * rowFrac of two horizontal lerps.
inline void blend(const float* tl, const float* tr, const float* bl, const float* br,
                  double colFrac, double rowFrac, int64_t ch, float* out) {
  for (int64_t d = 0; d < ch; ++d) {
    const double top = tl[d] + (static_cast<double>(tr[d]) - tl[d]) * colFrac;
    const double bottom = bl[d] + (static_cast<double>(br[d]) - bl[d]) * colFrac;
    out[d] = static_cast<float>(top + (bottom - top) * rowFrac);
  }
}

// A resize's checked arguments, its zero-filled output and the ratios; `empty` when there is
// nothing to sample (an empty image or output: the output stays zeros).
struct Resize {
  Geometry g;
  Array y;
  double rowRatio = 0, colRatio = 0;
  bool empty = false;
};
Resize start(const Array& x, int64_t height, int64_t width, bool alignCorners, const char* what) {
  Resize r{geometryOf(x.shape, what), {}, 0, 0, false};
  checkSize(height, width, what);
  r.y = Array({r.g.batch, height, width, r.g.ch});
  r.empty = r.g.inH <= 0 || r.g.inW <= 0 || r.y.size() == 0;
  r.rowRatio = ratio(r.g.inH, height, alignCorners);
  r.colRatio = ratio(r.g.inW, width, alignCorners);
  return r;
}

// [f(0), ..., f(n - 1)]: the source of every output row or column, computed once.
template <typename F>
auto table(int64_t n, F f) {
  std::vector<decltype(f(int64_t{0}))> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v.push_back(f(i));
  return v;
}

}  // namespace

Array resizeBilinear(const Array& x, int64_t height, int64_t width, bool alignCorners,
                     bool halfPixelCenters) {
  if (referenceKernels()) {
    return reference::resizeBilinear(x, height, width, alignCorners, halfPixelCenters);
  }
  Resize rs = start(x, height, width, alignCorners, "resizeBilinear");
  const Geometry& g = rs.g;
  Array& y = rs.y;
  if (rs.empty) return std::move(y);
  const auto rows = table(
      height, [&](int64_t r) { return bilinearSource(r, g.inH, rs.rowRatio, halfPixelCenters); });
  const auto cols = table(
      width, [&](int64_t c) { return bilinearSource(c, g.inW, rs.colRatio, halfPixelCenters); });
  const float* in = x.data.data();
  float* out = y.data.data();
#pragma omp parallel for schedule(static) if (y.size() >= 32768)
  for (int64_t br = 0; br < g.batch * height; ++br) {
    const int64_t b = br / height;
    const Lerp& rl = rows[static_cast<size_t>(br % height)];
    const float* top = in + (b * g.inH + rl.lo) * g.inW * g.ch;
    const float* bottom = in + (b * g.inH + rl.hi) * g.inW * g.ch;
    float* o = out + br * width * g.ch;
    for (const Lerp& cl : cols) {
      blend(top + cl.lo * g.ch, top + cl.hi * g.ch, bottom + cl.lo * g.ch, bottom + cl.hi * g.ch,
            cl.frac, rl.frac, g.ch, o);
      o += g.ch;
    }
  }
  return std::move(y);
}

Array resizeNearest(const Array& x, int64_t height, int64_t width, bool alignCorners,
                    bool halfPixelCenters) {
  if (referenceKernels()) {
    return reference::resizeNearest(x, height, width, alignCorners, halfPixelCenters);
  }
  Resize rs = start(x, height, width, alignCorners, "resizeNearestNeighbor");
  const Geometry& g = rs.g;
  Array& y = rs.y;
  if (rs.empty) return std::move(y);
  const auto rows = table(height, [&](int64_t r) {
    return nearestSource(r, g.inH, rs.rowRatio, alignCorners, halfPixelCenters);
  });
  const auto cols = table(width, [&](int64_t c) {
    return nearestSource(c, g.inW, rs.colRatio, alignCorners, halfPixelCenters);
  });
  const float* in = x.data.data();
  float* out = y.data.data();
#pragma omp parallel for schedule(static) if (y.size() >= 32768)
  for (int64_t br = 0; br < g.batch * height; ++br) {
    const int64_t b = br / height;
    const float* src = in + (b * g.inH + rows[static_cast<size_t>(br % height)]) * g.inW * g.ch;
    float* o = out + br * width * g.ch;
    for (const int64_t c : cols) o = std::copy(src + c * g.ch, src + (c + 1) * g.ch, o);
  }
  return std::move(y);
}

Array resizeBilinearBackward(const Array& dy, const Shape& xShape, bool alignCorners) {
  const Geometry g = geometryOf(xShape, "resizeBilinear's gradient");
  const Geometry o = geometryOf(dy.shape, "resizeBilinear's gradient");
  Array dx(xShape);
  if (g.inH <= 0 || g.inW <= 0) return dx;
  const double rr = ratio(g.inH, o.inH, alignCorners), cr = ratio(g.inW, o.inW, alignCorners);
  const auto rows = table(o.inH, [&](int64_t r) { return bilinearSource(r, g.inH, rr, false); });
  const auto cols = table(o.inW, [&](int64_t c) { return bilinearSource(c, g.inW, cr, false); });
  const auto add = [](float& acc, float v, double w) {
    acc = static_cast<float>(static_cast<double>(acc) + static_cast<double>(v) * w);
  };
#pragma omp parallel for schedule(static) if (g.batch > 1 && dy.size() >= 32768)
  for (int64_t b = 0; b < g.batch; ++b) {
    float* img = dx.data.data() + b * g.inH * g.inW * g.ch;
    const float* grad = dy.data.data() + b * o.inH * o.inW * o.ch;
    for (const Lerp& rl : rows) {
      for (const Lerp& cl : cols) {
        const double wTL = (1.0 - rl.frac) * (1.0 - cl.frac), wTR = (1.0 - rl.frac) * cl.frac;
        const double wBL = rl.frac * (1.0 - cl.frac), wBR = rl.frac * cl.frac;
        float* tl = img + (rl.lo * g.inW + cl.lo) * g.ch;
        float* tr = img + (rl.lo * g.inW + cl.hi) * g.ch;
        float* bl = img + (rl.hi * g.inW + cl.lo) * g.ch;
        float* br = img + (rl.hi * g.inW + cl.hi) * g.ch;
        for (int64_t d = 0; d < g.ch; ++d, ++grad) {
          add(tl[d], *grad, wTL);
          add(tr[d], *grad, wTR);
          add(bl[d], *grad, wBL);
          add(br[d], *grad, wBR);
        }
      }
    }
  }
  return dx;
}

Array resizeNearestBackward(const Array& dy, const Shape& xShape, bool alignCorners) {
  const Geometry g = geometryOf(xShape, "resizeNearestNeighbor's gradient");
  const Geometry o = geometryOf(dy.shape, "resizeNearestNeighbor's gradient");
  Array dx(xShape, kUninitialized);
  if (g.inH <= 0 || g.inW <= 0) return Array(xShape);
  const double rr = ratio(g.inH, o.inH, alignCorners), cr = ratio(g.inW, o.inW, alignCorners);
  const auto rows =
      table(o.inH, [&](int64_t r) { return nearestSource(r, g.inH, rr, alignCorners, false); });
  const auto cols =
      table(o.inW, [&](int64_t c) { return nearestSource(c, g.inW, cr, alignCorners, false); });
  const int64_t image = g.inH * g.inW * g.ch;
#pragma omp parallel for schedule(static) if (g.batch > 1 && dy.size() >= 32768)
  for (int64_t b = 0; b < g.batch; ++b) {
    std::vector<double> acc(static_cast<size_t>(image), 0.0);
    const float* grad = dy.data.data() + b * o.inH * o.inW * o.ch;
    for (const int64_t r : rows) {
      for (const int64_t c : cols) {
        double* dst = acc.data() + (r * g.inW + c) * g.ch;
        for (int64_t d = 0; d < g.ch; ++d) dst[d] += *grad++;
      }
    }
    float* img = dx.data.data() + b * image;
    for (int64_t i = 0; i < image; ++i) img[i] = static_cast<float>(acc[static_cast<size_t>(i)]);
  }
  return dx;
}

namespace reference {

Array resizeBilinear(const Array& x, int64_t height, int64_t width, bool alignCorners,
                     bool halfPixelCenters) {
  Resize rs = start(x, height, width, alignCorners, "resizeBilinear");
  const Geometry& g = rs.g;
  Array& y = rs.y;
  if (rs.empty) return std::move(y);
  const double rr = rs.rowRatio, cr = rs.colRatio;
  const float* in = x.data.data();
  const auto at = [&](int64_t b, int64_t r, int64_t c) {
    return in + ((b * g.inH + r) * g.inW + c) * g.ch;
  };
  float* out = y.data.data();
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t r = 0; r < height; ++r) {
      for (int64_t c = 0; c < width; ++c, out += g.ch) {
        const Lerp rl = bilinearSource(r, g.inH, rr, halfPixelCenters);
        const Lerp cl = bilinearSource(c, g.inW, cr, halfPixelCenters);
        blend(at(b, rl.lo, cl.lo), at(b, rl.lo, cl.hi), at(b, rl.hi, cl.lo), at(b, rl.hi, cl.hi),
              cl.frac, rl.frac, g.ch, out);
      }
    }
  }
  return std::move(y);
}

Array resizeNearest(const Array& x, int64_t height, int64_t width, bool alignCorners,
                    bool halfPixelCenters) {
  Resize rs = start(x, height, width, alignCorners, "resizeNearestNeighbor");
  const Geometry& g = rs.g;
  Array& y = rs.y;
  if (rs.empty) return std::move(y);
  const double rr = rs.rowRatio, cr = rs.colRatio;
  float* out = y.data.data();
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t r = 0; r < height; ++r) {
      for (int64_t c = 0; c < width; ++c) {
        const int64_t sr = nearestSource(r, g.inH, rr, alignCorners, halfPixelCenters);
        const int64_t sc = nearestSource(c, g.inW, cr, alignCorners, halfPixelCenters);
        const float* src = x.data.data() + ((b * g.inH + sr) * g.inW + sc) * g.ch;
        out = std::copy(src, src + g.ch, out);
      }
    }
  }
  return std::move(y);
}

}  // namespace reference
}  // namespace tfjs::kernels
