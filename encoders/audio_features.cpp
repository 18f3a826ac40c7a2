// The encoder's streaming loop (a buffer of pending mono samples, one frame per hop) and the per-frame
// arithmetic: window, FFTW r2c, power, sparse mel sums, dB, DCT. After the first few blocks nothing here
// allocates except the output frames' value vectors, which the Encoder interface hands to the caller.
#include "encoders/audio_features.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace liquid::encoders {

namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

[[noreturn]] void fail(const std::string& what) { throw AudioFeatureError("audio features: " + what); }

const char* prefix(AudioFeatureKind kind) {
  switch (kind) {
    case AudioFeatureKind::kMagnitude: return "mag";
    case AudioFeatureKind::kPower: return "pow";
    case AudioFeatureKind::kLogMel: return "mel";
    case AudioFeatureKind::kMfcc: return "mfcc";
  }
  return "?";
}

}  // namespace

std::mutex& fftw_planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

AudioFeatureConfig resolve(AudioFeatureConfig c) {
  if (c.sample_rate < 1) fail("sample_rate is " + std::to_string(c.sample_rate) + "; expected >= 1 Hz");
  if (c.window_seconds > 0) c.window_samples = int(std::lround(c.window_seconds * c.sample_rate));
  if (c.hop_seconds > 0) c.hop_samples = int(std::lround(c.hop_seconds * c.sample_rate));
  if (c.window_samples < 2 || c.window_samples > (1 << 22))
    fail("window is " + std::to_string(c.window_samples) + " samples; expected 2 to 4194304");
  if (c.hop_samples < 1) fail("hop is " + std::to_string(c.hop_samples) + " samples; expected >= 1");
  if (c.fft_size == 0) {
    c.fft_size = 1;
    while (c.fft_size < c.window_samples) c.fft_size *= 2;
  }
  if (c.fft_size < c.window_samples || c.fft_size > (1 << 23))
    fail("fft_size is " + std::to_string(c.fft_size) + " for a window of " + std::to_string(c.window_samples) +
         " samples; expected fft_size >= window (or 0 for the next power of two)");
  const bool mel = c.kind == AudioFeatureKind::kLogMel || c.kind == AudioFeatureKind::kMfcc;
  if (mel) {
    const double nyquist = c.sample_rate / 2.0;
    if (c.fmax == 0) c.fmax = nyquist;
    if (c.n_mels < 1) fail("n_mels is " + std::to_string(c.n_mels) + "; expected >= 1");
    if (!(c.fmin >= 0 && c.fmin < c.fmax && c.fmax <= nyquist))
      fail("fmin " + fmt(c.fmin) + " Hz, fmax " + fmt(c.fmax) + " Hz; expected 0 <= fmin < fmax <= " + fmt(nyquist) +
           " Hz (half the sample rate)");
    if (!(c.log_floor > 0)) fail("log_floor is " + fmt(c.log_floor) + "; expected > 0");
  }
  if (c.kind == AudioFeatureKind::kMfcc && (c.n_mfcc < 1 || c.n_mfcc > c.n_mels))
    fail("n_mfcc is " + std::to_string(c.n_mfcc) + "; expected 1 to n_mels (" + std::to_string(c.n_mels) + ")");
  if (c.delta_order < 0 || c.delta_order > 2)
    fail("delta_order is " + std::to_string(c.delta_order) + "; expected 0, 1 or 2");
  if (c.delta_order > 0 && (c.delta_width < 3 || c.delta_width % 2 == 0))
    fail("delta_width is " + std::to_string(c.delta_width) + "; expected an odd number >= 3");
  return c;
}

struct AudioFeatureEncoder::Fft {
  float* in = nullptr;
  fftwf_complex* out = nullptr;
  fftwf_plan plan = nullptr;

  explicit Fft(int n) {
    std::lock_guard lock(fftw_planner_mutex());
    in = fftwf_alloc_real(size_t(n));
    out = fftwf_alloc_complex(size_t(n / 2 + 1));
    // ESTIMATE: planning is instant and deterministic, so every encoder of a size runs the same
    // algorithm and streaming/batch encoders agree bitwise.
    if (in && out) plan = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
    if (!plan) {
      fftwf_free(in);
      fftwf_free(out);
      fail("FFTW could not plan a real FFT of size " + std::to_string(n));
    }
    // An out-of-place r2c transform leaves its input alone, so the zero padding set here stays.
    std::fill(in, in + n, 0.0f);
  }
  ~Fft() {
    std::lock_guard lock(fftw_planner_mutex());
    fftwf_destroy_plan(plan);
    fftwf_free(in);
    fftwf_free(out);
  }
};

