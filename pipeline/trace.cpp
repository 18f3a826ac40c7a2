// Neuron-trace ring buffer and trace files; see trace.h for the binary layout.
#include "pipeline/trace.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace liquid::pipeline {

static_assert(std::endian::native == std::endian::little, "trace files are written in the host's byte order");
static_assert(std::atomic<float>::is_always_lock_free && std::atomic<double>::is_always_lock_free);

namespace {

constexpr char kMagic[8] = {'L', 'Q', 'T', 'R', 'A', 'C', 'E', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kRecordHeader = 16;  // f64 time, i32 stream, u32 count

std::FILE* open_or_throw(const std::filesystem::path& path, const char* mode, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), mode);
  if (!f) throw std::runtime_error(path.string() + ": cannot open " + what + ": " + std::strerror(errno));
  return f;
}

void append(std::vector<char>& out, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  out.insert(out.end(), c, c + n);
}
void append_u32(std::vector<char>& out, uint32_t v) { append(out, &v, 4); }
void append_str(std::vector<char>& out, const std::string& s) {
  append_u32(out, static_cast<uint32_t>(s.size()));
  append(out, s.data(), s.size());
}

}  // namespace

// --- ring ---

TraceRing::TraceRing(size_t capacity, int width)
    : capacity_(capacity),
      width_(width),
      seq_(new std::atomic<uint64_t>[capacity]),
      time_(new std::atomic<double>[capacity]),
      stream_(new std::atomic<int32_t>[capacity]),
      count_(new std::atomic<int32_t>[capacity]),
      values_(new std::atomic<float>[capacity * static_cast<size_t>(width)]) {
  if (capacity == 0) throw std::invalid_argument("TraceRing: capacity must be at least 1 record");
  if (width <= 0) throw std::invalid_argument("TraceRing: width must be positive, got " + std::to_string(width));
  for (size_t k = 0; k < capacity; ++k) seq_[k].store(0, std::memory_order_relaxed);
}

void TraceRing::write(double time, int stream, std::span<const float> values) noexcept {
  const uint64_t i = written_.load(std::memory_order_relaxed);
  const size_t slot = i % capacity_;
  // Seqlock write: odd while writing; the fence orders the odd mark before the data stores.
  seq_[slot].store(2 * i + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  time_[slot].store(time, std::memory_order_relaxed);
  stream_[slot].store(stream, std::memory_order_relaxed);
  const int n = std::min<int>(static_cast<int>(values.size()), width_);
  count_[slot].store(n, std::memory_order_relaxed);
  std::atomic<float>* v = &values_[slot * width_];
  for (int k = 0; k < n; ++k) v[k].store(values[k], std::memory_order_relaxed);
  seq_[slot].store(2 * i + 2, std::memory_order_release);
  written_.store(i + 1, std::memory_order_release);
}

TraceRing::ReadResult TraceRing::read(uint64_t from, std::vector<TraceRecord>& out, size_t max) const {
  ReadResult r;
  const uint64_t end = written_.load(std::memory_order_acquire);
  const uint64_t oldest = end > capacity_ ? end - capacity_ : 0;
  uint64_t i = std::max(from, oldest);
  r.missed = i - from;
  size_t n = 0;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(max, end > i ? end - i : 0));
  if (out.size() < want) out.resize(want);
  for (; i < end && n < max; ++i) {
    const size_t slot = i % capacity_;
    const uint64_t s1 = seq_[slot].load(std::memory_order_acquire);
    if (s1 != 2 * i + 2) {  // already overwritten by a newer record: this one is lost
      ++r.missed;
      continue;
    }
    TraceRecord& rec = out[n];
    rec.time = time_[slot].load(std::memory_order_relaxed);
    rec.stream = stream_[slot].load(std::memory_order_relaxed);
    const int count = std::clamp<int>(count_[slot].load(std::memory_order_relaxed), 0, width_);
    rec.values.resize(count);
    const std::atomic<float>* v = &values_[slot * width_];
    for (int k = 0; k < count; ++k) rec.values[k] = v[k].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_[slot].load(std::memory_order_relaxed) != s1) {  // overwritten while we copied
      ++r.missed;
      continue;
    }
    ++n;
  }
  out.resize(n);
  r.next = i;
  return r;
}

