#include "lfm/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

namespace liquid::lfm {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream s;
  (s << ... << parts);
  return s.str();
}

template <typename... Parts>
[[noreturn]] void fail(std::string_view source, const Parts&... parts) {
  throw FormatError(cat(source, ": ", parts...));
}

std::string format_shape(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Explicit byte order, so the files mean the same on any host.
std::uint64_t load_le(const std::byte* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t(std::to_integer<unsigned>(p[i])) << (8 * i);
  return v;
}

void store_le(std::byte* p, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = std::byte((v >> (8 * i)) & 0xff);
}

// An IEEE-style binary format narrower than double: F16 (5, 10), BF16 (8, 7), F32 (8, 23).
struct Binary {
  int exp_bits;
  int mant_bits;
};
constexpr Binary kHalf{5, 10};
constexpr Binary kBrain{8, 7};
constexpr Binary kSingle{8, 23};

// Rounds to nearest even directly from double; going through float first would round twice and can
// be off by one unit in the last place for F16/BF16.
std::uint32_t encode_binary(double x, Binary f) {
  const int bias = (1 << (f.exp_bits - 1)) - 1;
  const std::uint32_t sign = std::signbit(x) ? 1u << (f.exp_bits + f.mant_bits) : 0u;
  const std::uint32_t exp_ones = ((1u << f.exp_bits) - 1) << f.mant_bits;
  const std::uint32_t hidden = 1u << f.mant_bits;
  if (std::isnan(x)) return sign | exp_ones | (hidden >> 1);  // quiet NaN; payloads are not kept
  const double a = std::fabs(x);
  if (a == 0) return sign;
  const int e = std::isinf(a) ? bias + 1 : std::ilogb(a);
  if (e > bias) return sign | exp_ones;
  // Scale so that one unit in the last place of a's binade (or of the subnormal range) is 1; then
  // nearbyint is the format's rounding (ties to even in the default rounding mode). Both ldexp calls
  // are exact: powers of two, and the scaled value is below 2^(mant_bits + 1).
  const int emin = 1 - bias;
  const int quantum_exp = std::max(e, emin) - f.mant_bits;
  auto m = static_cast<std::uint32_t>(std::nearbyint(std::ldexp(a, -quantum_exp)));
  // A subnormal that rounds up to 2^mant_bits is the smallest normal, and its bits say so already.
  if (e < emin) return sign | m;
  std::uint32_t biased = static_cast<std::uint32_t>(e + bias);
  if (m == hidden << 1) {  // rounded up into the next binade
    m >>= 1;
    ++biased;
  }
  if (biased >= (1u << f.exp_bits) - 1) return sign | exp_ones;
  return sign | (biased << f.mant_bits) | (m - hidden);
}

double decode_binary(std::uint32_t bits, Binary f) {
  const int bias = (1 << (f.exp_bits - 1)) - 1;
  const std::uint32_t exp_field = (bits >> f.mant_bits) & ((1u << f.exp_bits) - 1);
  const std::uint32_t mant = bits & ((1u << f.mant_bits) - 1);
  double v;
  if (exp_field == (1u << f.exp_bits) - 1) {
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (exp_field == 0) {
    v = std::ldexp(double(mant), 1 - bias - f.mant_bits);
  } else {
    v = std::ldexp(double(mant | (1u << f.mant_bits)), int(exp_field) - bias - f.mant_bits);
  }
  return (bits >> (f.exp_bits + f.mant_bits)) & 1 ? -v : v;
}

double decode(DType dtype, const std::byte* p) {
  switch (dtype) {
    case DType::kF16: return decode_binary(std::uint32_t(load_le(p, 2)), kHalf);
    case DType::kBF16: return decode_binary(std::uint32_t(load_le(p, 2)), kBrain);
    case DType::kF32: return std::bit_cast<float>(std::uint32_t(load_le(p, 4)));
    case DType::kF64: return std::bit_cast<double>(load_le(p, 8));
  }
  return 0;
}

void encode(DType dtype, double x, std::byte* p) {
  switch (dtype) {
    case DType::kF16: store_le(p, encode_binary(x, kHalf), 2); break;
    case DType::kBF16: store_le(p, encode_binary(x, kBrain), 2); break;
    case DType::kF32: store_le(p, encode_binary(x, kSingle), 4); break;
    case DType::kF64: store_le(p, std::bit_cast<std::uint64_t>(x), 8); break;
  }
}

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};
constexpr std::array<DTypeInfo, 4> kDTypes{{{DType::kF16, "F16", 2}, {DType::kBF16, "BF16", 2},
                                            {DType::kF32, "F32", 4}, {DType::kF64, "F64", 8}}};

template <typename T>
Tensor encode_tensor(Shape shape, std::span<const T> values, DType dtype) {
  Tensor tensor{dtype, std::move(shape), std::vector<std::byte>(values.size() * dtype_size(dtype))};
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::byte* p = tensor.data.data() + i * dtype_size(dtype);
    // A float is stored bit for bit, so NaN payloads survive an F32 round trip.
    if (std::is_same_v<T, float> && dtype == DType::kF32) {
      store_le(p, std::bit_cast<std::uint32_t>(float(values[i])), 4);
    } else {
      encode(dtype, values[i], p);
    }
  }
  return tensor;
}