AudioFeatureEncoder::AudioFeatureEncoder(const AudioFeatureConfig& config) : config_(resolve(config)) {
  const auto& c = config_;
  n_bins_ = c.fft_size / 2 + 1;
  window_ = make_window(c.window, c.window_samples);
  static_width_ = n_bins_;
  if (c.kind == AudioFeatureKind::kLogMel || c.kind == AudioFeatureKind::kMfcc) {
    bands_ = mel_filterbank(c.sample_rate, c.fft_size, c.n_mels, c.fmin, c.fmax, c.mel_scale, c.slaney_norm);
    for (size_t m = 0; m < bands_.size(); ++m) {
      if (bands_[m].weights.empty())
        fail("mel band " + std::to_string(m) + " (" + fmt(bands_[m].low_hz) + " to " + fmt(bands_[m].high_hz) +
             " Hz) holds no FFT bin (bins are " + fmt(double(c.sample_rate) / c.fft_size) +
             " Hz apart); expected fewer n_mels, a larger fft_size or a higher fmin");
    }
    static_width_ = c.n_mels;
    if (c.kind == AudioFeatureKind::kMfcc) {
      dct_ = dct_ortho_matrix(c.n_mfcc, c.n_mels);
      static_width_ = c.n_mfcc;
    }
  }
  power_.resize(size_t(n_bins_));
  mel_.resize(size_t(c.n_mels));
  static_.resize(size_t(static_width_));
  fft_ = std::make_unique<Fft>(c.fft_size);
  if (c.delta_order > 0) deltas_ = std::make_unique<FeatureDeltas>(static_width_, c.delta_order, c.delta_width);
}

AudioFeatureEncoder::~AudioFeatureEncoder() = default;
AudioFeatureEncoder::AudioFeatureEncoder(AudioFeatureEncoder&&) noexcept = default;
AudioFeatureEncoder& AudioFeatureEncoder::operator=(AudioFeatureEncoder&&) noexcept = default;

void AudioFeatureEncoder::encode(const sensors::TimedSample& sample, std::vector<FeatureFrame>& out) {
  const auto* block = std::get_if<sensors::AudioBlock>(&sample.payload);
  if (!block)
    fail("sample at t=" + fmt(sample.time) + " s on stream " + std::to_string(sample.stream) + " holds " +
         (std::holds_alternative<sensors::VideoFrame>(sample.payload) ? "a video frame" : "a series row") +
         "; expected an audio block");
  encode_block(*block, sample.time, sample.stream, out);
}

void AudioFeatureEncoder::encode_block(const sensors::AudioBlock& block, double time, int stream,
                                       std::vector<FeatureFrame>& out) {
  const int channels = block.channels;
  if (block.sample_rate != config_.sample_rate)
    fail("block at t=" + fmt(time) + " s has " + std::to_string(block.sample_rate) + " Hz audio; expected " +
         std::to_string(config_.sample_rate) + " Hz (the encoder's sample_rate)");
  if (channels < 1 || block.samples.size() % size_t(channels) != 0)
    fail("block at t=" + fmt(time) + " s has " + std::to_string(block.samples.size()) + " samples in " +
         std::to_string(channels) + " channels; expected a whole number of frames of >= 1 channel");
  const int64_t frames = block.frames();
  const int64_t block_start = samples_seen_;
  const int64_t end = pending_start_ + int64_t(pending_.size());
  // With hop > window the samples between windows are never analysed: skip them on arrival.
  const int64_t first = std::clamp<int64_t>(end - block_start, 0, frames);
  const size_t old = pending_.size();
  pending_.resize(old + size_t(frames - first));
  float* dst = pending_.data() + old;
  const float* src = block.samples.data() + first * channels;
  const float scale = 1.0f / float(channels);
  for (int64_t f = first; f < frames; ++f, src += channels) {
    float sum = src[0];
    for (int ch = 1; ch < channels; ++ch) sum += src[ch];
    const float mono = channels == 1 ? sum : sum * scale;
    if (!std::isfinite(mono)) {
      pending_.resize(old);  // the block is refused whole; the stream continues as if it never came
      fail("block at t=" + fmt(time) + " s, frame " + std::to_string(f) + ": sample is not finite; expected finite audio");
    }
    *dst++ = mono;
  }
  samples_seen_ += frames;

  const int64_t window = config_.window_samples;
  const double rate = config_.sample_rate;
  while (next_frame_ + window <= pending_start_ + int64_t(pending_.size())) {
    compute_frame(&pending_[size_t(next_frame_ - pending_start_)]);
    const double frame_time = time + (double(next_frame_ - block_start) + 0.5 * double(window)) / rate;
    if (deltas_) {
      deltas_->push(static_.data(), frame_time, stream, out);
    } else {
      FeatureFrame& f = out.emplace_back();
      f.time = frame_time;
      f.stream = stream;
      f.values.assign(static_.begin(), static_.end());
    }
    next_frame_ += config_.hop_samples;
  }
  // Keep only what the next frame needs, moved to the front of the buffer (no reallocation).
  const int64_t now_end = pending_start_ + int64_t(pending_.size());
  const int64_t keep_from = std::min(next_frame_, now_end);
  const size_t drop = size_t(keep_from - pending_start_);
  std::copy(pending_.begin() + std::ptrdiff_t(drop), pending_.end(), pending_.begin());
  pending_.resize(pending_.size() - drop);
  pending_start_ = pending_.empty() ? next_frame_ : keep_from;
}

