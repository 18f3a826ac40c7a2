// Soak: feeds N samples (default 10 million) through the threaded engine (a producer thread, the
// runner's worker, 1,000 streams of CfC(8 in, 32 units), decisions at a fixed rate, a checkpoint
// every million samples) and prints resident memory every million, to show it flat: the queues
// recycle their frames and the engine's per-call scratch is reused, so nothing grows with time.
// Not a ctest by default (minutes long); run: build-pipe/tests/pipeline/pipeline_soak [N]
// (ctest -L soak when configured with -DLIQUID_SOAK=ON). Exits 1 if RSS grew more than 8 MB
// between the second million and the end.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "pipeline/checkpoint.h"
#include "pipeline/runner.h"

using namespace liquid::pipeline;

static double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

int main(int argc, char** argv) {
  const uint64_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  constexpr int kStreams = 1000, kIn = 8;
  auto model = std::make_shared<const liquid::lfm::Model>(
      liquid::lfm::config_from_json({{"model", "CfC"}, {"input_size", kIn}, {"units", 32}, {"backbone_layers", 0}}, "soak"), 1);
  Engine engine({.decisions = {.mode = DecisionMode::kRate, .period = 1.0}});
  engine.add_model(model);
  for (int s = 0; s < kStreams; ++s) engine.add_stream({.name = std::string("s").append(std::to_string(s)), .timeout = 5.0});
  uint64_t decisions = 0;
  engine.set_fusion(LinearHead::random(HeadKind::kClasses, {"a", "b", "c"}, 32 * kStreams, 2),
                    [&](const Decision&) { ++decisions; });
  const auto ckpt = std::filesystem::temp_directory_path() / ("liquid_soak_" + std::to_string(::getpid()) + ".ckpt");
  uint64_t next_ckpt = 1'000'000, checkpoints = 0;
  Runner runner(engine, {.after_batch = [&](Engine& e) {
                  if (e.samples() < next_ckpt) return;
                  save_checkpoint(e, ckpt);
                  ++checkpoints;
                  next_ckpt += 1'000'000;
                }});
  Input& in = runner.add_input({.name = "soak", .capacity = 8192});
  runner.start();

  std::printf("soak: %llu samples, %d streams, CfC(%d in, 32 units)\n", static_cast<unsigned long long>(total), kStreams, kIn);
  std::printf("%12s %10s %10s\n", "samples", "rss_mb", "seconds");
  const auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> jitter(0.05, 0.15);
  std::vector<double> t(kStreams, 0.0);
  liquid::encoders::FeatureFrame frame;
  frame.values.resize(kIn);
  double rss_2m = 0, rss_end = 0;
  for (uint64_t k = 0; k < total; ++k) {
    frame.stream = static_cast<int>(k % kStreams);
    t[frame.stream] += jitter(rng);
    frame.time = t[frame.stream];
    frame.values.resize(kIn);  // a recycled frame comes back with its buffer
    for (int j = 0; j < kIn; ++j) frame.values[j] = static_cast<float>(std::sin(0.001 * static_cast<double>(k) + j));
    if (!in.push(frame)) break;
    if ((k + 1) % 1'000'000 == 0) {
      // Let the worker catch up so the figure is the engine's steady state, not the queue's.
      while (runner.processed() < k + 1) std::this_thread::yield();
      const double rss = rss_mb();
      if (k + 1 == 2'000'000) rss_2m = rss;
      rss_end = rss;
      std::printf("%12llu %10.1f %10.1f\n", static_cast<unsigned long long>(k + 1), rss,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
    }
  }
  runner.stop(CloseMode::kDrain);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("done: %llu samples applied, %llu decisions, %llu checkpoints, %.1f s (%.2f M samples/s)\n",
              static_cast<unsigned long long>(engine.samples()), static_cast<unsigned long long>(decisions),
              static_cast<unsigned long long>(checkpoints), secs, static_cast<double>(engine.samples()) / secs / 1e6);
  std::filesystem::remove(ckpt);
  if (rss_2m > 0 && rss_end - rss_2m > 8.0) {
    std::printf("FAIL: resident memory grew %.1f MB after the second million\n", rss_end - rss_2m);
    return 1;
  }
  return 0;
}