// Bytes needed for `shape` of `dtype`; false on a negative dimension or if the count overflows.
bool byte_count(const Shape& shape, DType dtype, std::uint64_t& bytes) {
  std::uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d < 0) return false;
    const auto ud = static_cast<std::uint64_t>(d);
    if (ud != 0 && n > std::numeric_limits<std::uint64_t>::max() / ud) return false;
    n *= ud;
  }
  bytes = n;
  return true;
}

// One tensor's header entry as written, before it is checked against the data section.
struct Entry {
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<std::uint64_t> offsets;
};

constexpr const char* kShapeRule = "shape must be a list of non-negative integers";
constexpr const char* kOffsetsRule = "data_offsets must be [begin, end] with non-negative integers";

// Reads the header as a stream of JSON events instead of building a DOM: a DOM of a hostile 100 MB
// header of "0,0,0,..." takes ~2 GB and half a minute, while this keeps only what a header holds
// (names, shapes, offsets, metadata) and rejects a structural mistake at the token that makes it.
// Repeated keys are errors, where a DOM would silently keep the last one.
class HeaderReader {
 public:
  explicit HeaderReader(const std::string& source) : source_(source) {}
  std::map<std::string, Entry>& entries() { return entries_; }
  std::map<std::string, std::string>& metadata() { return metadata_; }

  // nlohmann's SAX interface.
  bool null() { return on_value({Kind::kOther, "null"}); }
  bool boolean(bool b) { return on_value({Kind::kOther, b ? "true" : "false"}); }
  bool number_integer(std::int64_t v) {
    return v >= 0 ? number_unsigned(std::uint64_t(v)) : on_value({Kind::kOther, std::to_string(v)});
  }
  bool number_unsigned(std::uint64_t v) { return on_value({Kind::kCount, {}, v}); }
  bool number_float(double, const std::string& text) { return on_value({Kind::kOther, text}); }
  bool string(std::string& s) { return on_value({Kind::kString, {}, 0, &s}); }
  bool binary(json::binary_t&) { return on_value({Kind::kOther, "binary"}); }  // not produced by JSON text
  bool start_object(std::size_t) { return on_value({Kind::kObject}); }
  bool start_array(std::size_t) { return on_value({Kind::kArray}); }
  bool end_object() { return on_close(); }
  bool end_array() { return on_close(); }
  bool key(std::string& k);
  bool parse_error(std::size_t, const std::string&, const json::exception& e) {
    fail(source_, "header is not valid JSON: ", e.what());
  }

 private:
  enum class State { kStart, kTop, kMetadata, kEntry, kShape, kOffsets, kSkip, kDone };
  enum class Kind { kCount, kString, kOther, kObject, kArray };
  struct Value {
    Kind kind;
    std::string text{};  // how a kOther value is shown in messages
    std::uint64_t count = 0;
    std::string* string = nullptr;
  };
  static constexpr int kMaxSkipDepth = 16;
  // numpy allows 32 dimensions (64 since 2.0); refusing more keeps a hostile "0,0,0,..." shape from
  // growing a 400 MB vector out of a 100 MB header.
  static constexpr std::size_t kMaxRank = 64;