// --- CSV ---

CsvTraceWriter::CsvTraceWriter(const std::filesystem::path& path, const TraceLayout& layout)
    : path_(path), file_(open_or_throw(path, "w", "the CSV trace for writing")), width_(layout.width) {
  bool same_names = !layout.streams.empty();
  for (const TracedStream& s : layout.streams) {
    same_names = same_names && s.values == layout.streams.front().values;
    if (s.id >= static_cast<int>(stream_names_.size())) stream_names_.resize(s.id + 1);
    stream_names_[s.id] = s.name;
  }
  std::string header = "time,stream";
  for (int k = 0; k < width_; ++k) {
    header += ',';
    if (same_names && k < static_cast<int>(layout.streams.front().values.size()))
      header += layout.streams.front().values[k];
    else
      header.append("v").append(std::to_string(k));
  }
  header += "\n";
  std::fputs(header.c_str(), file_);
}

CsvTraceWriter::~CsvTraceWriter() {
  if (file_) std::fclose(file_);
}

void CsvTraceWriter::write(double time, int stream, std::span<const float> values) {
  char buf[64];
  line_.clear();
  line_.append(buf, std::to_chars(buf, buf + sizeof buf, time).ptr);
  line_ += ',';
  if (stream >= 0 && stream < static_cast<int>(stream_names_.size()) && !stream_names_[stream].empty())
    line_ += stream_names_[stream];
  else
    line_ += std::to_string(stream);
  for (int k = 0; k < width_; ++k) {
    line_ += ',';
    if (k < static_cast<int>(values.size())) line_.append(buf, std::to_chars(buf, buf + sizeof buf, values[k]).ptr);
  }
  line_ += '\n';
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size())
    throw std::runtime_error(path_.string() + ": writing the CSV trace failed (disk full?)");
}

void CsvTraceWriter::flush() {
  if (std::fflush(file_) != 0) throw std::runtime_error(path_.string() + ": flushing the CSV trace failed");
}

// --- binary ---

BinaryTraceWriter::BinaryTraceWriter(const std::filesystem::path& path, const TraceLayout& layout)
    : path_(path), file_(open_or_throw(path, "wb", "the binary trace for writing")), width_(layout.width) {
  std::vector<char> header;
  append(header, kMagic, 8);
  append_u32(header, kVersion);
  append_u32(header, static_cast<uint32_t>(width_));
  append_u32(header, static_cast<uint32_t>(layout.streams.size()));
  for (const TracedStream& s : layout.streams) {
    const int32_t id = s.id;
    append(header, &id, 4);
    append_str(header, s.name);
    append_u32(header, static_cast<uint32_t>(s.values.size()));
    for (const std::string& v : s.values) append_str(header, v);
  }
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size())
    throw std::runtime_error(path_.string() + ": writing the trace header failed");
  buffer_.resize(std::max<size_t>(1 << 20, 4 * (kRecordHeader + 4 * width_)));
}

BinaryTraceWriter::~BinaryTraceWriter() {
  if (!file_) return;
  if (used_ > 0) std::fwrite(buffer_.data(), 1, used_, file_);  // a destructor cannot report failure
  std::fclose(file_);
}

void BinaryTraceWriter::write(double time, int stream, std::span<const float> values) {
  const size_t record = kRecordHeader + 4 * static_cast<size_t>(width_);
  if (used_ + record > buffer_.size()) flush();
  char* p = buffer_.data() + used_;
  const int32_t id = stream;
  const uint32_t count = static_cast<uint32_t>(std::min<size_t>(values.size(), width_));
  std::memcpy(p, &time, 8);
  std::memcpy(p + 8, &id, 4);
  std::memcpy(p + 12, &count, 4);
  float* v = reinterpret_cast<float*>(p + kRecordHeader);
  std::memcpy(v, values.data(), 4 * count);
  std::fill(v + count, v + width_, std::numeric_limits<float>::quiet_NaN());
  used_ += record;
  ++records_;
}

