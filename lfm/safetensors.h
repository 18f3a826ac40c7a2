// safetensors model files: the weights format ncps/PyTorch users already have.
//
//   auto file = liquid::lfm::SafetensorsFile::read_file("model.safetensors");
//   std::vector<float> w = file.get("rnn_cell.ff1.weight", {8, 16}).to_float();  // row-major
//   std::string config = file.metadata().at("config");
//
//   liquid::lfm::SafetensorsFile out;
//   out.set_metadata("config", config_json);
//   out.add_tensor("rnn_cell.ff1.weight", {8, 16}, w);               // stored as F32
//   out.add_tensor("rnn_cell.ff1.bias", {8}, b, liquid::lfm::DType::kF16);
//   out.write_file("model.safetensors");                              // tmp file, then rename
//
// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N
// bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
// then the data section, which the tensors' byte ranges must tile exactly. Tensor data is row-major
// (C order, as torch and numpy store it) and little-endian.
//
// Files and memory buffers are read through one ByteSource code path, so tests and the fuzzer
// (fuzz/safetensors_fuzz.cpp) exercise exactly what loads real files. Every size in the header is
// checked against the bytes actually present before anything is allocated, so a hostile header
// cannot make the reader allocate more than the input's own size.
// Errors are FormatError naming the source, the tensor or field, what was expected and what was found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace liquid::lfm {

// Same alias as lfm/parameter.h, so both headers can be included together.
using Shape = std::vector<int64_t>;

class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The element types this reader understands; other safetensors dtypes (I32, BOOL, F8_*) are rejected.
enum class DType { kF16, kBF16, kF32, kF64 };

std::string_view dtype_name(DType dtype);  // "F16", "BF16", "F32", "F64"
std::size_t dtype_size(DType dtype);       // bytes per element

// Random-access input, after whisper.cpp's loader callbacks: the parser asks for byte ranges and
// never assumes the whole input is in memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Used at the start of every error message: the file path, or a label for a buffer.
  virtual const std::string& name() const = 0;
  virtual std::uint64_t size() const = 0;
  // Fills `out` from [offset, offset + out.size()); throws FormatError if the range is not there.
  virtual void read(std::uint64_t offset, std::span<std::byte> out) = 0;
};

class MemorySource final : public ByteSource {
 public:
  // The buffer must outlive the source; nothing is copied.
  MemorySource(std::span<const std::byte> bytes, std::string name);
  const std::string& name() const override { return name_; }
  std::uint64_t size() const override { return bytes_.size(); }
  void read(std::uint64_t offset, std::span<std::byte> out) override;

 private:
  std::span<const std::byte> bytes_;
  std::string name_;
};

class FileSource final : public ByteSource {
 public:
  // Throws FormatError if the path is missing, not a regular file or unreadable.
  explicit FileSource(const std::filesystem::path& path);
  const std::string& name() const override { return name_; }
  std::uint64_t size() const override { return size_; }
  void read(std::uint64_t offset, std::span<std::byte> out) override;

 private:
  std::string name_;
  std::ifstream stream_;
  std::uint64_t size_ = 0;
};

// One tensor exactly as stored: dtype, shape and the raw little-endian bytes, so a file read and
// written back is bit-identical (F16 NaN payloads included).
struct Tensor {
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<std::byte> data;  // numel() * dtype_size(dtype) bytes, row-major

  std::size_t numel() const;
  // Converted element by element; F64 to float rounds to nearest even, overflowing to +-inf.
  std::vector<float> to_float() const;
  std::vector<double> to_double() const;  // exact for every supported dtype
};

class SafetensorsFile {
 public:
  // Largest JSON header accepted; the Python library uses the same bound.
  static constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

  static SafetensorsFile read(ByteSource& source);
  static SafetensorsFile read_file(const std::filesystem::path& path);
  static SafetensorsFile read_memory(std::span<const std::byte> bytes, std::string name = "<memory>");

  // Tensors in sorted name order, the header padded with spaces to a multiple of 8 bytes so the data
  // section starts 8-byte aligned (as the Python library does). write_file writes `path` + ".tmp.PID",
  // fsyncs it and renames it over `path`, so readers never see a half-written model; it throws
  // std::runtime_error if the file cannot be written.
  std::vector<std::byte> write_memory() const;
  void write_file(const std::filesystem::path& path) const;

  bool contains(std::string_view name) const;
  std::vector<std::string> names() const;  // sorted
  const Tensor& tensor(std::string_view name) const;  // throws FormatError if missing
  // For model loaders: the tensor, if present with exactly this shape; otherwise a FormatError such as
  // "model.safetensors: tensor 'rnn_cell.ff1.weight' has shape [8, 16], expected [8, 13]".
  const Tensor& get(std::string_view name, const Shape& expected_shape) const;
  std::vector<float> as_float(std::string_view name) const { return tensor(name).to_float(); }
  std::vector<double> as_double(std::string_view name) const { return tensor(name).to_double(); }

  // Encodes `values` (row-major, product(shape) of them) as `dtype`, rounding to nearest even when
  // narrowing; inf, NaN and subnormals are kept where the dtype can hold them. Throws
  // std::invalid_argument for a duplicate or reserved name, a negative dimension or a size mismatch.
  void add_tensor(std::string name, Shape shape, std::span<const float> values, DType dtype = DType::kF32);
  void add_tensor(std::string name, Shape shape, std::span<const double> values, DType dtype = DType::kF64);
  void add_tensor(std::string name, Tensor tensor);  // raw bytes as given; checked like the others

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }
  void set_metadata(std::map<std::string, std::string> metadata) { metadata_ = std::move(metadata); }

  // Where this file was read from ("<memory>" if built in code); starts every error message.
  const std::string& source_name() const { return source_name_; }

 private:
  std::string source_name_ = "<memory>";
  std::map<std::string, Tensor, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace liquid::lfm
