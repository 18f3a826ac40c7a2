// Streaming-engine benchmark (issue 6, point 5): CfC(8 in, 32 units, no backbone) across 10,000
// streams with irregular gaps. Prints one JSON object per figure:
//
//   build/bench/pipeline_bench [--seconds S] [--streams N] [--only NAME_PREFIX]
//
//   kernel        Model::step_batch alone on 256 columns (the ceiling for one thread)
//   engine/T      Engine::process on batches of 20,000 frames drawn at random from the streams
//                 (so a batch holds 1..~8 samples of a stream: several rounds), T step threads
//   engine+rate   the same with a softmax head over all 10,000 streams at 10 decisions per second
//                 of stream time
//   runner        a producer thread pushing frames through a bounded queue into the worker
//   trace         the binary trace writer on every stream's every step
//
// steps_per_s counts cell steps (one sample of one stream); GFLOP/s uses the FLOPs of a CfC step
// counted below (products and element-wise arithmetic; the 96 tanh/sigmoid per step are not counted
// as FLOPs). Only time inside the engine is measured; making the frames is not.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "pipeline/engine.h"
#include "pipeline/runner.h"

namespace {

using namespace liquid::pipeline;
using liquid::encoders::FeatureFrame;
using Clock = std::chrono::steady_clock;

constexpr int kIn = 8, kUnits = 32;
// One CfC step, default mode, no backbone: [ff1; ff2; t_a; t_b] = W (4u x (in + u)) [x; h] + b is
// 2 * 4u * (in + u) + 4u; t_a * ts + t_b is 2u; ff1 * (1 - t) + t * ff2 is 4u.
constexpr double kFlopsPerStep = 2.0 * 4 * kUnits * (kIn + kUnits) + 4 * kUnits + 2 * kUnits + 4 * kUnits;

std::shared_ptr<const liquid::lfm::Model> bench_model() {
  return std::make_shared<const liquid::lfm::Model>(
      liquid::lfm::config_from_json(
          {{"model", "CfC"}, {"input_size", kIn}, {"units", kUnits}, {"backbone_layers", 0}}, "pipeline_bench"),
      42);
}

// Frames of many streams in arrival order: each frame picks a stream at random and advances that
// stream's clock by an irregular gap (exponential, mean 0.1 s).
struct FrameSource {
  std::mt19937_64 rng{7};
  std::vector<double> clock;
  std::exponential_distribution<double> gap{10.0};
  std::uniform_real_distribution<float> value{-1.0f, 1.0f};
  explicit FrameSource(int streams) : clock(streams, 0.0) {}
  void fill(FeatureFrame& f) {
    f.stream = static_cast<int>(rng() % clock.size());
    clock[f.stream] += gap(rng);
    f.time = clock[f.stream];
    f.values.resize(kIn);
    for (float& v : f.values) v = value(rng);
  }
};

void print(const std::string& name, double steps, double seconds, const std::string& extra = "") {
  std::printf("{\"name\": \"%s\", \"steps\": %.0f, \"seconds\": %.3f, \"steps_per_s\": %.0f, \"gflops\": %.2f%s}\n",
              name.c_str(), steps, seconds, steps / seconds, steps * kFlopsPerStep / seconds * 1e-9, extra.c_str());
  std::fflush(stdout);
}

void kernel(double seconds) {
  auto model = bench_model();
  constexpr int b = 256;
  auto ws = model->make_workspace(b);
  Eigen::MatrixXf x = Eigen::MatrixXf::Random(kIn, b), h = Eigen::MatrixXf::Zero(kUnits, b), c(0, b), y(kUnits, b);
  Eigen::RowVectorXf ts = Eigen::RowVectorXf::Random(b).array().abs();
  double steps = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 100; ++k) model->step_batch(x, h, c, ts, y, ws);
    steps += 100.0 * b;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  print("kernel/step_batch_256", steps, elapsed);
}

std::string stream_name(int s) {
  std::string name = "s";  // not "s" + to_string(s): GCC 12 warns falsely on that (bug 105329)
  name += std::to_string(s);
  return name;
}

