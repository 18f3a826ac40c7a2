// Tables in double, stored as float: they are made once, and the float rounding then matches numpy's
// float64 tables to ~1e-7.
#include "encoders/mel_filterbank.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace liquid::encoders {

namespace {
// Slaney's constants (librosa.core.convert.hz_to_mel).
constexpr double kLinearHzPerMel = 200.0 / 3.0;
constexpr double kBreakHz = 1000.0;
constexpr double kBreakMel = kBreakHz / kLinearHzPerMel;  // 15
const double kLogStep = std::log(6.4) / 27.0;             // ratio 6.4 spans 27 mels
}  // namespace

std::vector<float> make_window(WindowKind kind, int n) {
  const double a = kind == WindowKind::kHann ? 0.5 : 0.54;
  std::vector<float> w(size_t(std::max(n, 0)));
  for (int i = 0; i < n; ++i) w[size_t(i)] = float(a - (1.0 - a) * std::cos(2.0 * std::numbers::pi * i / n));
  return w;
}

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kBreakHz) return hz / kLinearHzPerMel;
  return kBreakMel + std::log(hz / kBreakHz) / kLogStep;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kBreakMel) return mel * kLinearHzPerMel;
  return kBreakHz * std::exp(kLogStep * (mel - kBreakMel));
}

std::vector<MelBand> mel_filterbank(int sample_rate, int n_fft, int n_mels, double fmin, double fmax, MelScale scale,
                                    bool slaney_norm) {
  // Band edges: n_mels + 2 points equally spaced in mel (librosa.mel_frequencies).
  const double mel_lo = hz_to_mel(fmin, scale), mel_hi = hz_to_mel(fmax, scale);
  std::vector<double> edge(size_t(n_mels) + 2);
  for (size_t i = 0; i < edge.size(); ++i)
    edge[i] = mel_to_hz(mel_lo + (mel_hi - mel_lo) * double(i) / double(n_mels + 1), scale);

  const int n_bins = n_fft / 2 + 1;
  std::vector<MelBand> bands(static_cast<size_t>(n_mels));
  for (int m = 0; m < n_mels; ++m) {
    const double lo = edge[size_t(m)], mid = edge[size_t(m) + 1], hi = edge[size_t(m) + 2];
    const double norm = slaney_norm ? 2.0 / (hi - lo) : 1.0;
    MelBand& band = bands[size_t(m)];
    band.low_hz = lo;
    band.centre_hz = mid;
    band.high_hz = hi;
    int last = -1;
    for (int k = 0; k < n_bins; ++k) {
      const double f = double(k) * sample_rate / n_fft;
      // The rising and falling edges of the triangle, as librosa: max(0, min(lower, upper)).
      const double w = std::max(0.0, std::min((f - lo) / (mid - lo), (hi - f) / (hi - mid)));
      if (w <= 0.0) continue;
      if (last < 0) band.first = k;
      band.weights.resize(size_t(k - band.first) + 1, 0.0f);
      band.weights.back() = float(w * norm);
      last = k;
    }
  }
  return bands;
}

std::vector<float> dct_ortho_matrix(int n_out, int n_in) {
  std::vector<float> m(size_t(n_out) * size_t(n_in));
  for (int k = 0; k < n_out; ++k) {
    const double s = std::sqrt((k == 0 ? 1.0 : 2.0) / n_in);
    for (int i = 0; i < n_in; ++i)
      m[size_t(k) * size_t(n_in) + size_t(i)] = float(s * std::cos(std::numbers::pi * k * (2.0 * i + 1.0) / (2.0 * n_in)));
  }
  return m;
}

}  // namespace liquid::encoders