void AudioFeatureEncoder::compute_frame(const float* samples) {
  const auto& c = config_;
  for (int i = 0; i < c.window_samples; ++i) fft_->in[i] = samples[i] * window_[size_t(i)];
  fftwf_execute(fft_->plan);
  for (int k = 0; k < n_bins_; ++k) {
    const float re = fft_->out[k][0], im = fft_->out[k][1];
    power_[size_t(k)] = re * re + im * im;
  }
  switch (c.kind) {
    case AudioFeatureKind::kMagnitude:
      for (int k = 0; k < n_bins_; ++k) static_[size_t(k)] = std::sqrt(power_[size_t(k)]);
      return;
    case AudioFeatureKind::kPower:
      std::copy(power_.begin(), power_.end(), static_.begin());
      return;
    case AudioFeatureKind::kLogMel:
    case AudioFeatureKind::kMfcc:
      break;
  }
  const float floor = float(c.log_floor);
  for (size_t m = 0; m < bands_.size(); ++m) {
    const MelBand& band = bands_[m];
    const float* p = &power_[size_t(band.first)];
    float sum = 0.0f;
    for (size_t j = 0; j < band.weights.size(); ++j) sum += band.weights[j] * p[j];
    mel_[m] = 10.0f * std::log10(std::max(sum, floor));
  }
  if (c.kind == AudioFeatureKind::kLogMel) {
    std::copy(mel_.begin(), mel_.end(), static_.begin());
    return;
  }
  for (int k = 0; k < c.n_mfcc; ++k) {
    const float* row = &dct_[size_t(k) * size_t(c.n_mels)];
    float sum = 0.0f;
    for (int m = 0; m < c.n_mels; ++m) sum += row[m] * mel_[size_t(m)];
    static_[size_t(k)] = sum;
  }
}

void AudioFeatureEncoder::flush(std::vector<FeatureFrame>& out) {
  if (deltas_) deltas_->flush(out);
  reset();
}

void AudioFeatureEncoder::reset() {
  pending_.clear();
  pending_start_ = 0;
  next_frame_ = 0;
  samples_seen_ = 0;
  if (deltas_) deltas_->reset();
}

int AudioFeatureEncoder::width() const { return deltas_ ? deltas_->out_width() : static_width_; }

std::vector<std::string> AudioFeatureEncoder::names() const {
  std::vector<std::string> names;
  const std::string base = prefix(config_.kind);
  for (const char* order : {"", "d_", "dd_"}) {
    if (names.size() >= size_t(width())) break;
    for (int i = 0; i < static_width_; ++i) names.push_back(order + base + "_" + std::to_string(i));
  }
  return names;
}

int AudioFeatureEncoder::latency_frames() const { return deltas_ ? deltas_->latency_frames() : 0; }

double AudioFeatureEncoder::latency_seconds() const {
  return double(latency_frames()) * config_.hop_samples / config_.sample_rate;
}

std::vector<FeatureFrame> encode_audio(const AudioFeatureConfig& config, const sensors::AudioBlock& block, double time,
                                       int stream) {
  AudioFeatureEncoder encoder(config);
  std::vector<FeatureFrame> out;
  encoder.encode_block(block, time, stream, out);
  encoder.flush(out);
  return out;
}

}  // namespace liquid::encoders
