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

void conv(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k, int64_t outC,
          float* y) {
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t od = 0; od < w.out[0]; ++od) {
      for (int64_t oh = 0; oh < w.out[1]; ++oh) {
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          float* yp = y + (((n * w.out[0] + od) * w.out[1] + oh) * w.out[2] + ow) * outC;
          for (int64_t kd = 0; kd < w.k[0]; ++kd) {
            const int64_t id = od * w.stride[0] - w.pad[0] + kd * w.dilation[0];
            if (id < 0 || id >= w.in[0]) continue;
            for (int64_t kh = 0; kh < w.k[1]; ++kh) {
              const int64_t ih = oh * w.stride[1] - w.pad[1] + kh * w.dilation[1];
              if (ih < 0 || ih >= w.in[1]) continue;
              for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                const int64_t iw = ow * w.stride[2] - w.pad[2] + kw * w.dilation[2];
                if (iw < 0 || iw >= w.in[2]) continue;
                const float* xp = x + (((n * w.in[0] + id) * w.in[1] + ih) * w.in[2] + iw) * inC;
                const float* kp = k + ((kd * w.k[1] + kh) * w.k[2] + kw) * inC * outC;
                for (int64_t c = 0; c < inC; ++c) {
                  const float xv = xp[c];
                  const float* kr = kp + c * outC;
                  for (int64_t f = 0; f < outC; ++f) yp[f] += xv * kr[f];
                }
              }
            }
          }
        }
      }
    }
  }
}

void convBackward(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                  int64_t outC, const float* g, float* dx, float* dk) {
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t od = 0; od < w.out[0]; ++od) {
      for (int64_t oh = 0; oh < w.out[1]; ++oh) {
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          const float* gp = g + (((n * w.out[0] + od) * w.out[1] + oh) * w.out[2] + ow) * outC;
          for (int64_t kd = 0; kd < w.k[0]; ++kd) {
            const int64_t id = od * w.stride[0] - w.pad[0] + kd * w.dilation[0];
            if (id < 0 || id >= w.in[0]) continue;
            for (int64_t kh = 0; kh < w.k[1]; ++kh) {
              const int64_t ih = oh * w.stride[1] - w.pad[1] + kh * w.dilation[1];
              if (ih < 0 || ih >= w.in[1]) continue;
              for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                const int64_t iw = ow * w.stride[2] - w.pad[2] + kw * w.dilation[2];
                if (iw < 0 || iw >= w.in[2]) continue;
                const int64_t xo = (((n * w.in[0] + id) * w.in[1] + ih) * w.in[2] + iw) * inC;
                const int64_t ko = ((kd * w.k[1] + kh) * w.k[2] + kw) * inC * outC;
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
              }
            }
          }
        }
      }
    }
  }
}

void depthwiseBackward(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                       int64_t mult, const float* g, float* dx, float* dk) {
  const int64_t outC = inC * mult;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t oh = 0; oh < w.out[1]; ++oh) {
      for (int64_t ow = 0; ow < w.out[2]; ++ow) {
        const float* gp = g + ((n * w.out[1] + oh) * w.out[2] + ow) * outC;
        for (int64_t kh = 0; kh < w.k[1]; ++kh) {
          const int64_t ih = oh * w.stride[1] - w.pad[1] + kh * w.dilation[1];
          if (ih < 0 || ih >= w.in[1]) continue;
          for (int64_t kw = 0; kw < w.k[2]; ++kw) {
            const int64_t iw = ow * w.stride[2] - w.pad[2] + kw * w.dilation[2];
            if (iw < 0 || iw >= w.in[2]) continue;
            const int64_t xo = ((n * w.in[1] + ih) * w.in[2] + iw) * inC;
            const int64_t ko = (kh * w.k[2] + kw) * outC;
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
          }
        }
      }
    }
  }
}

void poolBackward(const float* x, int64_t batch, const Window& w, int64_t ch, bool isMax,
                  const float* g, float* dx) {
  std::vector<int64_t> at;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t od = 0; od < w.out[0]; ++od) {
      for (int64_t oh = 0; oh < w.out[1]; ++oh) {
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          const float* gp = g + (((n * w.out[0] + od) * w.out[1] + oh) * w.out[2] + ow) * ch;
          at.clear();  // the in-bounds input offsets of this window, in the forward order
          for (int64_t kd = 0; kd < w.k[0]; ++kd) {
            const int64_t id = od * w.stride[0] - w.pad[0] + kd * w.dilation[0];
            if (id < 0 || id >= w.in[0]) continue;
            for (int64_t kh = 0; kh < w.k[1]; ++kh) {
              const int64_t ih = oh * w.stride[1] - w.pad[1] + kh * w.dilation[1];
              if (ih < 0 || ih >= w.in[1]) continue;
              for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                const int64_t iw = ow * w.stride[2] - w.pad[2] + kw * w.dilation[2];
                if (iw < 0 || iw >= w.in[2]) continue;
                at.push_back((((n * w.in[0] + id) * w.in[1] + ih) * w.in[2] + iw) * ch);
              }
            }
          }
          if (at.empty()) continue;
          for (int64_t c = 0; c < ch; ++c) {
            if (isMax) {
              int64_t best = at[0];
              for (int64_t o : at) {
                if (x[o + c] > x[best + c]) best = o;
              }
              dx[best + c] += gp[c];
            } else {
              const float share = gp[c] / static_cast<float>(at.size());
              for (int64_t o : at) dx[o + c] += share;
            }
          }
        }
      }
    }
  }
}

