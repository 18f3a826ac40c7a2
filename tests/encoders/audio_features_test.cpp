// The audio encoder: spectral checks on a sine and a chirp, numpy reference values on a real FSDD
// recording (tests/data/audio/make_audio_reference.py), streaming equal to batch for random splits,
// deltas on polynomials, names, and the errors.
#include "encoders/audio_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

#include "sensors/audio_file.h"
#include "tests/common/allocation_counter.h"

namespace {

using liquid::encoders::AudioFeatureConfig;
using liquid::encoders::AudioFeatureEncoder;
using liquid::encoders::AudioFeatureError;
using liquid::encoders::AudioFeatureKind;
using liquid::encoders::FeatureDeltas;
using liquid::encoders::FeatureFrame;
using liquid::encoders::MelScale;
using liquid::encoders::WindowKind;
using liquid::sensors::AudioBlock;
using liquid::sensors::TimedSample;

const std::string kData = std::string(LIQUID_TEST_DATA) + "/audio/";

AudioBlock mono(int rate, std::vector<float> samples) { return {rate, 1, std::move(samples)}; }

AudioBlock tone(int rate, double seconds, double hz, double amplitude) {
  std::vector<float> s(size_t(seconds * rate));
  for (size_t i = 0; i < s.size(); ++i) s[i] = float(amplitude * std::sin(2 * std::numbers::pi * hz * double(i) / rate));
  return mono(rate, s);
}

size_t argmax(const std::vector<float>& v) { return size_t(std::max_element(v.begin(), v.end()) - v.begin()); }

// Feeds `block` in pieces whose sizes come from `next_size`, then flushes.
template <class NextSize>
std::vector<FeatureFrame> stream(const AudioFeatureConfig& config, const AudioBlock& block, NextSize next_size) {
  AudioFeatureEncoder encoder(config);
  std::vector<FeatureFrame> out;
  TimedSample piece;
  int64_t at = 0;
  while (at < block.frames()) {
    const int64_t n = std::min<int64_t>(next_size(), block.frames() - at);
    AudioBlock part{block.sample_rate, block.channels, {}};
    part.samples.assign(block.samples.begin() + at * block.channels, block.samples.begin() + (at + n) * block.channels);
    piece.time = double(at) / block.sample_rate;
    piece.payload = std::move(part);
    encoder.encode(piece, out);
    at += n;
  }
  encoder.flush(out);
  return out;
}

void expect_same_frames(const std::vector<FeatureFrame>& a, const std::vector<FeatureFrame>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].values, b[i].values) << "frame " << i;  // bitwise
    ASSERT_NEAR(a[i].time, b[i].time, 1e-9) << "frame " << i;
  }
}

TEST(AudioFeatures, SineAtABinCentrePeaksInThatBinWithHalfTheWindowSum) {
  AudioFeatureConfig c;  // 16 kHz, 400-sample Hann, fft 512
  c.kind = AudioFeatureKind::kMagnitude;
  const auto frames = liquid::encoders::encode_audio(c, tone(16000, 0.5, 1000.0, 0.5));
  ASSERT_EQ(frames.size(), size_t(1 + (8000 - 400) / 160));
  for (const auto& f : frames) {
    ASSERT_EQ(f.values.size(), 257u);
    EXPECT_EQ(argmax(f.values), 32u);  // 1000 Hz * 512 / 16000
    // A periodic Hann of 400 sums to 200; a sine of amplitude A gives A * sum / 2 at its bin.
    EXPECT_NEAR(f.values[32], 0.5 * 200 / 2, 0.05);
  }
  EXPECT_NEAR(frames[0].time, 200.0 / 16000, 1e-12);  // the centre of the first window
  EXPECT_NEAR(frames[1].time - frames[0].time, 0.01, 1e-12);
}

