// Audio encoder throughput: 10 s of 16 kHz mono fed in 10 ms blocks (as a microphone delivers it),
// 25 ms Hann window, 10 ms hop, FFT 512.
//
//   taskset -c 0 build/bench/audio_bench --benchmark_format=json
//
// Counter x_real_time: seconds of audio encoded per second of CPU (wall) time; the target is >= 1000
// on one core.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <random>

#include "encoders/audio_features.h"

namespace {

using liquid::encoders::AudioFeatureConfig;
using liquid::encoders::AudioFeatureEncoder;
using liquid::encoders::AudioFeatureKind;
using liquid::encoders::FeatureFrame;

constexpr int kRate = 16000;
constexpr double kSeconds = 10.0;
constexpr int kBlock = 160;  // 10 ms

// Speech-like test signal: two drifting tones in noise (the content barely matters to the cost).
std::vector<float> signal() {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> s(size_t(kSeconds * kRate));
  for (size_t i = 0; i < s.size(); ++i) {
    const double t = double(i) / kRate;
    s[i] = float(0.3 * std::sin(2 * std::numbers::pi * (200 + 50 * t) * t) + 0.2 * std::sin(2 * std::numbers::pi * 1800 * t)) + noise(rng);
  }
  return s;
}

void encode_stream(benchmark::State& state, AudioFeatureConfig config) {
  const std::vector<float> samples = signal();
  AudioFeatureEncoder encoder(config);
  liquid::sensors::TimedSample block{0.0, 0, liquid::sensors::AudioBlock{kRate, 1, std::vector<float>(kBlock)}};
  auto& audio = std::get<liquid::sensors::AudioBlock>(block.payload);
  std::vector<FeatureFrame> out;
  size_t frames = 0;
  for (auto _ : state) {
    for (size_t at = 0; at + kBlock <= samples.size(); at += kBlock) {
      std::copy(samples.begin() + std::ptrdiff_t(at), samples.begin() + std::ptrdiff_t(at + kBlock), audio.samples.begin());
      block.time = double(at) / kRate;
      out.clear();
      encoder.encode(block, out);
      frames += out.size();
    }
    out.clear();
    encoder.flush(out);
    frames += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["x_real_time"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["frames"] = double(frames) / double(state.iterations());
  state.counters["width"] = encoder.width();
}

AudioFeatureConfig log_mel_40() {
  AudioFeatureConfig c;
  c.sample_rate = kRate;
  c.window_samples = 400;
  c.hop_samples = 160;
  c.kind = AudioFeatureKind::kLogMel;
  c.n_mels = 40;
  return c;
}

AudioFeatureConfig mfcc_deltas() {
  AudioFeatureConfig c = log_mel_40();
  c.kind = AudioFeatureKind::kMfcc;
  c.n_mfcc = 13;
  c.delta_order = 2;
  return c;
}

BENCHMARK_CAPTURE(encode_stream, log_mel_40, log_mel_40())->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encode_stream, mfcc13_d_dd, mfcc_deltas())->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