void engine(const std::string& name, int streams, double seconds, EngineConfig config, bool fused) {
  Engine e(config);
  e.add_model(bench_model());
  for (int s = 0; s < streams; ++s) e.add_stream({.name = stream_name(s), .timeout = 5.0});
  uint64_t decisions = 0;
  if (fused) {
    e.set_fusion(LinearHead::random(HeadKind::kClasses, {"buy", "hold", "sell"}, streams * kUnits, 1),
                 [&](const Decision&) { ++decisions; });
  }
  FrameSource source(streams);
  std::vector<FeatureFrame> batch(20000);
  double steps = 0, elapsed = 0;
  for (int warm = 0; warm < 3; ++warm) {  // first calls size the scratch
    for (auto& f : batch) source.fill(f);
    e.process(batch);
  }
  while (elapsed < seconds) {
    for (auto& f : batch) source.fill(f);
    const auto t0 = Clock::now();
    e.process(batch);
    elapsed += std::chrono::duration<double>(Clock::now() - t0).count();
    steps += batch.size();
  }
  print(name, steps, elapsed,
        ", \"streams\": " + std::to_string(streams) + ", \"bytes_per_stream\": " + std::to_string(e.bytes_per_stream()) +
            ", \"decisions\": " + std::to_string(decisions));
}

void runner(int streams, double seconds) {
  Engine e;
  e.add_model(bench_model());
  for (int s = 0; s < streams; ++s) e.add_stream({.name = stream_name(s)});
  Runner r(e, {.max_batch_frames = 16384});
  Input& in = r.add_input({.name = "feed", .capacity = 65536, .overflow = Overflow::kBlock});
  r.start();
  FrameSource source(streams);
  FeatureFrame f;
  uint64_t pushed = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 10000; ++k) {
      source.fill(f);  // refills the recycled frame the queue handed back: no allocation
      in.push(f);
    }
    pushed += 10000;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  r.stop(CloseMode::kDrain);
  elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  print("runner/producer+worker", static_cast<double>(r.processed()), elapsed,
        ", \"queue_blocked\": " + std::to_string(in.counters().blocked));
}

void trace(int streams, double seconds) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "liquid_pipeline_bench_trace.bin";
  Engine e;
  e.add_model(bench_model());
  for (int s = 0; s < streams; ++s) e.add_stream({.name = stream_name(s), .trace = true});
  auto sink = std::make_shared<BinaryTraceWriter>(path, e.trace_layout());
  e.add_trace_sink(sink);
  FrameSource source(streams);
  std::vector<FeatureFrame> batch(20000);
  double steps = 0, elapsed = 0;
  while (elapsed < seconds && steps < 2e6) {  // bounded: 2e6 records are 288 MB
    for (auto& f : batch) source.fill(f);
    const auto t0 = Clock::now();
    e.process(batch);
    elapsed += std::chrono::duration<double>(Clock::now() - t0).count();
    steps += batch.size();
  }
  const auto t0 = Clock::now();
  sink->flush();
  elapsed += std::chrono::duration<double>(Clock::now() - t0).count();
  const double bytes = static_cast<double>(std::filesystem::file_size(path));
  std::filesystem::remove(path);
  print("engine+binary_trace", steps, elapsed, ", \"trace_MB_per_s\": " + std::to_string(bytes / elapsed * 1e-6));
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3.0;
  int streams = 10000;
  std::string only;  // run only the figures whose name starts with this
  for (int k = 1; k + 1 < argc; k += 2) {
    if (!std::strcmp(argv[k], "--seconds")) seconds = std::stod(argv[k + 1]);
    else if (!std::strcmp(argv[k], "--streams")) streams = std::stoi(argv[k + 1]);
    else if (!std::strcmp(argv[k], "--only")) only = argv[k + 1];
    else {
      std::fprintf(stderr, "usage: pipeline_bench [--seconds S] [--streams N] [--only NAME_PREFIX]\n");
      return 2;
    }
  }
  std::printf("{\"flops_per_step\": %.0f, \"hardware_threads\": %u}\n", kFlopsPerStep, std::thread::hardware_concurrency());
  auto run = [&](const std::string& name) { return name.rfind(only, 0) == 0; };
  if (run("kernel")) kernel(seconds);
  if (run("engine/1_thread")) engine("engine/1_thread", streams, seconds, {.step_threads = 1}, false);
  if (run("engine/2_threads")) engine("engine/2_threads", streams, seconds, {.step_threads = 2}, false);
  if (run("engine/2_threads+rate"))
    engine("engine/2_threads+rate_decisions", streams, seconds,
           {.step_threads = 2, .decisions = {.mode = DecisionMode::kRate, .period = 0.1}}, true);
  if (run("runner")) runner(streams, seconds);
  if (run("engine+binary_trace")) trace(streams, seconds);
  return 0;
}
