// Streaming deltas of a sequence of feature frames, equal to librosa.feature.delta(data, width, order,
// mode='interp'), which is scipy.signal.savgol_filter(deriv=order, polyorder=order, mode='interp'):
// the order-th derivative of a least-squares polynomial of degree `order` fitted to `width` frames.
//  - Inside the sequence the window is centred on the frame, so frame t is known once frame
//    t + width/2 has arrived: the latency is width/2 frames.
//  - The first and last width/2 frames (mode 'interp') use the polynomial fitted to the first or last
//    `width` frames, evaluated at their position; the first ones are emitted with frame width/2, the
//    last ones by flush().
//  - A sequence shorter than `width` (where librosa raises) is fitted as one window of all its frames;
//    with no more frames than the polynomial degree, the deltas are 0.
// Output frames are [static, delta, (delta-delta)]: order 2 gives both the first and second derivative,
// each from its own fit (librosa's delta(order=1) and delta(order=2)), not the delta of the delta.
#pragma once

#include <cstdint>
#include <vector>

#include "encoders/feature_frame.h"

namespace liquid::encoders {

// Weights c such that sum_j c[j] y[j] is the deriv-th derivative, at index pos, of the degree-polyorder
// least-squares polynomial through y[0..window). All zero when window <= polyorder.
std::vector<double> savgol_coefficients(int window, int polyorder, int deriv, int pos);

class FeatureDeltas {
 public:
  // dim: width of the static frames; order: 1 or 2; width: odd, >= 3.
  FeatureDeltas(int dim, int order, int width);

  int out_width() const { return dim_ * (order_ + 1); }
  int latency_frames() const { return half_; }

  // Adds one static frame and appends the output frames it completes (none, one, or width/2 + 1 for
  // the frame that fills the first window).
  void push(const float* values, double time, int stream, std::vector<FeatureFrame>& out);
  // Appends the frames still held back and starts a new sequence.
  void flush(std::vector<FeatureFrame>& out);
  void reset();

 private:
  // Emits frame t from the window of `len` frames starting at `start`, with weights for position t - start.
  void emit(int64_t t, int64_t start, int len, const std::vector<float>* weights, std::vector<FeatureFrame>& out);

  int dim_, order_, width_, half_;
  std::vector<float> weights_[2];  // per derivative order: width x width (position, frame in window)
  std::vector<float> history_;     // ring of width_ static frames
  std::vector<double> times_;
  int stream_ = 0;
  int64_t count_ = 0;  // frames pushed since the last flush or reset
};

}  // namespace liquid::encoders
