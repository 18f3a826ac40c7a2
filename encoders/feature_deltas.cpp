// Savitzky-Golay weights by solving the small normal equations once; the streaming part keeps a ring of
// the last `width` static frames.
#include "encoders/feature_deltas.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace liquid::encoders {

std::vector<double> savgol_coefficients(int window, int polyorder, int deriv, int pos) {
  std::vector<double> c(size_t(std::max(window, 0)), 0.0);
  if (window <= polyorder || deriv > polyorder) return c;
  const int n = polyorder + 1;
  // Normal equations (A^T A) B = A^T with A[j][k] = (j - pos)^k; centring on pos keeps them well
  // conditioned. Row `deriv` of B, times deriv!, differentiates the fit at pos.
  std::vector<double> m(size_t(n * n), 0.0), rhs(size_t(n) * size_t(window), 0.0);
  for (int j = 0; j < window; ++j) {
    const double x = j - pos;
    for (int r = 0; r < n; ++r) {
      rhs[size_t(r * window + j)] = std::pow(x, r);
      for (int k = 0; k < n; ++k) m[size_t(r * n + k)] += std::pow(x, r + k);
    }
  }
  for (int col = 0; col < n; ++col) {  // Gauss-Jordan with partial pivoting on an n <= 3 system
    int pivot = col;
    for (int r = col + 1; r < n; ++r)
      if (std::abs(m[size_t(r * n + col)]) > std::abs(m[size_t(pivot * n + col)])) pivot = r;
    for (int k = 0; k < n; ++k) std::swap(m[size_t(col * n + k)], m[size_t(pivot * n + k)]);
    for (int j = 0; j < window; ++j) std::swap(rhs[size_t(col * window + j)], rhs[size_t(pivot * window + j)]);
    const double p = m[size_t(col * n + col)];
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = m[size_t(r * n + col)] / p;
      for (int k = 0; k < n; ++k) m[size_t(r * n + k)] -= f * m[size_t(col * n + k)];
      for (int j = 0; j < window; ++j) rhs[size_t(r * window + j)] -= f * rhs[size_t(col * window + j)];
    }
  }
  double factorial = 1.0;
  for (int i = 2; i <= deriv; ++i) factorial *= i;
  for (int j = 0; j < window; ++j) c[size_t(j)] = factorial * rhs[size_t(deriv * window + j)] / m[size_t(deriv * n + deriv)];
  return c;
}

namespace {
std::vector<float> weight_table(int width, int order) {
  std::vector<float> table(size_t(width) * size_t(width));
  for (int pos = 0; pos < width; ++pos) {
    const auto c = savgol_coefficients(width, order, order, pos);
    for (int j = 0; j < width; ++j) table[size_t(pos * width + j)] = float(c[size_t(j)]);
  }
  return table;
}
}  // namespace

FeatureDeltas::FeatureDeltas(int dim, int order, int width)
    : dim_(dim), order_(order), width_(width), half_(width / 2) {
  if (dim < 1 || order < 1 || order > 2 || width < 3 || width % 2 == 0)
    throw std::invalid_argument("feature deltas: dim " + std::to_string(dim) + ", order " + std::to_string(order) +
                                ", width " + std::to_string(width) +
                                "; expected dim >= 1, order 1 or 2, and an odd width >= 3");
  for (int o = 1; o <= order_; ++o) weights_[o - 1] = weight_table(width_, o);
  history_.resize(size_t(width_) * size_t(dim_));
  times_.resize(size_t(width_));
}

void FeatureDeltas::reset() { count_ = 0; }

void FeatureDeltas::push(const float* values, double time, int stream, std::vector<FeatureFrame>& out) {
  const size_t slot = size_t(count_ % width_);
  std::copy(values, values + dim_, history_.begin() + std::ptrdiff_t(slot * size_t(dim_)));
  times_[slot] = time;
  stream_ = stream;
  ++count_;
  if (count_ == width_) {  // the first window: its leading edge frames and its centre
    for (int64_t t = 0; t <= half_; ++t) emit(t, 0, width_, weights_, out);
  } else if (count_ > width_) {
    emit(count_ - 1 - half_, count_ - width_, width_, weights_, out);
  }
}

void FeatureDeltas::flush(std::vector<FeatureFrame>& out) {
  if (count_ >= width_) {
    for (int64_t t = count_ - half_; t < count_; ++t) emit(t, count_ - width_, width_, weights_, out);
  } else if (count_ > 0) {
    // Shorter than one window: one fit over all frames (allocates; this happens once per short stream).
    const int len = int(count_);
    std::vector<float> short_weights[2];
    for (int o = 1; o <= order_; ++o) {
      short_weights[o - 1].resize(size_t(len) * size_t(len));
      for (int pos = 0; pos < len; ++pos) {
        const auto c = savgol_coefficients(len, o, o, pos);
        for (int j = 0; j < len; ++j) short_weights[o - 1][size_t(pos * len + j)] = float(c[size_t(j)]);
      }
    }
    for (int64_t t = 0; t < count_; ++t) emit(t, 0, len, short_weights, out);
  }
  reset();
}

void FeatureDeltas::emit(int64_t t, int64_t start, int len, const std::vector<float>* weights,
                         std::vector<FeatureFrame>& out) {
  FeatureFrame& f = out.emplace_back();
  f.time = times_[size_t(t % width_)];
  f.stream = stream_;
  f.values.resize(size_t(out_width()));
  const float* own = &history_[size_t(t % width_) * size_t(dim_)];
  std::copy(own, own + dim_, f.values.begin());
  const size_t pos = size_t(t - start);
  for (int o = 1; o <= order_; ++o) {
    float* d = &f.values[size_t(o * dim_)];
    std::fill(d, d + dim_, 0.0f);
    for (int j = 0; j < len; ++j) {
      const float w = weights[o - 1][pos * size_t(len) + size_t(j)];
      const float* y = &history_[size_t((start + j) % width_) * size_t(dim_)];
      for (int i = 0; i < dim_; ++i) d[i] += w * y[i];
    }
  }
}

}  // namespace liquid::encoders