TEST(AudioFeatures, LinearChirpPeakFollowsTheInstantaneousFrequency) {
  const int rate = 16000;
  const double f0 = 300, f1 = 6000, seconds = 1.0, k = (f1 - f0) / seconds;
  std::vector<float> s(size_t(seconds * rate));
  for (size_t i = 0; i < s.size(); ++i) {
    const double t = double(i) / rate;
    s[i] = float(0.8 * std::sin(2 * std::numbers::pi * (f0 * t + 0.5 * k * t * t)));
  }
  AudioFeatureConfig c;
  c.kind = AudioFeatureKind::kPower;
  const auto frames = liquid::encoders::encode_audio(c, mono(rate, s));
  size_t previous = 0;
  for (const auto& f : frames) {
    const double expected_bin = (f0 + k * f.time) * 512 / rate;  // frequency at the window centre
    const size_t peak = argmax(f.values);
    EXPECT_NEAR(double(peak), expected_bin, 1.0) << "t=" << f.time;
    EXPECT_GE(peak, previous);
    previous = peak;
  }
  EXPECT_GT(previous, 180u);  // reached ~6 kHz
}

// Reads a reference CSV of make_audio_reference.py: `# comment`, header, rows of time and values.
std::vector<std::vector<double>> read_reference(const std::string& name, std::vector<std::string>& header) {
  std::ifstream in(kData + "reference_" + name + ".csv");
  EXPECT_TRUE(in) << name;
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string field;
    if (header.empty()) {
      while (std::getline(ss, field, ',')) header.push_back(field);
      continue;
    }
    rows.emplace_back();
    while (std::getline(ss, field, ',')) rows.back().push_back(std::stod(field));
  }
  return rows;
}

void expect_matches_reference(const std::string& name, const AudioFeatureConfig& config, double tolerance) {
  SCOPED_TRACE(name);
  const AudioBlock wav = liquid::sensors::read_audio_file(kData + "0_george_0.wav");
  AudioFeatureEncoder encoder(config);
  std::vector<FeatureFrame> frames;
  encoder.encode_block(wav, 0.0, 0, frames);
  encoder.flush(frames);
  std::vector<std::string> header;
  const auto rows = read_reference(name, header);
  ASSERT_EQ(frames.size(), rows.size());
  ASSERT_EQ(header.size(), size_t(encoder.width()) + 1);
  EXPECT_EQ(std::vector<std::string>(header.begin() + 1, header.end()), encoder.names());
  double worst = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_NEAR(frames[r].time, rows[r][0], 1e-9);
    for (size_t i = 0; i < frames[r].values.size(); ++i)
      worst = std::max(worst, std::abs(double(frames[r].values[i]) - rows[r][i + 1]));
  }
  EXPECT_LE(worst, tolerance);
  std::printf("[ %s ] largest difference from numpy float64: %.3g\n", name.c_str(), worst);
}

AudioFeatureConfig fsdd_config() {
  AudioFeatureConfig c;
  c.sample_rate = 8000;
  c.window_samples = 200;
  c.hop_samples = 80;
  c.fft_size = 256;
  c.n_mels = 32;
  return c;
}

TEST(AudioFeatures, LogMelSlaneyMatchesNumpyOnAnFsddRecording) {
  expect_matches_reference("logmel_slaney", fsdd_config(), 2e-4);  // dB; float32 FFT against float64
}

TEST(AudioFeatures, MfccWithDeltasMatchesNumpyOnAnFsddRecording) {
  AudioFeatureConfig c = fsdd_config();
  c.kind = AudioFeatureKind::kMfcc;
  c.n_mfcc = 13;
  c.delta_order = 2;
  c.delta_width = 9;
  expect_matches_reference("mfcc_deltas", c, 2e-4);
}

TEST(AudioFeatures, HtkLogMelWithHammingAndPaddingMatchesNumpy) {
  AudioFeatureConfig c = fsdd_config();
  c.window_seconds = 0.030;  // 240 samples
  c.hop_seconds = 0.0125;    // 100 samples
  c.fft_size = 512;
  c.window = WindowKind::kHamming;
  c.n_mels = 24;
  c.fmin = 100;
  c.fmax = 3800;
  c.mel_scale = MelScale::kHtk;
  c.slaney_norm = false;
  c.delta_order = 1;
  c.delta_width = 5;
  expect_matches_reference("logmel_htk", c, 2e-4);
}