  static std::string shown(const Value& v) {
    switch (v.kind) {
      case Kind::kCount: return std::to_string(v.count);
      case Kind::kString: return '"' + (v.string->size() > 40 ? v.string->substr(0, 37) + "..." : *v.string) + '"';
      case Kind::kObject: return "an object";
      case Kind::kArray: return "an array";
      case Kind::kOther: break;
    }
    return v.text;
  }
  template <typename... Parts>
  [[noreturn]] void bad_entry(const Parts&... parts) const {
    fail(source_, "tensor '", name_, "': ", parts...);
  }
  bool on_value(const Value& v);
  bool on_entry_value(const Value& v);
  bool on_close();

  const std::string& source_;
  State state_ = State::kStart;
  std::string name_, key_;  // the current tensor (or __metadata__) and the current key inside it
  int skip_depth_ = 0;
  bool have_metadata_ = false;
  Entry* entry_ = nullptr;        // the entry being read; map nodes do not move
  std::set<std::string> fields_;  // keys seen so far in that entry, to reject repeats
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

bool HeaderReader::key(std::string& k) {
  if (state_ == State::kTop) {
    const bool repeated = k == "__metadata__" ? have_metadata_ : entries_.count(k) != 0;
    if (repeated) fail(source_, "'", k, "' appears twice in the header");
    name_ = k;
  } else if (state_ == State::kMetadata) {
    if (metadata_.count(k)) fail(source_, "__metadata__ key '", k, "' appears twice");
    key_ = k;
  } else if (state_ == State::kEntry) {
    if (!fields_.insert(k).second) bad_entry("key '", k, "' appears twice");
    key_ = k;
  }
  return true;
}

bool HeaderReader::on_value(const Value& v) {
  switch (state_) {
    case State::kStart:
      if (v.kind != Kind::kObject) fail(source_, "header must be a JSON object, got ", shown(v));
      state_ = State::kTop;
      break;
    case State::kTop:
      if (name_ == "__metadata__") {
        if (v.kind != Kind::kObject) fail(source_, "__metadata__ must be an object of strings, got ", shown(v));
        have_metadata_ = true;
        state_ = State::kMetadata;
      } else {
        if (v.kind != Kind::kObject) bad_entry("entry must be an object of dtype, shape, data_offsets, got ", shown(v));
        entry_ = &entries_[name_];
        fields_.clear();
        state_ = State::kEntry;
      }
      break;
    case State::kMetadata:
      if (v.kind != Kind::kString) fail(source_, "__metadata__ '", key_, "' must be a string, got ", shown(v));
      metadata_[key_] = std::move(*v.string);
      break;
    case State::kEntry: return on_entry_value(v);
    case State::kShape:
      if (v.kind != Kind::kCount || v.count > std::uint64_t(std::numeric_limits<int64_t>::max())) {
        bad_entry(kShapeRule, ", got ", shown(v));
      }
      if (entry_->shape.size() == kMaxRank) bad_entry("shape has more than ", kMaxRank, " dimensions");
      entry_->shape.push_back(int64_t(v.count));
      break;
    case State::kOffsets:
      if (v.kind != Kind::kCount) bad_entry(kOffsetsRule, ", got ", shown(v));
      if (entry_->offsets.size() == 2) bad_entry(kOffsetsRule, ", got more than two values");
      entry_->offsets.push_back(v.count);
      break;
    case State::kSkip:
      if ((v.kind == Kind::kObject || v.kind == Kind::kArray) && ++skip_depth_ > kMaxSkipDepth) {
        bad_entry("field '", key_, "' nests deeper than ", kMaxSkipDepth, " levels");
      }
      break;
    case State::kDone: break;
  }
  return true;
}

bool HeaderReader::on_entry_value(const Value& v) {
  if (key_ == "dtype") {
    if (v.kind != Kind::kString) bad_entry("dtype must be a string, got ", shown(v));
    const auto found = std::find_if(kDTypes.begin(), kDTypes.end(), [&](const auto& t) { return t.name == *v.string; });
    if (found == kDTypes.end()) bad_entry("dtype ", shown(v), " is not supported; expected one of F16, BF16, F32, F64");
    entry_->dtype = found->dtype;
  } else if (key_ == "shape") {
    if (v.kind != Kind::kArray) bad_entry(kShapeRule, ", got ", shown(v));
    state_ = State::kShape;
  } else if (key_ == "data_offsets") {
    if (v.kind != Kind::kArray) bad_entry(kOffsetsRule, ", got ", shown(v));
    state_ = State::kOffsets;
  } else if (v.kind == Kind::kObject || v.kind == Kind::kArray) {
    state_ = State::kSkip;  // unknown fields are ignored, as the Python library does
    skip_depth_ = 1;
  }
  return true;
}

bool HeaderReader::on_close() {
  switch (state_) {
    case State::kTop: state_ = State::kDone; break;
    case State::kMetadata: state_ = State::kTop; break;
    case State::kEntry:
      for (const char* field : {"dtype", "shape", "data_offsets"}) {
        if (!fields_.count(field)) bad_entry("missing field '", field, "'");
      }
      state_ = State::kTop;
      break;
    case State::kShape: state_ = State::kEntry; break;
    case State::kOffsets:
      if (entry_->offsets.size() != 2) bad_entry(kOffsetsRule, ", got a list of ", entry_->offsets.size());
      state_ = State::kEntry;
      break;
    case State::kSkip:
      if (--skip_depth_ == 0) state_ = State::kEntry;
      break;
    case State::kStart: case State::kDone: break;
  }
  return true;
}

struct Placement {
  std::uint64_t begin, end;
  std::string name;
};

// Checks one entry's sizes against its shape and the data section; the bytes are read later.
Placement check_entry(const std::string& source, const std::string& name, const Entry& entry,
                      std::uint64_t data_size) {
  const auto where = cat("tensor '", name, "': ");
  std::uint64_t bytes = 0;
  if (!byte_count(entry.shape, entry.dtype, bytes)) {
    fail(source, where, "shape ", format_shape(entry.shape), " is too large");
  }
  const Placement p{entry.offsets[0], entry.offsets[1], name};
  const auto range = cat("data_offsets [", p.begin, ", ", p.end, "]");
  if (p.end < p.begin) fail(source, where, range, " end before they begin");
  if (p.end > data_size) fail(source, where, range, " run past the end of the data section (", data_size, " bytes)");
  if (p.end - p.begin != bytes) {
    fail(source, where, range, " hold ", p.end - p.begin, " bytes, but shape ", format_shape(entry.shape), " of ",
         dtype_name(entry.dtype), " needs ", bytes);
  }
  return p;
}

// The spec wants the tensors to tile the data section: no overlap (two tensors sharing bytes), no gap
// and no trailing bytes (both would hide data no tensor accounts for).
void check_tiling(const std::string& source, std::vector<Placement> placements, std::uint64_t data_size) {
  std::sort(placements.begin(), placements.end(),
            [](const Placement& a, const Placement& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  std::uint64_t covered = 0;
  const Placement* previous = nullptr;
  for (const Placement& p : placements) {
    const auto where = cat("tensor '", p.name, "': data_offsets [", p.begin, ", ", p.end, "]");
    if (p.begin < covered) {
      fail(source, where, " overlap tensor '", previous->name, "' [", previous->begin, ", ", previous->end, "]");
    }
    if (p.begin > covered) fail(source, where, " leave a gap of ", p.begin - covered, " bytes after byte ", covered);
    covered = p.end;
    previous = &p;
  }
  if (covered != data_size) fail(source, "tensors cover ", covered, " bytes of the ", data_size, "-byte data section");
}

// Both sources refuse a range outside their bytes before touching them.
void check_range(const std::string& source, std::uint64_t offset, std::size_t count, std::uint64_t size) {
  if (count > size || offset > size - count) {
    fail(source, "read of ", count, " bytes at offset ", offset, " runs past the end (", size, " bytes)");
  }
}

}  // namespace

std::string_view dtype_name(DType dtype) { return kDTypes.at(std::size_t(dtype)).name; }
std::size_t dtype_size(DType dtype) { return kDTypes.at(std::size_t(dtype)).size; }

MemorySource::MemorySource(std::span<const std::byte> bytes, std::string name)
    : bytes_(bytes), name_(std::move(name)) {}

void MemorySource::read(std::uint64_t offset, std::span<std::byte> out) {
  check_range(name_, offset, out.size(), bytes_.size());
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
}

FileSource::FileSource(const fs::path& path) : name_(path.string()) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) fail(name_, "no such file");
  if (ec) fail(name_, "cannot stat: ", ec.message());
  if (!fs::is_regular_file(status)) fail(name_, "not a regular file");
  size_ = fs::file_size(path, ec);
  if (ec) fail(name_, "cannot get the size: ", ec.message());
  stream_.open(path, std::ios::binary);
  if (!stream_) fail(name_, "cannot open for reading: ", std::strerror(errno));
}

