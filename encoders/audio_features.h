// The audio encoder: AudioBlock samples to frames of STFT magnitude, power, log-mel or MFCC, optionally
// with deltas. Streaming: blocks of any size give exactly (bitwise; times to rounding) the frames of one
// batch call, since each frame is computed from the same samples by the same code whatever the split.
//
// Framing and its choices:
//  - No centre padding: frame k analyses samples [k hop, k hop + window) of the stream; a last partial
//    window is not analysed (librosa center=False). The first frame appears once `window` samples have
//    arrived.
//  - Each frame is the window's samples times a periodic Hann/Hamming window, zero-padded at the end to
//    fft_size (librosa instead centres a short window inside n_fft: same magnitudes, other phases).
//  - A frame's time is its window's centre, sample k hop + window / 2, expressed through the latest block:
//    block.time + (centre - block's first sample) / rate. Samples are taken as contiguous; a gap between
//    block times shows up in the frame times but is not filled.
//  - Multi-channel blocks are downmixed to mono by the mean of the channels.
//  - Values: magnitude |X|, power |X|^2 (unnormalised FFT of samples in [-1, 1]); log-mel is
//    10 log10(max(mel power, log_floor)) as librosa.power_to_db(ref=1, amin=log_floor, top_db=None)
//    (no top_db: it needs the whole signal's maximum); MFCC is the orthonormal DCT-II of that, first n_mfcc
//    (librosa.feature.mfcc without its top_db=80 clip).
//  - Deltas (see feature_deltas.h) delay the output by delta_width / 2 frames; flush() emits the tail.
// Errors (bad config, a block at another rate, a non-audio sample, a non-finite sample) throw
// AudioFeatureError saying which field or sample and what was expected.
#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "encoders/feature_deltas.h"
#include "encoders/feature_frame.h"
#include "encoders/mel_filterbank.h"

namespace liquid::encoders {

class AudioFeatureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class AudioFeatureKind { kMagnitude, kPower, kLogMel, kMfcc };

struct AudioFeatureConfig {
  int sample_rate = 16000;
  int window_samples = 400;   // 25 ms at 16 kHz
  int hop_samples = 160;      // 10 ms at 16 kHz
  double window_seconds = 0;  // > 0: overrides window_samples (rounded to the nearest sample)
  double hop_seconds = 0;     // > 0: overrides hop_samples
  int fft_size = 0;           // >= window; 0: the next power of two
  WindowKind window = WindowKind::kHann;
  AudioFeatureKind kind = AudioFeatureKind::kLogMel;
  int n_mels = 40;
  double fmin = 0.0;
  double fmax = 0.0;  // 0: sample_rate / 2
  MelScale mel_scale = MelScale::kSlaney;
  bool slaney_norm = true;  // unit-area triangles (librosa norm='slaney'); false: peak 1 (HTK style)
  double log_floor = 1e-10;  // amin of the dB conversion
  int n_mfcc = 13;
  int delta_order = 0;  // 0: none; 1: delta; 2: delta and delta-delta
  int delta_width = 9;  // frames in the regression window, odd (librosa's default)
};

// Validates `config` and fills in the derived fields (window/hop from seconds, fft_size, fmax).
// Throws AudioFeatureError naming the field.
AudioFeatureConfig resolve(AudioFeatureConfig config);

// FFTW's planner is not thread-safe; every plan creation and destruction in the process holds this.
std::mutex& fftw_planner_mutex();

class AudioFeatureEncoder : public Encoder {
 public:
  explicit AudioFeatureEncoder(const AudioFeatureConfig& config);
  ~AudioFeatureEncoder() override;
  AudioFeatureEncoder(AudioFeatureEncoder&&) noexcept;
  AudioFeatureEncoder& operator=(AudioFeatureEncoder&&) noexcept;

  void encode(const sensors::TimedSample& sample, std::vector<FeatureFrame>& out) override;
  void encode_block(const sensors::AudioBlock& block, double time, int stream, std::vector<FeatureFrame>& out);
  // Emits the frames held back for deltas, then starts a new stream (as reset()).
  void flush(std::vector<FeatureFrame>& out) override;
  void reset() override;
  int width() const override;
  std::vector<std::string> names() const override;

  const AudioFeatureConfig& config() const { return config_; }
  // Output delay from deltas, in frames and seconds (0 without deltas).
  int latency_frames() const;
  double latency_seconds() const;

 private:
  struct Fft;
  void compute_frame(const float* samples);

  AudioFeatureConfig config_;
  int n_bins_ = 0;
  int static_width_ = 0;
  std::vector<float> window_;
  std::vector<MelBand> bands_;
  std::vector<float> dct_;
  std::unique_ptr<Fft> fft_;
  std::unique_ptr<FeatureDeltas> deltas_;
  // Streaming state.
  std::vector<float> pending_;   // mono samples from absolute index pending_start_ on
  int64_t pending_start_ = 0;
  int64_t next_frame_ = 0;       // absolute index of the next frame's first sample
  int64_t samples_seen_ = 0;
  std::vector<float> power_, mel_, static_;
};

// Batch convenience: the frames of one whole block, flushed.
std::vector<FeatureFrame> encode_audio(const AudioFeatureConfig& config, const sensors::AudioBlock& block,
                                       double time = 0.0, int stream = 0);

}  // namespace liquid::encoders