TEST(AudioFeatures, StreamingInAnyBlockSizesEqualsOneBatchCall) {
  const AudioBlock wav = liquid::sensors::read_audio_file(kData + "3_jackson_0.wav");
  std::vector<AudioFeatureConfig> configs(4, fsdd_config());
  configs[1].kind = AudioFeatureKind::kMfcc;
  configs[1].delta_order = 2;
  configs[2].kind = AudioFeatureKind::kMagnitude;
  configs[2].window_samples = 64;
  configs[2].hop_samples = 100;  // hop > window: samples between windows are skipped
  configs[3].kind = AudioFeatureKind::kLogMel;
  configs[3].delta_order = 1;
  configs[3].delta_width = 3;
  std::mt19937 rng(7);
  for (size_t k = 0; k < configs.size(); ++k) {
    SCOPED_TRACE("config " + std::to_string(k));
    const auto batch = liquid::encoders::encode_audio(configs[k], wav);
    ASSERT_GT(batch.size(), 20u);
    expect_same_frames(stream(configs[k], wav, [] { return 1; }), batch);
    for (int prime : {7, 79, 997}) expect_same_frames(stream(configs[k], wav, [&] { return prime; }), batch);
    for (int trial = 0; trial < 5; ++trial) {
      std::uniform_int_distribution<int> size(1, 300 * (trial + 1));
      expect_same_frames(stream(configs[k], wav, [&] { return size(rng); }), batch);
    }
  }
}

TEST(AudioFeatures, MultiChannelIsDownmixedByTheMean) {
  const AudioBlock wav = liquid::sensors::read_audio_file(kData + "7_theo_0.wav");
  AudioBlock stereo{8000, 2, {}}, half{8000, 1, {}};
  for (float x : wav.samples) {
    stereo.samples.insert(stereo.samples.end(), {x, 0.0f});
    half.samples.push_back(x * 0.5f);
  }
  const auto config = fsdd_config();
  expect_same_frames(liquid::encoders::encode_audio(config, stereo), liquid::encoders::encode_audio(config, half));
}

TEST(AudioFeatures, FrameCountLatencyFlushAndReset) {
  AudioFeatureConfig c = fsdd_config();
  c.kind = AudioFeatureKind::kMfcc;
  c.delta_order = 1;
  AudioFeatureEncoder encoder(c);
  EXPECT_EQ(encoder.latency_frames(), 4);
  EXPECT_DOUBLE_EQ(encoder.latency_seconds(), 4 * 80 / 8000.0);
  const AudioBlock wav = liquid::sensors::read_audio_file(kData + "0_george_0.wav");
  std::vector<FeatureFrame> out;
  encoder.encode_block(wav, 0.0, 5, out);
  const size_t total = size_t(1 + (wav.frames() - 200) / 80);
  EXPECT_EQ(out.size(), total - 4);  // the last width/2 frames wait for flush
  EXPECT_EQ(out[0].stream, 5);
  encoder.flush(out);
  EXPECT_EQ(out.size(), total);
  std::vector<FeatureFrame> again;  // flush started a new stream
  encoder.encode_block(wav, 0.0, 5, again);
  encoder.reset();
  encoder.encode_block(wav, 0.0, 5, again = {});
  encoder.flush(again);
  expect_same_frames(again, out);
  // Fewer samples than one window: no frames, no error.
  encoder.encode_block(mono(8000, std::vector<float>(199, 0.1f)), 0.0, 0, again = {});
  encoder.flush(again);
  EXPECT_TRUE(again.empty());
}

