// Traces: the ring under a concurrent reader, binary and CSV files, the reader's errors, and the
// engine's trace records (state after each step, then the inputs).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "pipeline/engine.h"
#include "pipeline/trace.h"

namespace {

using namespace liquid::pipeline;
namespace fs = std::filesystem;

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("liquid_pipeline_" + std::to_string(::getpid()) + "_" + name);
}

// Record i holds values i, i + 0.5, ... so any torn or mixed-up read is visible.
void check_record(const TraceRecord& r, uint64_t i, int width) {
  ASSERT_EQ(r.values.size(), static_cast<size_t>(width));
  EXPECT_EQ(r.time, static_cast<double>(i));
  EXPECT_EQ(r.stream, static_cast<int>(i % 7));
  for (int k = 0; k < width; ++k) ASSERT_EQ(r.values[k], static_cast<float>(i) + 0.5f * k) << "record " << i;
}

TEST(TraceRing, ReaderSeesWholeRecordsInOrderWhileTheWriterNeverWaits) {
  constexpr int kWidth = 16;
  constexpr uint64_t kRecords = 200000;
  TraceRing ring(256, kWidth);
  std::atomic<bool> done{false};
  uint64_t read = 0, missed = 0;
  std::thread reader([&] {
    std::vector<TraceRecord> out;
    uint64_t next = 0;
    for (;;) {
      const bool last_pass = done.load(std::memory_order_acquire);
      const auto r = ring.read(next, out, 64);
      for (size_t k = 0; k < out.size(); ++k) {
        // Records come in increasing order; a gap is counted in `missed`.
        ASSERT_GE(static_cast<uint64_t>(out[k].time), next - 0) << "went backwards";
        check_record(out[k], static_cast<uint64_t>(out[k].time), kWidth);
      }
      read += out.size();
      missed += r.missed;
      next = r.next;
      if (last_pass && next == ring.written()) return;
    }
  });
  std::vector<float> values(kWidth);
  for (uint64_t i = 0; i < kRecords; ++i) {
    for (int k = 0; k < kWidth; ++k) values[k] = static_cast<float>(i) + 0.5f * k;
    ring.write(static_cast<double>(i), static_cast<int>(i % 7), values);
  }
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_EQ(read + missed, kRecords);  // every record was either read whole or reported lost
  EXPECT_GT(read, 0u);
}

TEST(TraceRing, SlowReaderIsToldWhatItMissed) {
  TraceRing ring(8, 2);
  const std::vector<float> v = {1, 2};
  for (int i = 0; i < 20; ++i) ring.write(i, 0, v);
  std::vector<TraceRecord> out;
  const auto r = ring.read(0, out, 100);
  EXPECT_EQ(r.missed, 12u);
  EXPECT_EQ(r.next, 20u);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out.front().time, 12.0);
}

TraceLayout two_stream_layout() {
  return {4, {{0, "audio", {"h0", "h1", "h2", "h3"}}, {3, "door", {"h0", "x0"}}}};
}

TEST(TraceFile, BinaryRoundTrip) {
  const fs::path path = temp_file("trace.bin");
  {
    BinaryTraceWriter w(path, two_stream_layout());
    for (int i = 0; i < 5000; ++i) {
      const std::vector<float> v = {0.25f * i, -1.0f * i, 3.0f, 4.0f};
      w.write(1e9 + 0.001 * i, i % 2 ? 3 : 0, std::span(v).first(i % 2 ? 2 : 4));
    }
    w.flush();
  }
  // Header: 20 bytes, then per stream id + name + count + names; then fixed 16 + 4 * width records.
  const size_t header = 20 + (4 + 4 + 5 + 4 + 4 * (4 + 2)) + (4 + 4 + 4 + 4 + 2 * (4 + 2));
  EXPECT_EQ(fs::file_size(path), header + 5000 * (16 + 4 * 4));
  TraceReader r(path);
  EXPECT_EQ(r.layout().width, 4);
  ASSERT_EQ(r.layout().streams.size(), 2u);
  EXPECT_EQ(r.layout().streams[1].name, "door");
  EXPECT_EQ(r.layout().streams[1].id, 3);
  EXPECT_EQ(r.layout().streams[1].values, (std::vector<std::string>{"h0", "x0"}));
  TraceRecord rec;
  int i = 0;
  while (r.next(rec)) {
    EXPECT_EQ(rec.time, 1e9 + 0.001 * i);
    EXPECT_EQ(rec.stream, i % 2 ? 3 : 0);
    ASSERT_EQ(rec.values.size(), i % 2 ? 2u : 4u);
    EXPECT_EQ(rec.values[0], 0.25f * i);
    EXPECT_EQ(rec.values[1], -1.0f * i);
    ++i;
  }
  EXPECT_EQ(i, 5000);
  fs::remove(path);
}