void depthwise(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
               int64_t mult, float* y) {
  const int64_t outC = inC * mult;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t oh = 0; oh < w.out[1]; ++oh) {
      for (int64_t ow = 0; ow < w.out[2]; ++ow) {
        float* yp = y + ((n * w.out[1] + oh) * w.out[2] + ow) * outC;
        for (int64_t kh = 0; kh < w.k[1]; ++kh) {
          const int64_t ih = oh * w.stride[1] - w.pad[1] + kh * w.dilation[1];
          if (ih < 0 || ih >= w.in[1]) continue;
          for (int64_t kw = 0; kw < w.k[2]; ++kw) {
            const int64_t iw = ow * w.stride[2] - w.pad[2] + kw * w.dilation[2];
            if (iw < 0 || iw >= w.in[2]) continue;
            const float* xp = x + ((n * w.in[1] + ih) * w.in[2] + iw) * inC;
            const float* kp = k + (kh * w.k[2] + kw) * outC;
            for (int64_t c = 0; c < inC; ++c) {
              const float xv = xp[c];
              for (int64_t m = 0; m < mult; ++m) yp[c * mult + m] += xv * kp[c * mult + m];
            }
          }
        }
      }
    }
  }
}

void convTranspose(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                   int64_t outC, float* y) {
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t id = 0; id < w.out[0]; ++id) {
      for (int64_t ih = 0; ih < w.out[1]; ++ih) {
        for (int64_t iw = 0; iw < w.out[2]; ++iw) {
          const float* xp = x + (((n * w.out[0] + id) * w.out[1] + ih) * w.out[2] + iw) * inC;
          for (int64_t kd = 0; kd < w.k[0]; ++kd) {
            const int64_t od = id * w.stride[0] - w.pad[0] + kd;
            if (od < 0 || od >= w.in[0]) continue;
            for (int64_t kh = 0; kh < w.k[1]; ++kh) {
              const int64_t oh = ih * w.stride[1] - w.pad[1] + kh;
              if (oh < 0 || oh >= w.in[1]) continue;
              for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                const int64_t ow = iw * w.stride[2] - w.pad[2] + kw;
                if (ow < 0 || ow >= w.in[2]) continue;
                float* yp = y + (((n * w.in[0] + od) * w.in[1] + oh) * w.in[2] + ow) * outC;
                const float* kp = k + ((kd * w.k[1] + kh) * w.k[2] + kw) * outC * inC;
                for (int64_t f = 0; f < outC; ++f) {
                  const float* kr = kp + f * inC;
                  float acc = 0.0f;
                  for (int64_t c = 0; c < inC; ++c) acc += xp[c] * kr[c];
                  yp[f] += acc;
                }
              }
            }
          }
        }
      }
    }
  }
}

void pool(const float* x, int64_t batch, const Window& w, int64_t ch, bool isMax, float* y) {
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t od = 0; od < w.out[0]; ++od) {
      const int64_t d0 = std::max<int64_t>(0, od * w.stride[0] - w.pad[0]);
      const int64_t d1 = std::min(w.in[0], od * w.stride[0] - w.pad[0] + w.k[0]);
      for (int64_t oh = 0; oh < w.out[1]; ++oh) {
        const int64_t h0 = std::max<int64_t>(0, oh * w.stride[1] - w.pad[1]);
        const int64_t h1 = std::min(w.in[1], oh * w.stride[1] - w.pad[1] + w.k[1]);
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          const int64_t w0 = std::max<int64_t>(0, ow * w.stride[2] - w.pad[2]);
          const int64_t w1 = std::min(w.in[2], ow * w.stride[2] - w.pad[2] + w.k[2]);
          float* yp = y + (((n * w.out[0] + od) * w.out[1] + oh) * w.out[2] + ow) * ch;
          for (int64_t c = 0; c < ch; ++c) {
            float best = -std::numeric_limits<float>::infinity();
            double sum = 0.0;
            int64_t count = 0;
            for (int64_t id = d0; id < d1; ++id) {
              for (int64_t ih = h0; ih < h1; ++ih) {
                const float* xr = x + (((n * w.in[0] + id) * w.in[1] + ih) * w.in[2]) * ch + c;
                for (int64_t iw = w0; iw < w1; ++iw) {
                  const float v = xr[iw * ch];
                  if (isMax) {
                    if (v > best) best = v;
                  } else {
                    sum += v;
                    ++count;
                  }
                }
              }
            }
            yp[c] = isMax ? best : static_cast<float>(sum / static_cast<double>(count));
          }
        }
      }
    }
  }
}

}  // namespace tfjs::kernels::reference
