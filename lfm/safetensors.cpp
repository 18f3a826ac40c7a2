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

// Error messages quote the offending JSON, cut short: a hostile header can be 100 MB.
std::string quote_json(const json& value) {
  std::string s = value.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
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

constexpr std::array kDTypes{DType::kF16, DType::kBF16, DType::kF32, DType::kF64};

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

bool is_count(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

// nlohmann keeps the last of two equal keys silently; a file naming a tensor twice is ambiguous, so
// the parse callback records the first repeat and the caller rejects the header.
json parse_header(const std::string& source, std::string_view text) {
  constexpr int kMaxDepth = 16;
  std::vector<std::set<std::string>> open_objects;
  std::string top_key, duplicate, duplicate_owner;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    // A valid header nests three deep; without a bound, 100 MB of '[' costs minutes and gigabytes.
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) && depth >= kMaxDepth) {
      fail(source, "header nests deeper than ", kMaxDepth, " levels");
    }
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) {
        duplicate = key;
        duplicate_owner = open_objects.size() == 1 ? "" : top_key;
      }
      if (open_objects.size() == 1) top_key = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception& e) {
    fail(source, "header is not valid JSON: ", e.what());
  }
  if (!header.is_object()) fail(source, "header must be a JSON object, got ", header.type_name());
  if (!duplicate.empty()) {
    if (duplicate_owner.empty()) fail(source, "tensor name '", duplicate, "' appears twice in the header");
    fail(source, "key '", duplicate, "' appears twice in the header entry '", duplicate_owner, "'");
  }
  return header;
}

std::map<std::string, std::string> parse_metadata(const std::string& source, const json& value) {
  if (!value.is_object()) fail(source, "__metadata__ must be an object of strings, got ", quote_json(value));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string()) fail(source, "__metadata__ '", key, "' must be a string, got ", quote_json(v));
    metadata[key] = v.get<std::string>();
  }
  return metadata;
}

struct Placement {
  std::uint64_t begin, end;
  std::string name;
};

// Checks one header entry against the data section's size; the tensor's bytes are read later.
Placement parse_entry(const std::string& source, const std::string& name, const json& entry,
                      std::uint64_t data_size, Tensor& tensor) {
  const auto where = cat("tensor '", name, "'");
  if (!entry.is_object()) fail(source, where, ": entry must be an object with dtype, shape and data_offsets, got ", quote_json(entry));
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(field)) fail(source, where, ": missing field '", field, "'");
  }
  const json& dtype = entry["dtype"];
  if (!dtype.is_string()) fail(source, where, ": dtype must be a string, got ", quote_json(dtype));
  const auto found = std::find_if(kDTypes.begin(), kDTypes.end(), [&](DType t) { return dtype_name(t) == dtype.get<std::string>(); });
  if (found == kDTypes.end()) fail(source, where, ": dtype '", dtype.get<std::string>(), "' is not supported; expected one of F16, BF16, F32, F64");
  tensor.dtype = *found;

  const json& shape = entry["shape"];
  const bool shape_ok = shape.is_array() && std::all_of(shape.begin(), shape.end(), [](const json& d) {
    return is_count(d) && d.get<std::uint64_t>() <= std::uint64_t(std::numeric_limits<int64_t>::max());
  });
  if (!shape_ok) fail(source, where, ": shape must be a list of non-negative integers, got ", quote_json(shape));
  for (const json& d : shape) tensor.shape.push_back(d.get<int64_t>());
  std::uint64_t bytes = 0;
  if (!byte_count(tensor.shape, tensor.dtype, bytes)) fail(source, where, ": shape ", format_shape(tensor.shape), " is too large");

  const json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !is_count(offsets[0]) || !is_count(offsets[1])) {
    fail(source, where, ": data_offsets must be [begin, end] with non-negative integers, got ", quote_json(offsets));
  }
  const Placement p{offsets[0].get<std::uint64_t>(), offsets[1].get<std::uint64_t>(), name};
  const auto range = cat("data_offsets [", p.begin, ", ", p.end, "]");
  if (p.end < p.begin) fail(source, where, ": ", range, " end before they begin");
  if (p.end > data_size) fail(source, where, ": ", range, " run past the end of the data section (", data_size, " bytes)");
  if (p.end - p.begin != bytes) {
    fail(source, where, ": ", range, " hold ", p.end - p.begin, " bytes, but shape ", format_shape(tensor.shape), " of ",
         dtype_name(tensor.dtype), " needs ", bytes);
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
    const auto range = cat("data_offsets [", p.begin, ", ", p.end, "]");
    if (p.begin < covered) {
      fail(source, "tensor '", p.name, "': ", range, " overlap tensor '", previous->name, "' [", previous->begin, ", ", previous->end, "]");
    }
    if (p.begin > covered) fail(source, "tensor '", p.name, "': ", range, " leave a gap of ", p.begin - covered, " bytes after byte ", covered);
    covered = p.end;
    previous = &p;
  }
  if (covered != data_size) fail(source, "tensors cover ", covered, " bytes of the ", data_size, "-byte data section");
}

}  // namespace

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF32: return "F32";
    case DType::kF64: return "F64";
  }
  return "?";
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF16: case DType::kBF16: return 2;
    case DType::kF32: return 4;
    case DType::kF64: return 8;
  }
  return 1;
}

