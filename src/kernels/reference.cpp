// Reference kernels: plain loops over channels_last data, in the order of tfjs-backend-cpu's
// loops (kernel position, input channel, output channel; bias and activation applied by the
// caller). They are the oracle for the fast kernels (fast.cpp) and run when reference kernels are
// asked for (kernels.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include <vector>

#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::kernels::reference {

void unary(Unary f, float* p, int64_t n) {
  switch (f) {
    case Unary::kLinear:
      return;
    case Unary::kRelu:
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0 ? p[i] : 0.0f;
      return;
    case Unary::kTanh:
      for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
      return;
    case Unary::kSigmoid:
      for (int64_t i = 0; i < n; ++i) p[i] = 1.0f / (1.0f + std::exp(-p[i]));
      return;
    case Unary::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) p[i] = std::min(1.0f, std::max(0.0f, 0.2f * p[i] + 0.5f));
      return;
    case Unary::kOther:
      break;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "kernels::unary: an activation without an element-wise kernel");
}

void dense(const float* x, int64_t rows, int64_t in, const float* k, int64_t units, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * in;
    float* yr = y + r * units;
    for (int64_t i = 0; i < in; ++i) {
      const float xi = xr[i];
      const float* krow = k + i * units;
      for (int64_t j = 0; j < units; ++j) yr[j] += xi * krow[j];
    }
  }
}

namespace {

// The window with dilation 1: the transposed convolution and pooling ignore w.dilation.
Window undilated(Window w) {
  w.dilation = {1, 1, 1};
  return w;
}

}  // namespace

// Every windowed kernel visits (output position o, kernel position p, input position i) triples
// with forEachTriple / forEachOutput + forEachTap (kernels.h): flat indices, times the channel
// count for offsets into the channels_last arrays.

void conv(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k, int64_t outC,
          float* y) {
  forEachTriple(w, batch, [&](int64_t o, int64_t p, int64_t i) {
    float* yp = y + o * outC;
    const float* xp = x + i * inC;
    const float* kp = k + p * inC * outC;
    for (int64_t c = 0; c < inC; ++c) {
      const float xv = xp[c];
      const float* kr = kp + c * outC;
      for (int64_t f = 0; f < outC; ++f) yp[f] += xv * kr[f];
    }
  });
}

void convBackward(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                  int64_t outC, const float* g, float* dx, float* dk) {
  forEachTriple(w, batch, [&](int64_t o, int64_t p, int64_t i) {
    const float* gp = g + o * outC;
    const int64_t xo = i * inC;
    const int64_t ko = p * inC * outC;
    for (int64_t c = 0; c < inC; ++c) {
      const float* kr = k + ko + c * outC;
      float* dkr = dk + ko + c * outC;
      const float xv = x[xo + c];
      float acc = 0;
      for (int64_t f = 0; f < outC; ++f) {
        acc += gp[f] * kr[f];
        dkr[f] += xv * gp[f];
      }
      if (dx) dx[xo + c] += acc;
    }
  });
}

void depthwiseBackward(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                       int64_t mult, const float* g, float* dx, float* dk) {
  const int64_t outC = inC * mult;
  forEachTriple(w, batch, [&](int64_t o, int64_t p, int64_t i) {
    const float* gp = g + o * outC;
    const int64_t xo = i * inC;
    const int64_t ko = p * outC;
    for (int64_t c = 0; c < inC; ++c) {
      const float xv = x[xo + c];
      float acc = 0;
      for (int64_t m = 0; m < mult; ++m) {
        const int64_t j = c * mult + m;
        acc += gp[j] * k[ko + j];
        dk[ko + j] += xv * gp[j];
      }
      if (dx) dx[xo + c] += acc;
    }
  });
}

void poolBackward(const float* x, int64_t batch, const Window& w, int64_t ch, bool isMax,
                  const float* g, float* dx) {
  std::vector<int64_t> offs;  // the in-bounds input offsets of a window, in the forward order
  for (int64_t n = 0; n < batch; ++n) {
    forEachOutput(w, n, [&](int64_t o, const Position& at) {
      const float* gp = g + o * ch;
      offs.clear();
      forEachTap(w, n, at, [&](int64_t, int64_t i) { offs.push_back(i * ch); });
      if (offs.empty()) return;
      for (int64_t c = 0; c < ch; ++c) {
        if (isMax) {
          int64_t best = offs[0];
          for (int64_t i : offs) {
            if (x[i + c] > x[best + c]) best = i;
          }
          dx[best + c] += gp[c];
        } else {
          const float share = gp[c] / static_cast<float>(offs.size());
          for (int64_t i : offs) dx[i + c] += share;
        }
      }
    });
  }
}

void depthwise(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
               int64_t mult, float* y) {
  const int64_t outC = inC * mult;
  forEachTriple(w, batch, [&](int64_t o, int64_t p, int64_t i) {
    float* yp = y + o * outC;
    const float* xp = x + i * inC;
    const float* kp = k + p * outC;
    for (int64_t c = 0; c < inC; ++c) {
      const float xv = xp[c];
      for (int64_t m = 0; m < mult; ++m) yp[c * mult + m] += xv * kp[c * mult + m];
    }
  });
}

// The forward window runs from y (w.in) to x (w.out): its "output" positions are x's.
void convTranspose(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                   int64_t outC, float* y) {
  forEachTriple(undilated(w), batch, [&](int64_t xi, int64_t p, int64_t yi) {
    const float* xp = x + xi * inC;
    float* yp = y + yi * outC;
    const float* kp = k + p * outC * inC;
    for (int64_t f = 0; f < outC; ++f) {
      const float* kr = kp + f * inC;
      float acc = 0.0f;
      for (int64_t c = 0; c < inC; ++c) acc += xp[c] * kr[c];
      yp[f] += acc;
    }
  });
}

void pool(const float* x, int64_t batch, const Window& w, int64_t ch, bool isMax, float* y) {
  const Window u = undilated(w);
  for (int64_t n = 0; n < batch; ++n) {
    forEachOutput(u, n, [&](int64_t o, const Position& at) {
      float* yp = y + o * ch;
      for (int64_t c = 0; c < ch; ++c) {
        float best = -std::numeric_limits<float>::infinity();
        double sum = 0.0;
        int64_t count = 0;
        forEachTap(u, n, at, [&](int64_t, int64_t i) {
          const float v = x[i * ch + c];
          if (isMax) {
            if (v > best) best = v;
          } else {
            sum += v;
            ++count;
          }
        });
        yp[c] = isMax ? best : static_cast<float>(sum / static_cast<double>(count));
      }
    });
  }
}

}  // namespace tfjs::kernels::reference
