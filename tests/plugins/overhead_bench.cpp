// What the plugin adds on top of the library calls it wraps (issue 7, point 4): the same hour
// of 16 kHz audio (or LIQUID_BENCH_RATE), in 1024-sample blocks, through
//   (a) AudioFeatureEncoder::encode_block, the model file's normalisation, Model::step and the
//       decision (softmax) per frame, called directly, and
//   (b) "liquidaudiofeatures frames-per-buffer=K ! liquidcell post-messages=false ! fakesink" fed by a
//       GstHarness, for K = 0 (the default: the frames of each 1024-sample input together), 1 (a
//       buffer per frame), 32 and 128 (fewer buffers, K - 1 hops of added latency), and
//   (c) a GstHarness into a bare fakesink: what moving the blocks costs any pipeline,
// reporting CPU seconds of each and the difference in percent per round, then the medians of the
// rounds (5, or LIQUID_BENCH_ROUNDS; the machine's other load shows as spread), also net of (c). Not a ctest test
// (timings); run:
//   build/tests/plugins/gst_overhead_bench MODEL.safetensors [FRAMES_PER_BUFFER ...]   (a 40-input model;
//   default 0 1 32 128; one value alone is what a profiler wants to see; LIQUID_BENCH_RATE=8000 for
//   8 kHz audio, as the keyword pipeline of bench/gst_pipelines.sh)
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "encoders/audio_features.h"
#include "lfm/model.h"
#include "plugins/liquid_elements.h"
#include "plugins/liquid_model_file.h"

static double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

constexpr int kBlock = 1024;
int sample_rate = 16000;  // LIQUID_BENCH_RATE: 8000 is what the FSDD keyword model hears
// Without the last-sample copy fakesink keeps by default (a GstSample per buffer, for its
// "last-sample" property): that is the test sink's cost, not the elements'.
constexpr const char* kSink = "fakesink enable-last-sample=false";

// CPU seconds to push `audio` in kBlock-sample buffers through the launch line, then EOS and
// teardown. The buffers exist before the clock starts (wrapping the audio, no copy): what a source
// upstream hands over is not the elements' cost.
static double push_through(const std::vector<float>& audio, const std::string& launch) {
  std::vector<GstBuffer*> blocks;
  for (size_t i = 0; i < audio.size(); i += kBlock) {
    const size_t n = std::min(audio.size() - i, size_t(kBlock));
    auto* data = const_cast<float*>(audio.data() + i);  // READONLY memory: never written
    GstBuffer* buf =
        gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, data, n * sizeof(float), 0, n * sizeof(float), nullptr, nullptr);
    GST_BUFFER_PTS(buf) = gst_util_uint64_scale(i, GST_SECOND, sample_rate);
    blocks.push_back(buf);
  }
  const double t0 = cpu_seconds();
  GstHarness* h = gst_harness_new_parse(launch.c_str());
  const std::string caps = "audio/x-raw,format=F32LE,layout=interleaved,channels=1,rate=" + std::to_string(sample_rate);
  gst_harness_set_src_caps_str(h, caps.c_str());
  for (GstBuffer* buf : blocks) gst_harness_push(h, buf);
  gst_harness_push_event(h, gst_event_new_eos());
  gst_harness_teardown(h);
  return cpu_seconds() - t0;
}

