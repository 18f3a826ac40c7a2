// kws_stream MODEL FILE...: streaming spoken-digit recognition. Each recording is read in 10 ms blocks
// as a microphone would deliver them (sensors::AudioFileSource), turned into log-mel frames by the
// same streaming encoder the training data came from (tasks::fsdd_feature_config), normalised with
// the statistics stored in the model file, and fed to Model::step one frame at a time. It prints the
// running decision as it changes and the final digit (the decision at the last frame, where training
// put the label), then the processing time per 10 ms hop: audio in, features, model step, decision.
//
// With several FSDD-named files it also counts how many final digits match the names, so
//   kws_stream samples/models/fsdd_cfc.safetensors samples/data/audio/fsdd/recordings/*_[0-4].flac
// is the streaming test accuracy, to compare with `liquid eval` (batch) on the same split.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "encoders/audio_features.h"
#include "lfm/model.h"
#include "lfm/trainer.h"
#include "sensors/audio_file.h"
#include "tasks/fsdd.h"

using namespace liquid;

namespace {

int argmax(const std::vector<float>& v) { return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin()); }

// Softmax probability of the top class, for the printout.
float top_probability(const std::vector<float>& logits) {
  const float top = *std::max_element(logits.begin(), logits.end());
  float sum = 0;
  for (float v : logits) sum += std::exp(v - top);
  return 1.0F / sum;
}

}  // namespace

int main(int argc, char** argv) {
  bool quiet = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-q") == 0) quiet = true;
    else args.push_back(argv[i]);
  }
  if (args.size() < 2) {
    std::fprintf(stderr,
                 "usage: kws_stream [-q] MODEL.safetensors FILE.wav...\n"
                 "  -q  print only each file's final digit, not the running decisions\n");
    return 2;
  }
  try {
    const lfm::Model model = lfm::Model::load(args[0]);
    const std::optional<lfm::Normalization> norm = lfm::read_model_normalization(lfm::SafetensorsFile::read_file(args[0]));
    const encoders::AudioFeatureConfig config = encoders::resolve(tasks::fsdd_feature_config());
    encoders::AudioFeatureEncoder encoder(config);
    if (model.input_size() != encoder.width() || model.output_size() != 10)
      throw std::runtime_error(args[0] + ": expected a model of " + std::to_string(encoder.width()) +
                               " inputs and 10 outputs (trained on samples/train/fsdd_cfc.json)");
    if (norm && norm->names != encoder.names())
      throw std::runtime_error(args[0] + ": its normalisation names other features than the FSDD log-mel bands");
    const double hop = static_cast<double>(config.hop_samples) / config.sample_rate;

    lfm::ModelWorkspace ws = model.make_workspace();
    std::vector<float> x(model.input_size()), y(model.output_size());
    std::vector<encoders::FeatureFrame> frames;
    std::vector<double> hop_us;  // processing time of each 10 ms block
    int named = 0, correct = 0;
    for (size_t f = 1; f < args.size(); ++f) {
      sensors::AudioFileSource source(args[f], {.block_frames = config.hop_samples});
      if (source.info().sample_rate != config.sample_rate)
        throw std::runtime_error(args[f] + ": " + std::to_string(source.info().sample_rate) + " Hz; the model needs " +
                                 std::to_string(config.sample_rate) + " Hz");
      encoder.reset();
      lfm::ModelState state = model.initial_state();
      sensors::TimedSample sample;
      int decision = -1, steps = 0;
      if (!quiet) std::printf("%s\n", args[f].c_str());
      while (true) {
        const auto start = std::chrono::steady_clock::now();
        if (!source.next(sample)) break;
        frames.clear();
        encoder.encode(sample, frames);
        for (const encoders::FeatureFrame& frame : frames) {
          for (int k = 0; k < model.input_size(); ++k)
            x[k] = norm ? (frame.values[k] - norm->mean[k]) / norm->std[k] : frame.values[k];
          model.step(x.data(), hop, state, y.data(), ws);
          ++steps;
          const int now = argmax(y);
          if (now != decision && !quiet)
            std::printf("  %6.3f s  running decision %d (p %.2f)\n", frame.time, now, top_probability(y));
          decision = now;
        }
        hop_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
      }
      std::string truth;
      try {
        const int digit = tasks::parse_fsdd_name(args[f]).digit;
        ++named;
        correct += digit == decision;
        truth = digit == decision ? "  (correct)" : "  (WRONG: " + std::to_string(digit) + ")";
      } catch (const std::invalid_argument&) {
      }
      std::printf("%s: final digit %d after %d frames%s\n", args[f].c_str(), decision, steps, truth.c_str());
    }
    if (named > 0) std::printf("accuracy %d / %d = %.2f%%\n", correct, named, 100.0 * correct / named);
    if (!hop_us.empty()) {
      std::sort(hop_us.begin(), hop_us.end());
      double sum = 0;
      for (double v : hop_us) sum += v;
      std::printf("latency per %.0f ms hop (read + features + model step), %zu hops: mean %.1f us, median %.1f us, "
                  "p99 %.1f us, max %.1f us; %s parameters %lld\n",
                  hop * 1000, hop_us.size(), sum / hop_us.size(), hop_us[hop_us.size() / 2],
                  hop_us[std::min(hop_us.size() - 1, hop_us.size() * 99 / 100)], hop_us.back(), args[0].c_str(),
                  static_cast<long long>(model.parameter_count()));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kws_stream: %s\n", e.what());
    return 1;
  }
  return 0;
}
