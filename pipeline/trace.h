// Neuron traces: every neuron's state (and, per stream, its inputs) after every step, for the
// dashboard and for files.
//
// TraceRing is the live view: a bounded ring of fixed-size records with one writer (the engine's
// worker) and any number of readers (a GUI thread). The writer never waits: each slot carries a
// sequence number (a seqlock), a reader copies a record and keeps it only if the sequence did not
// move meanwhile, so a slow reader loses the oldest records (and is told how many) instead of
// holding the engine back. Every shared word is an atomic, so the ring is race-free by the C++
// memory model (and ThreadSanitizer), not just in practice.
//
// Files: CSV for people and spreadsheets; a binary format that keeps up with the engine, read back
// by TraceReader (the dashboard's replay). Binary layout, little-endian:
//   header:  char[8] "LQTRACE1", u32 version = 1, u32 width (floats per record), u32 stream count,
//            then per stream: i32 id, str name, u32 value count, value count x str value name
//            (str = u32 byte length + UTF-8 bytes, no terminator)
//   records: f64 time, i32 stream id, u32 count (values used), f32 values[width] (unused: NaN),
//            so every record is 16 + 4 * width bytes and record k sits at header + k * that.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace liquid::pipeline {

// Which streams a trace holds and what their values are called.
struct TracedStream {
  int id = 0;
  std::string name;
  std::vector<std::string> values;  // e.g. h0..h31 then the input names
};

struct TraceLayout {
  int width = 0;  // floats per record: the widest traced stream
  std::vector<TracedStream> streams;
};

struct TraceRecord {
  double time = 0.0;
  int stream = 0;
  std::vector<float> values;  // `count` values (the stream's own width)
};

class TraceRing {
 public:
  TraceRing(size_t capacity, int width);

  int width() const { return width_; }
  size_t capacity() const { return capacity_; }
  uint64_t written() const { return written_.load(std::memory_order_acquire); }

  // The one writer. values.size() <= width.
  void write(double time, int stream, std::span<const float> values) noexcept;

  // Any reader, any thread, never blocking the writer: copies the records numbered from `from`
  // (the first call passes 0) that are still in the ring, at most `max`, into `out` (resized;
  // its records' buffers are reused). `missed` counts records that were overwritten before they
  // could be read; pass `next` to the following call.
  struct ReadResult {
    uint64_t next = 0;
    uint64_t missed = 0;
  };
  ReadResult read(uint64_t from, std::vector<TraceRecord>& out, size_t max) const;

 private:
  size_t capacity_;
  int width_;
  // Slot k: sequence (2i+1 while record i is written, 2i+2 when complete), time, stream, count.
  std::unique_ptr<std::atomic<uint64_t>[]> seq_;
  std::unique_ptr<std::atomic<double>[]> time_;
  std::unique_ptr<std::atomic<int32_t>[]> stream_, count_;
  std::unique_ptr<std::atomic<float>[]> values_;  // capacity x width
  std::atomic<uint64_t> written_{0};
};

// Where the engine sends trace records besides the ring (called on the worker thread).
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void write(double time, int stream, std::span<const float> values) = 0;
  virtual void flush() = 0;
};

// time,stream,<value names>: the names of the first traced stream when every stream's are the
// same, else v0, v1, ... Missing values are empty fields.
class CsvTraceWriter : public TraceSink {
 public:
  CsvTraceWriter(const std::filesystem::path& path, const TraceLayout& layout);
  ~CsvTraceWriter() override;
  void write(double time, int stream, std::span<const float> values) override;
  void flush() override;

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  int width_ = 0;
  std::vector<std::string> stream_names_;  // by id
  std::string line_;
};

class BinaryTraceWriter : public TraceSink {
 public:
  BinaryTraceWriter(const std::filesystem::path& path, const TraceLayout& layout);
  ~BinaryTraceWriter() override;
  void write(double time, int stream, std::span<const float> values) override;
  void flush() override;
  uint64_t records() const { return records_; }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  int width_ = 0;
  std::vector<char> buffer_;  // our own buffer: one fwrite per megabyte
  size_t used_ = 0;
  uint64_t records_ = 0;
};

// Reads a binary trace back, record by record (the dashboard replays it into its views).
// Bad files throw std::runtime_error naming the file, the field and what was expected.
class TraceReader {
 public:
  explicit TraceReader(const std::filesystem::path& path);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  const TraceLayout& layout() const { return layout_; }
  // False at the end of the file; a partial last record is an error.
  bool next(TraceRecord& out);

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  TraceLayout layout_;
  std::vector<char> record_;
  uint64_t index_ = 0;
};

}  // namespace liquid::pipeline