TEST(TraceFile, TruncatedAndForeignFilesAreClearErrors) {
  const fs::path path = temp_file("bad.bin");
  {
    BinaryTraceWriter w(path, two_stream_layout());
    const std::vector<float> v = {1, 2, 3, 4};
    w.write(1.0, 0, v);
    w.write(2.0, 0, v);
  }
  fs::resize_file(path, fs::file_size(path) - 3);
  {
    TraceReader r(path);
    TraceRecord rec;
    EXPECT_TRUE(r.next(rec));
    try {
      r.next(rec);
      FAIL() << "no error";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("record 1 is truncated"), std::string::npos) << e.what();
    }
  }
  std::ofstream(path) << "time,stream\n1,2\n";
  try {
    TraceReader r(path);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a liquid trace"), std::string::npos) << e.what();
  }
  fs::remove(path);
}

TEST(TraceFile, CsvHasNamesAndOneLinePerRecord) {
  const fs::path path = temp_file("trace.csv");
  {
    CsvTraceWriter w(path, {2, {{0, "a", {"h0", "h1"}}, {1, "b", {"h0", "h1"}}}});
    const std::vector<float> v = {0.5f, -0.25f};
    w.write(1.5, 0, v);
    w.write(2.0, 1, std::span(v).first(1));
  }
  std::ifstream in(path);
  std::string header, l1, l2;
  std::getline(in, header);
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_EQ(header, "time,stream,h0,h1");
  EXPECT_EQ(l1, "1.5,a,0.5,-0.25");
  EXPECT_EQ(l2, "2,b,0.5,");
  fs::remove(path);
}

TEST(EngineTrace, RecordsTheStateAfterEveryStepThenTheInputs) {
  auto m = std::make_shared<const liquid::lfm::Model>(
      liquid::lfm::config_from_json({{"model", "CfC"}, {"input_size", 2}, {"units", 3}, {"backbone_layers", 0}}, "t"), 1);
  Engine e({.trace_ring = 64});
  e.add_model(m);
  e.add_stream({.name = "traced", .trace = true, .trace_inputs = true, .input_names = {"temp", "hum"}});
  e.add_stream({.name = "quiet"});
  const fs::path path = temp_file("engine.bin");
  auto sink = std::make_shared<BinaryTraceWriter>(path, e.trace_layout());
  e.add_trace_sink(sink);
  EXPECT_EQ(e.trace_layout().streams.at(0).values, (std::vector<std::string>{"h0", "h1", "h2", "temp", "hum"}));
  std::vector<liquid::encoders::FeatureFrame> frames;
  for (int k = 0; k < 10; ++k) frames.push_back({0.1 * k, k % 2, {0.1f * k, -0.2f * k}});
  std::vector<Eigen::VectorXf> states;
  for (const auto& f : frames) {
    e.process(f);
    if (f.stream == 0) states.push_back(e.state(0));
  }
  sink->flush();
  std::vector<TraceRecord> ring_records;
  ring_records.resize(0);
  e.trace_ring()->read(0, ring_records, 100);
  TraceReader reader(path);
  TraceRecord rec;
  size_t k = 0;
  while (reader.next(rec)) {
    ASSERT_LT(k, states.size());
    ASSERT_EQ(rec.values.size(), 5u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(rec.values[i], states[k](i));
    EXPECT_EQ(rec.values[3], frames[2 * k].values[0]);
    EXPECT_EQ(rec.values, ring_records.at(k).values);
    EXPECT_EQ(rec.time, frames[2 * k].time);
    ++k;
  }
  EXPECT_EQ(k, states.size());
  EXPECT_EQ(ring_records.size(), states.size());
  fs::remove(path);
}

}  // namespace