void BinaryTraceWriter::flush() {
  if (used_ > 0 && std::fwrite(buffer_.data(), 1, used_, file_) != used_)
    throw std::runtime_error(path_.string() + ": writing trace records failed (disk full?)");
  used_ = 0;
  if (std::fflush(file_) != 0) throw std::runtime_error(path_.string() + ": flushing the binary trace failed");
}

// --- reader ---

TraceReader::TraceReader(const std::filesystem::path& path)
    : path_(path), file_(open_or_throw(path, "rb", "the binary trace for reading")) {
  auto fail = [&](const std::string& what) -> void {
    throw std::runtime_error(path_.string() + ": " + what);
  };
  auto read_exact = [&](void* p, size_t n, const char* field) {
    if (std::fread(p, 1, n, file_) != n) fail(std::string("truncated header: cannot read ") + field);
  };
  auto read_u32 = [&](const char* field) {
    uint32_t v;
    read_exact(&v, 4, field);
    return v;
  };
  auto read_str = [&](const char* field) {
    const uint32_t n = read_u32(field);
    if (n > (1u << 20)) fail(std::string(field) + " is " + std::to_string(n) + " bytes long, expected at most 1 MiB");
    std::string s(n, '\0');
    read_exact(s.data(), n, field);
    return s;
  };
  try {
    char magic[8];
    read_exact(magic, 8, "magic");
    if (std::memcmp(magic, kMagic, 8) != 0) fail("not a liquid trace file (magic is not \"LQTRACE1\")");
    const uint32_t version = read_u32("version");
    if (version != kVersion) fail("version " + std::to_string(version) + ", expected " + std::to_string(kVersion));
    const uint32_t width = read_u32("width");
    if (width == 0 || width > (1u << 20)) fail("width " + std::to_string(width) + ", expected 1 .. 2^20");
    layout_.width = static_cast<int>(width);
    const uint32_t streams = read_u32("stream count");
    if (streams > (1u << 24)) fail("stream count " + std::to_string(streams) + " is not plausible");
    for (uint32_t k = 0; k < streams; ++k) {
      TracedStream s;
      int32_t id;
      read_exact(&id, 4, "stream id");
      s.id = id;
      s.name = read_str("stream name");
      const uint32_t n = read_u32("value count");
      if (n > width) fail("stream '" + s.name + "' has " + std::to_string(n) + " values, more than the width " + std::to_string(width));
      for (uint32_t v = 0; v < n; ++v) s.values.push_back(read_str("value name"));
      layout_.streams.push_back(std::move(s));
    }
  } catch (...) {
    std::fclose(file_);
    file_ = nullptr;
    throw;
  }
  record_.resize(kRecordHeader + 4 * static_cast<size_t>(layout_.width));
}

TraceReader::~TraceReader() {
  if (file_) std::fclose(file_);
}

bool TraceReader::next(TraceRecord& out) {
  const size_t got = std::fread(record_.data(), 1, record_.size(), file_);
  if (got == 0 && std::feof(file_)) return false;
  if (got != record_.size())
    throw std::runtime_error(path_.string() + ": record " + std::to_string(index_) + " is truncated (" +
                             std::to_string(got) + " of " + std::to_string(record_.size()) + " bytes)");
  uint32_t count;
  int32_t id;
  std::memcpy(&out.time, record_.data(), 8);
  std::memcpy(&id, record_.data() + 8, 4);
  std::memcpy(&count, record_.data() + 12, 4);
  if (count > static_cast<uint32_t>(layout_.width))
    throw std::runtime_error(path_.string() + ": record " + std::to_string(index_) + " claims " + std::to_string(count) +
                             " values, more than the width " + std::to_string(layout_.width));
  out.stream = id;
  out.values.resize(count);
  std::memcpy(out.values.data(), record_.data() + kRecordHeader, 4 * size_t(count));
  ++index_;
  return true;
}

}  // namespace liquid::pipeline