TEST(AudioFeatures, SteadyStreamingAllocatesOnlyTheOutputFramesValues) {
  AudioFeatureConfig c;
  c.kind = AudioFeatureKind::kMfcc;
  c.delta_order = 2;
  AudioFeatureEncoder encoder(c);
  const AudioBlock signal = tone(16000, 2.0, 440.0, 0.3);
  TimedSample block{0.0, 0, AudioBlock{16000, 1, std::vector<float>(160)}};
  auto& audio = std::get<AudioBlock>(block.payload);
  std::vector<FeatureFrame> out;
  out.reserve(16);
  size_t frames = 0, allocations = 0;
  for (int64_t at = 0; at + 160 <= signal.frames(); at += 160) {
    std::copy_n(signal.samples.begin() + at, 160, audio.samples.begin());
    block.time = double(at) / 16000;
    out.clear();
    const size_t n = liquid::testing::allocations_during([&] { encoder.encode(block, out); });
    if (at >= 16000) {  // after a second of warm-up, buffers have their final size
      allocations += n;
      frames += out.size();
    }
  }
  EXPECT_EQ(frames, 100u);
  EXPECT_EQ(allocations, frames);  // one std::vector<float> per FeatureFrame, the Encoder interface's cost
}

TEST(AudioFeatures, NamesFollowKindAndDeltas) {
  AudioFeatureConfig c;
  EXPECT_EQ(AudioFeatureEncoder(c).names().back(), "mel_39");
  c.kind = AudioFeatureKind::kMfcc;
  c.delta_order = 2;
  const AudioFeatureEncoder encoder(c);
  const auto names = encoder.names();
  ASSERT_EQ(names.size(), 39u);
  EXPECT_EQ(encoder.width(), 39);
  EXPECT_EQ(names[0], "mfcc_0");
  EXPECT_EQ(names[13], "d_mfcc_0");
  EXPECT_EQ(names[38], "dd_mfcc_12");
  c.kind = AudioFeatureKind::kPower;
  c.delta_order = 0;
  EXPECT_EQ(AudioFeatureEncoder(c).names()[256], "pow_256");
}

TEST(AudioFeatures, DeltasAreExactForPolynomialsAtEveryFrameIncludingEdges) {
  EXPECT_NEAR(liquid::encoders::savgol_coefficients(9, 1, 1, 4)[8], 4.0 / 60, 1e-15);  // sum n^2 = 60
  for (int n : {2, 3, 6, 9, 30}) {  // shorter than, equal to and longer than the window
    SCOPED_TRACE("frames " + std::to_string(n));
    FeatureDeltas deltas(2, 2, 9);
    std::vector<FeatureFrame> out;
    for (int t = 0; t < n; ++t) {
      const float x[2] = {float(3 + 0.5 * t), float(t * t)};
      deltas.push(x, t * 0.01, 1, out);
    }
    deltas.flush(out);
    ASSERT_EQ(out.size(), size_t(n));
    for (int t = 0; t < n; ++t) {
      const auto& v = out[size_t(t)].values;  // [x0 x1 | d0 d1 | dd0 dd1]
      EXPECT_DOUBLE_EQ(out[size_t(t)].time, t * 0.01);
      EXPECT_NEAR(v[2], 0.5, 1e-4);
      // A straight line fitted to t^2 over a window has slope 2 x (the window's centre frame): 2t inside,
      // and the first / last window's centre at the edges (mode 'interp'), or the whole short sequence's.
      const double centre = n >= 9 ? std::clamp(t, 4, n - 5) : (n - 1) / 2.0;
      EXPECT_NEAR(v[3], 2.0 * centre, 1e-3) << "t=" << t;
      if (n > 2) {
        EXPECT_NEAR(v[5], 2.0, 1e-3);
      } else {
        EXPECT_EQ(v[5], 0.0f);  // two frames cannot fit a parabola
      }
    }
  }
}

