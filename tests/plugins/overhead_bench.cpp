// What the plugin adds on top of the library calls it wraps (issue 7, point 4): the same 10 minutes
// of 16 kHz audio, in 1024-sample blocks, through
//   (a) AudioFeatureEncoder::encode_block + Model::step per frame, called directly, and
//   (b) "liquidaudiofeatures ! liquidcell post-messages=false ! fakesink" fed by a GstHarness,
// reporting CPU seconds of each and the difference in percent. Not a ctest test (timings); run:
//   build/tests/plugins/gst_overhead_bench MODEL.safetensors   (a 40-input model)
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "encoders/audio_features.h"
#include "lfm/model.h"
#include "plugins/liquid_elements.h"

static double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors\n", argv[0]);
    return 2;
  }
  gst_init(&argc, &argv);
  liquid_gst_register_elements(nullptr);
  constexpr int kRate = 16000, kBlock = 1024, kSeconds = 600;
  std::vector<float> audio(size_t(kRate) * kSeconds);
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (float& s : audio) s = noise(rng);

  for (int round = 0; round < 3; ++round) {
    // (a) the library alone.
    double t0 = cpu_seconds();
    const auto model = liquid::lfm::Model::load(argv[1]);
    liquid::encoders::AudioFeatureEncoder encoder(liquid::encoders::AudioFeatureConfig{});
    auto state = model.initial_state();
    auto ws = model.make_workspace(1);
    std::vector<float> y(size_t(model.output_size()));
    liquid::sensors::AudioBlock block{kRate, 1, {}};
    std::vector<liquid::encoders::FeatureFrame> frames;
    double last = -1;
    size_t steps = 0;
    for (size_t i = 0; i < audio.size(); i += kBlock) {
      block.samples.assign(audio.begin() + long(i), audio.begin() + long(std::min(audio.size(), i + kBlock)));
      frames.clear();
      encoder.encode_block(block, double(i) / kRate, 0, frames);
      for (const auto& f : frames) {
        model.step(f.values.data(), last < 0 ? 0.0 : f.time - last, state, y.data(), ws);
        last = f.time;
        ++steps;
      }
    }
    const double lib = cpu_seconds() - t0;

    // (b) the same through the elements.
    t0 = cpu_seconds();
    const std::string launch =
        std::string("liquidaudiofeatures ! liquidcell post-messages=false model=\"") + argv[1] + "\" ! fakesink";
    GstHarness* h = gst_harness_new_parse(launch.c_str());
    gst_harness_set_src_caps_str(h, "audio/x-raw,format=F32LE,layout=interleaved,rate=16000,channels=1");
    for (size_t i = 0; i < audio.size(); i += kBlock) {
      const size_t n = std::min(audio.size() - i, size_t(kBlock));
      GstBuffer* buf = gst_buffer_new_memdup(audio.data() + i, n * sizeof(float));
      GST_BUFFER_PTS(buf) = gst_util_uint64_scale(i, GST_SECOND, kRate);
      gst_harness_push(h, buf);
    }
    gst_harness_push_event(h, gst_event_new_eos());
    gst_harness_teardown(h);
    const double gst = cpu_seconds() - t0;
    std::printf("%d s of audio, %zu frames: library %.3f s CPU (%.0fx real time), elements %.3f s CPU (%.0fx), "
                "plugin adds %+.1f %%\n",
                kSeconds, steps, lib, kSeconds / lib, gst, kSeconds / gst, 100.0 * (gst - lib) / lib);
  }
  return 0;
}
