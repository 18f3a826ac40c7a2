// Foundation benchmarks: single-stream step latency and batch-32 x 128-step sequence forward for
// the four models of bench_models.h, with the ratio to ncps + PyTorch on one thread.
//
//   build/bench/cell_bench --benchmark_format=json   (or --benchmark_out=FILE.json)
//
// Counters: GFLOP/s of the nominal products (bench_models.h; a backward pass counted as twice the
// forward), ncps_us / ncps_ms = ncps + PyTorch's time for the same figure.
#include <benchmark/benchmark.h>

#include <random>

#include "bench/bench_models.h"

namespace {

using liquid::bench::BenchModel;
using liquid::lfm::Model;

std::vector<float> random_values(size_t n, uint64_t seed, float lo, float hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

void step_latency(benchmark::State& st, const BenchModel& bm) {
  const Model model(bm.config, 42);
  auto ws = model.make_workspace();
  auto state = model.initial_state();
  constexpr size_t kInputs = 1024;  // cycle through distinct inputs so nothing is cached away
  const auto x = random_values(kInputs * model.input_size(), 1, -1.0f, 1.0f);
  const auto dt = random_values(kInputs, 2, 0.05f, 2.5f);
  std::vector<float> y(model.output_size());
  size_t k = 0;
  for (auto _ : st) {
    model.step(&x[k * model.input_size()], dt[k], state, y.data(), ws);
    benchmark::DoNotOptimize(y.data());
    k = (k + 1) % kInputs;
  }
  const double seconds_per_step = 1.0;  // rates below are per iteration
  st.counters["GFLOP/s"] = benchmark::Counter(bm.flops_per_step * seconds_per_step * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["ncps_us"] = bm.ncps_step_us;
}

void sequence_forward(benchmark::State& st, const BenchModel& bm, int threads) {
  const Model model(bm.config, 42);
  constexpr int kBatch = 32, kSteps = 128;
  const auto x = random_values(size_t(kBatch) * kSteps * model.input_size(), 3, -1.0f, 1.0f);
  const auto dt = random_values(size_t(kBatch) * kSteps, 4, 0.05f, 2.5f);
  std::vector<float> y(size_t(kBatch) * kSteps * model.output_size());
  for (auto _ : st) {
    model.forward(x, dt, kBatch, kSteps, y, {}, {}, threads);
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["GFLOP/s"] = benchmark::Counter(bm.flops_per_step * kBatch * kSteps * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["ncps_ms"] = bm.ncps_sequence_ms;
}

// Training throughput: the sequence face with backpropagation through time.
void sequence_forward_backward(benchmark::State& st, const BenchModel& bm, int threads) {
  const Model model(bm.config, 42);
  Model grads = model.zeros_like();
  liquid::lfm::BpttWorkspace workspace;  // as the trainer keeps one
  constexpr int kBatch = 32, kSteps = 128;
  const auto x = random_values(size_t(kBatch) * kSteps * model.input_size(), 3, -1.0f, 1.0f);
  const auto dt = random_values(size_t(kBatch) * kSteps, 4, 0.05f, 2.5f);
  const auto d_y = random_values(size_t(kBatch) * kSteps * model.output_size(), 5, -1.0f, 1.0f);
  for (auto _ : st) {
    model.forward_backward(x, dt, kBatch, kSteps, d_y, grads, {}, threads, &workspace);
    benchmark::ClobberMemory();
  }
  st.counters["GFLOP/s"] = benchmark::Counter(3 * bm.flops_per_step * kBatch * kSteps * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
  st.counters["ncps_ms"] = bm.ncps_train_ms;
}

const bool kRegistered = [] {
  for (const BenchModel& bm : liquid::bench::bench_models()) {
    benchmark::RegisterBenchmark(("step/" + bm.name).c_str(), step_latency, bm)->Unit(benchmark::kMicrosecond);
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark(("sequence_b32_t128/" + bm.name + "/threads:" + std::to_string(threads)).c_str(),
                                   sequence_forward, bm, threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark(("train_b32_t128/" + bm.name + "/threads:" + std::to_string(threads)).c_str(),
                                   sequence_forward_backward, bm, threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
