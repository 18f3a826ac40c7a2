// Series throughput: CSV parsing and the series encoder, in rows per second (items_per_second),
// on files generated in memory with the shapes of the project's datasets:
//  - weather: the Beijing PM2.5 layout (row id, year, month, day, hour, 8 numbers, one text column
//    left out, ~5 % NA), time built from four columns, 7 value columns;
//  - occupancy: a quoted row id, a quoted ISO date, 6 numbers.
// The target is at least 1M rows per second for parse + encode on one core.
//
//   taskset -c 0 build/bench/series_bench --benchmark_format=json
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <sstream>

#include "encoders/series_features.h"
#include "sensors/csv_source.h"

namespace {

using namespace liquid;

constexpr int kRows = 100'000;

std::string weather_csv() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::string text = "No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir\n";
  char line[256];
  for (int k = 0; k < kRows; ++k) {
    const int day = k / 24, hour = k % 24;
    const int year = 2010 + day / 336, month = 1 + (day / 28) % 12, dom = 1 + day % 28;
    char pm[16] = "NA";
    if (u(rng) > 0.05f) std::snprintf(pm, sizeof pm, "%d", int(20 + 300 * u(rng)));
    std::snprintf(line, sizeof line, "%d,%d,%d,%d,%d,%s,%d,%d,%d,%s,%.2f,%d,%d\n", k + 1, year, month, dom, hour, pm,
                  int(-20 + 40 * u(rng)), int(-10 + 40 * u(rng)), int(1000 + 40 * u(rng)), u(rng) < 0.5f ? "NW" : "SE",
                  100 * u(rng), int(3 * u(rng)), int(3 * u(rng)));
    text += line;
  }
  return text;
}

std::string occupancy_csv() {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::string text = "\"date\",\"Temperature\",\"Humidity\",\"Light\",\"CO2\",\"HumidityRatio\",\"Occupancy\"\n";
  char line[256];
  for (int k = 0; k < kRows; ++k) {
    const int minute = k % 60, hour = (k / 60) % 24, day = 1 + (k / 1440) % 28, month = 1 + (k / 40320) % 12;
    std::snprintf(line, sizeof line, "\"%d\",\"2015-%02d-%02d %02d:%02d:00\",%.3f,%.3f,%.1f,%.3f,%.17g,%d\n", k + 1, month,
                  day, hour, minute, 19 + 4 * u(rng), 20 + 20 * u(rng), 500 * u(rng), 400 + 800 * u(rng),
                  0.003 + 0.002 * u(rng), u(rng) < 0.3f);
    text += line;
  }
  return text;
}

sensors::CsvOptions weather_options() {
  sensors::CsvOptions o;
  o.time_parts = {"year", "month", "day", "hour"};
  o.value_columns = {"pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"};
  return o;
}

sensors::CsvSeries parse(const std::string& text, const sensors::CsvOptions& o) {
  std::istringstream in(text);
  return sensors::read_csv_series(in, "bench.csv", o);
}

void encode_all(const sensors::CsvSeries& s, encoders::SeriesFeatures& enc, std::vector<float>& f) {
  enc.reset();
  for (size_t r = 0; r < s.rows(); ++r) enc.encode_row(s.times[r], s.row(r), s.row_present(r), f.data());
}

void parse_only(benchmark::State& st, const std::string& text, const sensors::CsvOptions& o) {
  for (auto _ : st) {
    auto s = parse(text, o);
    benchmark::DoNotOptimize(s.values.data());
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * kRows);
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(text.size()));
}

void encode_only(benchmark::State& st, const std::string& text, const sensors::CsvOptions& o) {
  const auto s = parse(text, o);
  encoders::SeriesFeatures enc(s.columns, encoders::fit_series_normalization(s));
  std::vector<float> f(size_t(enc.width()));
  for (auto _ : st) {
    encode_all(s, enc, f);
    benchmark::DoNotOptimize(f.data());
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * kRows);
}

void parse_and_encode(benchmark::State& st, const std::string& text, const sensors::CsvOptions& o) {
  const auto fitted = parse(text, o);
  encoders::SeriesFeatures enc(fitted.columns, encoders::fit_series_normalization(fitted));
  std::vector<float> f(size_t(enc.width()));
  for (auto _ : st) {
    const auto s = parse(text, o);
    encode_all(s, enc, f);
    benchmark::DoNotOptimize(f.data());
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * kRows);
}

// The Source/Encoder interfaces end to end: a TimedSample per row (buffers reused) and a
// FeatureFrame per row (one vector allocation each, as Encoder::encode appends frames).
void source_and_encode(benchmark::State& st, const std::string& text, const sensors::CsvOptions& o) {
  sensors::CsvSource source(parse(text, o), "bench.csv");
  encoders::SeriesFeatures enc(source.series().columns, encoders::fit_series_normalization(source.series()));
  std::vector<encoders::FeatureFrame> frames;
  frames.reserve(kRows);
  sensors::TimedSample sample;
  for (auto _ : st) {
    source.rewind();
    enc.reset();
    frames.clear();
    while (source.next(sample)) enc.encode(sample, frames);
    benchmark::DoNotOptimize(frames.data());
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * kRows);
}

const bool kRegistered = [] {
  static const std::string weather = weather_csv();
  static const std::string occupancy = occupancy_csv();
  static const sensors::CsvOptions wo = weather_options();
  static const sensors::CsvOptions oo;
  benchmark::RegisterBenchmark("parse/weather", parse_only, weather, wo)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("parse/occupancy", parse_only, occupancy, oo)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("encode/weather", encode_only, weather, wo)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("parse_encode/weather", parse_and_encode, weather, wo)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("parse_encode/occupancy", parse_and_encode, occupancy, oo)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("source_encode/weather", source_and_encode, weather, wo)->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