void FileSource::read(std::uint64_t offset, std::span<std::byte> out) {
  check_range(name_, offset, out.size(), size_);
  stream_.seekg(static_cast<std::streamoff>(offset));
  stream_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  if (!stream_ || stream_.gcount() != static_cast<std::streamsize>(out.size())) {
    fail(name_, "read of ", out.size(), " bytes at offset ", offset, " failed (was the file truncated while loading?)");
  }
}

std::size_t Tensor::numel() const {
  std::size_t n = 1;
  for (int64_t d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::vector<double> Tensor::to_double() const {
  const std::size_t step = dtype_size(dtype);
  std::vector<double> out(data.size() / step);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = decode(dtype, data.data() + i * step);
  return out;
}

std::vector<float> Tensor::to_float() const {
  const std::size_t step = dtype_size(dtype);
  std::vector<float> out(data.size() / step);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::byte* p = data.data() + i * step;
    if (dtype == DType::kF32) {
      out[i] = std::bit_cast<float>(std::uint32_t(load_le(p, 4)));  // bit for bit, NaN payloads too
    } else if (dtype == DType::kF64) {
      // A plain cast of a double beyond float's range is undefined behaviour; round it ourselves.
      out[i] = std::bit_cast<float>(encode_binary(decode(dtype, p), kSingle));
    } else {
      out[i] = static_cast<float>(decode(dtype, p));  // every F16/BF16 value is a float
    }
  }
  return out;
}

SafetensorsFile SafetensorsFile::read(ByteSource& source) {
  const std::string& name = source.name();
  const std::uint64_t size = source.size();
  if (size < 8) fail(name, "file is ", size, " bytes, shorter than the 8-byte header length");
  std::array<std::byte, 8> length_bytes;
  source.read(0, length_bytes);
  const std::uint64_t header_size = load_le(length_bytes.data(), 8);
  if (header_size > kMaxHeaderBytes) {
    fail(name, "header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  }
  if (header_size > size - 8) {
    fail(name, "header length ", header_size, " runs past the end of the file (", size, " bytes)");
  }
  std::string text(header_size, ' ');
  source.read(8, std::as_writable_bytes(std::span(text)));
  HeaderReader header(name);
  if (!json::sax_parse(text.begin(), text.end(), &header)) fail(name, "header is not valid JSON");

  SafetensorsFile file;
  file.source_name_ = name;
  file.metadata_ = std::move(header.metadata());
  const std::uint64_t data_start = 8 + header_size;
  const std::uint64_t data_size = size - data_start;
  std::vector<Placement> placements;
  for (auto& [key, entry] : header.entries()) {
    placements.push_back(check_entry(name, key, entry, data_size));
    file.tensors_.emplace(key, Tensor{entry.dtype, std::move(entry.shape), {}});
  }
  check_tiling(name, placements, data_size);
  // Only now, with every range inside the input and the ranges disjoint, is anything sized by the header.
  for (const Placement& p : placements) {
    Tensor& tensor = file.tensors_.find(p.name)->second;
    tensor.data.resize(p.end - p.begin);
    source.read(data_start + p.begin, tensor.data);
  }
  return file;
}

SafetensorsFile SafetensorsFile::read_file(const fs::path& path) {
  FileSource source(path);
  return read(source);
}

SafetensorsFile SafetensorsFile::read_memory(std::span<const std::byte> bytes, std::string name) {
  MemorySource source(bytes, std::move(name));
  return read(source);
}

std::vector<std::byte> SafetensorsFile::write_memory() const {
  json header = json::object();
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors_) {
    header[name] = {{"dtype", std::string(dtype_name(tensor.dtype))},
                    {"shape", tensor.shape},
                    {"data_offsets", json::array({offset, offset + tensor.data.size()})}};
    offset += tensor.data.size();
  }
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    throw std::invalid_argument(
        cat(source_name_, ": cannot write the header (names and metadata must be UTF-8): ", e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<std::byte> out(8 + text.size() + offset);
  store_le(out.data(), text.size(), 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  std::byte* data = out.data() + 8 + text.size();
  for (const auto& [name, tensor] : tensors_) {
    if (!tensor.data.empty()) std::memcpy(data, tensor.data.data(), tensor.data.size());
    data += tensor.data.size();
  }
  return out;
}

void SafetensorsFile::write_file(const fs::path& path) const {
  const std::vector<std::byte> bytes = write_memory();
  // The pid keeps two processes saving the same model from writing into one tmp file.
  const std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  auto give_up = [&](const char* step) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw std::runtime_error(cat(path.string(), ": cannot write (", step, " ", tmp, "): ", reason));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) give_up("open");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      give_up("write");
    }
    done += static_cast<std::size_t>(n);
  }
  // Without fsync a crash right after the rename can leave an empty file under the final name.
  if (::fsync(fd) != 0) {
    ::close(fd);
    give_up("fsync");
  }
  if (::close(fd) != 0) give_up("close");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) give_up("rename");
}

bool SafetensorsFile::contains(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto& entry : tensors_) out.push_back(entry.first);
  return out;
}