MemorySource::MemorySource(std::span<const std::byte> bytes, std::string name)
    : bytes_(bytes), name_(std::move(name)) {}

void MemorySource::read(std::uint64_t offset, std::span<std::byte> out) {
  if (out.size() > bytes_.size() || offset > bytes_.size() - out.size()) {
    fail(name_, "read of ", out.size(), " bytes at offset ", offset, " runs past the end (", bytes_.size(), " bytes)");
  }
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
  if (out.size() > size_ || offset > size_ - out.size()) {
    fail(name_, "read of ", out.size(), " bytes at offset ", offset, " runs past the end (", size_, " bytes)");
  }
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
  if (header_size > kMaxHeaderBytes) fail(name, "header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  if (header_size > size - 8) fail(name, "header length ", header_size, " runs past the end of the file (", size, " bytes)");
  std::string text(header_size, ' ');
  source.read(8, std::as_writable_bytes(std::span(text)));
  const json header = parse_header(name, text);

  SafetensorsFile file;
  file.source_name_ = name;
  const std::uint64_t data_start = 8 + header_size;
  const std::uint64_t data_size = size - data_start;
  std::vector<Placement> placements;
  for (const auto& [key, entry] : header.items()) {
    if (key == "__metadata__") {
      file.metadata_ = parse_metadata(name, entry);
      continue;
    }
    Tensor tensor;
    placements.push_back(parse_entry(name, key, entry, data_size, tensor));
    file.tensors_.emplace(key, std::move(tensor));
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
    throw std::invalid_argument(cat(source_name_, ": cannot write the header (names and metadata must be UTF-8): ", e.what()));
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
  if (it == tensors_.end()) fail(source_name_, "tensor '", name, "' is missing, expected shape ", format_shape(expected_shape));
  if (it->second.shape != expected_shape) {
    fail(source_name_, "tensor '", name, "' has shape ", format_shape(it->second.shape), ", expected ", format_shape(expected_shape));
  }
  return it->second;
}

void SafetensorsFile::add_tensor(std::string name, Tensor tensor) {
  const auto where = cat(source_name_, ": add_tensor '", name, "': ");
  if (name == "__metadata__") throw std::invalid_argument(where + "the name is reserved for the metadata");
  if (contains(name)) throw std::invalid_argument(where + "a tensor of that name exists already");
  std::uint64_t bytes = 0;
  if (!byte_count(tensor.shape, tensor.dtype, bytes)) {
    throw std::invalid_argument(where + "shape " + format_shape(tensor.shape) + " has a negative dimension or is too large");
  }
  if (tensor.data.size() != bytes) {
    throw std::invalid_argument(cat(where, tensor.data.size(), " bytes given, shape ", format_shape(tensor.shape), " of ",
                                    dtype_name(tensor.dtype), " needs ", bytes));
  }
  tensors_.emplace(std::move(name), std::move(tensor));
}

void SafetensorsFile::add_tensor(std::string name, Shape shape, std::span<const float> values, DType dtype) {
  Tensor tensor{dtype, std::move(shape), std::vector<std::byte>(values.size() * dtype_size(dtype))};
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::byte* p = tensor.data.data() + i * dtype_size(dtype);
    // Floats are stored bit for bit, so NaN payloads survive an F32 round trip.
    if (dtype == DType::kF32) store_le(p, std::bit_cast<std::uint32_t>(values[i]), 4);
    else encode(dtype, values[i], p);
  }
  add_tensor(std::move(name), std::move(tensor));
}

void SafetensorsFile::add_tensor(std::string name, Shape shape, std::span<const double> values, DType dtype) {
  Tensor tensor{dtype, std::move(shape), std::vector<std::byte>(values.size() * dtype_size(dtype))};
  for (std::size_t i = 0; i < values.size(); ++i) encode(dtype, values[i], tensor.data.data() + i * dtype_size(dtype));
  add_tensor(std::move(name), std::move(tensor));
}

}  // namespace liquid::lfm