TEST(AudioFeatures, BadConfigAndBadInputAreErrorsNamingTheField) {
  auto error_of = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const AudioFeatureError& e) {
      return e.what();
    }
    return "(no error)";
  };
  AudioFeatureConfig c;
  c.fft_size = 256;
  EXPECT_NE(error_of([&] { AudioFeatureEncoder e(c); }).find("fft_size is 256 for a window of 400"), std::string::npos);
  c = {};
  c.fmax = 9000;
  EXPECT_NE(error_of([&] { AudioFeatureEncoder e(c); }).find("fmax <= 8000 Hz"), std::string::npos);
  c = {};
  c.n_mels = 256;  // low bands ~12 Hz apart, FFT bins 31.25 Hz apart
  c.fft_size = 512;
  EXPECT_NE(error_of([&] { AudioFeatureEncoder e(c); }).find("holds no FFT bin"), std::string::npos);
  c = {};
  c.kind = AudioFeatureKind::kMfcc;
  c.n_mfcc = 41;
  EXPECT_NE(error_of([&] { AudioFeatureEncoder e(c); }).find("n_mfcc is 41"), std::string::npos);
  c = {};
  c.delta_order = 1;
  c.delta_width = 4;
  EXPECT_NE(error_of([&] { AudioFeatureEncoder e(c); }).find("delta_width is 4"), std::string::npos);

  AudioFeatureEncoder encoder(AudioFeatureConfig{});
  std::vector<FeatureFrame> out;
  TimedSample sample{1.5, 2, AudioBlock{44100, 1, std::vector<float>(10)}};
  EXPECT_NE(error_of([&] { encoder.encode(sample, out); }).find("block at t=1.5 s has 44100 Hz audio; expected 16000"),
            std::string::npos);
  sample.payload = liquid::sensors::SeriesRow{};
  EXPECT_NE(error_of([&] { encoder.encode(sample, out); }).find("holds a series row; expected an audio block"),
            std::string::npos);
  sample.payload = AudioBlock{16000, 2, std::vector<float>(3)};
  EXPECT_NE(error_of([&] { encoder.encode(sample, out); }).find("3 samples in 2 channels"), std::string::npos);
  sample.payload = AudioBlock{16000, 1, {0.0f, std::nanf(""), 0.0f}};
  EXPECT_NE(error_of([&] { encoder.encode(sample, out); }).find("frame 1: sample is not finite"), std::string::npos);
  // A refused block leaves no trace: the stream goes on as if it never came.
  const AudioBlock signal = tone(16000, 0.1, 440.0, 0.3);
  encoder.encode_block(signal, 0.0, 0, out = {});
  encoder.flush(out);
  expect_same_frames(out, liquid::encoders::encode_audio(AudioFeatureConfig{}, signal));
}

TEST(AudioFeatures, TablesFollowTheirDefinitions) {
  using liquid::encoders::hz_to_mel;
  using liquid::encoders::mel_to_hz;
  EXPECT_DOUBLE_EQ(hz_to_mel(1000, MelScale::kSlaney), 15.0);
  EXPECT_DOUBLE_EQ(hz_to_mel(200, MelScale::kSlaney), 3.0);
  EXPECT_NEAR(hz_to_mel(700, MelScale::kHtk), 2595 * std::log10(2.0), 1e-9);
  for (double hz : {0.0, 440.0, 999.0, 1000.0, 3000.0, 7999.0})
    for (MelScale s : {MelScale::kSlaney, MelScale::kHtk}) EXPECT_NEAR(mel_to_hz(hz_to_mel(hz, s), s), hz, 1e-9);
  const auto w = liquid::encoders::make_window(WindowKind::kHann, 8);  // periodic: w[n/2] = 1, no w[n] = 0
  EXPECT_FLOAT_EQ(w[0], 0.0f);
  EXPECT_FLOAT_EQ(w[4], 1.0f);
  EXPECT_FLOAT_EQ(w[7], w[1]);
  const auto d = liquid::encoders::dct_ortho_matrix(6, 6);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      double dot = 0;
      for (int k = 0; k < 6; ++k) dot += double(d[size_t(i * 6 + k)]) * d[size_t(j * 6 + k)];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-6);
    }
}

}  // namespace