// "frames-per-buffer=0" (the default: each input buffer's frames together) or "=K".
static std::string label(int per_buffer) { return "frames-per-buffer=" + std::to_string(per_buffer); }

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors [FRAMES_PER_BUFFER ...]\n", argv[0]);
    return 2;
  }
  gst_init(&argc, &argv);
  if (const char* rate = std::getenv("LIQUID_BENCH_RATE")) sample_rate = std::max(1000, std::atoi(rate));
  liquid_gst_register_elements(nullptr);
  constexpr int kSeconds = 3600;  // an hour: set-up costs vanish
  std::vector<float> audio(size_t(sample_rate) * kSeconds);
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (float& s : audio) s = noise(rng);

  int rounds = 5;  // LIQUID_BENCH_ROUNDS: more when the machine's load moves the figures
  if (const char* r = std::getenv("LIQUID_BENCH_ROUNDS")) rounds = std::max(1, std::atoi(r));
  std::vector<int> per_buffers = {0, 1, 32, 128};
  if (argc > 2) {
    per_buffers.clear();
    for (int i = 2; i < argc; ++i) per_buffers.push_back(std::max(0, std::atoi(argv[i])));
  }
  const size_t n_configs = per_buffers.size();
  std::vector<double> lib_times, bare_times;
  std::vector<std::vector<double>> gst_times(n_configs);
  for (int round = 0; round < rounds; ++round) {
    // (a) the library alone.
    double t0 = cpu_seconds();
    const LiquidModelFile file = liquid_load_model_file(argv[1]);
    const liquid::lfm::Model& model = *file.model;
    liquid::encoders::AudioFeatureConfig config;
    config.sample_rate = sample_rate;
    config.window_seconds = 0.025;  // liquidaudiofeatures' defaults, whatever the rate
    config.hop_seconds = 0.010;
    liquid::encoders::AudioFeatureEncoder encoder(config);
    auto state = model.initial_state();
    auto ws = model.make_workspace(1);
    std::vector<float> y(size_t(model.output_size())), x(size_t(model.input_size())), decision(y.size());
    liquid::sensors::AudioBlock block{sample_rate, 1, {}};
    std::vector<liquid::encoders::FeatureFrame> frames;
    double last = -1;
    size_t steps = 0;
    for (size_t i = 0; i < audio.size(); i += kBlock) {
      block.samples.assign(audio.begin() + long(i), audio.begin() + long(std::min(audio.size(), i + kBlock)));
      frames.clear();
      encoder.encode_block(block, double(i) / sample_rate, 0, frames);
      for (const auto& f : frames) {
        model.step(file.normalize(f.values.data(), x.data()), last < 0 ? 0.0 : f.time - last, state, y.data(), ws);
        file.to_decision(y.data(), decision.data());
        last = f.time;
        ++steps;
      }
    }
    const double lib = cpu_seconds() - t0;

    // (b) the same through the elements, and (c) through nothing but the harness and a fakesink:
    // what moving those blocks costs any pipeline, with or without our elements.
    lib_times.push_back(lib);
    std::printf("%d s of audio, %zu frames: library %.3f s CPU (%.0fx real time)", kSeconds, steps, lib, kSeconds / lib);
    const double bare = push_through(audio, kSink);
    bare_times.push_back(bare);
    std::printf("; bare pipeline %.3f s", bare);
    for (size_t c = 0; c < n_configs; ++c) {
      const std::string launch = "liquidaudiofeatures frames-per-buffer=" + std::to_string(per_buffers[c]) +
                                 " ! liquidcell post-messages=false model=\"" + argv[1] + "\" ! " + kSink;
      const double gst = push_through(audio, launch);
      gst_times[c].push_back(gst);
      std::printf("; elements, %s: %.3f s (%.0fx), %+.1f %%", label(per_buffers[c]).c_str(), gst, kSeconds / gst,
                  100.0 * (gst - lib) / lib);
    }
    std::printf("\n");
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double lib = median(lib_times), bare = median(bare_times);
  std::printf("median of %d: library %.3f s; bare pipeline %.3f s", rounds, lib, bare);
  for (size_t c = 0; c < n_configs; ++c) {
    const double gst = median(gst_times[c]);
    std::printf("; %s %.3f s, %+.1f %% (%+.1f %% beyond the bare pipeline)", label(per_buffers[c]).c_str(), gst,
                100.0 * (gst - lib) / lib, 100.0 * (gst - bare - lib) / lib);
  }
  std::printf("\n");
  return 0;
}