const Tensor& SafetensorsFile::tensor(std::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(source_name_, "no tensor '", name, "' (the file holds ", tensors_.size(), " tensors)");
  return it->second;
}

const Tensor& SafetensorsFile::get(std::string_view name, const Shape& expected_shape) const {
  const auto it = tensors_.find(name);
  const auto where = cat("tensor '", name, "' ");
  if (it == tensors_.end()) fail(source_name_, where, "is missing, expected shape ", format_shape(expected_shape));
  if (it->second.shape != expected_shape) {
    fail(source_name_, where, "has shape ", format_shape(it->second.shape), ", expected ",
         format_shape(expected_shape));
  }
  return it->second;
}

void SafetensorsFile::add_tensor(std::string name, Tensor tensor) {
  const auto where = cat(source_name_, ": add_tensor '", name, "': ");
  if (name == "__metadata__") throw std::invalid_argument(where + "the name is reserved for the metadata");
  if (contains(name)) throw std::invalid_argument(where + "a tensor of that name exists already");
  std::uint64_t bytes = 0;
  if (!byte_count(tensor.shape, tensor.dtype, bytes)) {
    throw std::invalid_argument(where + "shape " + format_shape(tensor.shape) + " has a negative size or is too large");
  }
  if (tensor.data.size() != bytes) {
    throw std::invalid_argument(cat(where, tensor.data.size(), " bytes given, shape ", format_shape(tensor.shape),
                                    " of ", dtype_name(tensor.dtype), " needs ", bytes));
  }
  tensors_.emplace(std::move(name), std::move(tensor));
}

void SafetensorsFile::add_tensor(std::string name, Shape shape, std::span<const float> values, DType dtype) {
  add_tensor(std::move(name), encode_tensor(std::move(shape), values, dtype));
}

void SafetensorsFile::add_tensor(std::string name, Shape shape, std::span<const double> values, DType dtype) {
  add_tensor(std::move(name), encode_tensor(std::move(shape), values, dtype));
}

}  // namespace liquid::lfm
