// libFuzzer target for the safetensors reader. The contract under test: any byte string either loads
// or throws FormatError. Anything else (another exception, a crash, a sanitizer report, a file that
// loads but does not survive a write and re-read unchanged) is a bug. See fuzz/CMakeLists.txt for the
// commands.
//
// Built with -DLIQUID_FUZZ_SEED_WRITER instead, this file is a small program that writes seed inputs
// (one per dtype, with metadata, an empty file, a zero-sized tensor) using the library's own writer,
// so the corpus needs no binary files in git.
#include "lfm/safetensors.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace {

using liquid::lfm::DType;
using liquid::lfm::FormatError;
using liquid::lfm::SafetensorsFile;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "safetensors_fuzz: %s\n", what);
    std::abort();
  }
}

void check_round_trip(const SafetensorsFile& file) {
  for (const auto& name : file.names()) {
    const auto& tensor = file.tensor(name);
    check(tensor.to_float().size() == tensor.numel(), "to_float size differs from numel");
    check(tensor.to_double().size() == tensor.numel(), "to_double size differs from numel");
  }
  const auto again = SafetensorsFile::read_memory(file.write_memory(), "fuzz round trip");
  check(again.names() == file.names(), "names changed in a round trip");
  check(again.metadata() == file.metadata(), "metadata changed in a round trip");
  for (const auto& name : file.names()) {
    const auto& a = file.tensor(name);
    const auto& b = again.tensor(name);
    check(a.dtype == b.dtype && a.shape == b.shape && a.data == b.data, "a tensor changed in a round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  SafetensorsFile file;
  try {
    file = SafetensorsFile::read_memory(std::as_bytes(std::span(data, size)), "fuzz input");
  } catch (const FormatError&) {
    return 0;
  }
  check_round_trip(file);
  return 0;
}

#ifdef LIQUID_FUZZ_SEED_WRITER
int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::vector<float> values = {1.0f, -0.5f, 3e-6f, 65504.0f, -0.0f, 1e-40f};
  for (DType dtype : {DType::kF16, DType::kBF16, DType::kF32, DType::kF64}) {
    SafetensorsFile file;
    file.set_metadata("format", "pt");
    file.set_metadata("config", R"({"model": "CfC", "units": 3})");
    file.add_tensor("rnn_cell.ff1.weight", {3, 2}, values, dtype);
    file.add_tensor("rnn_cell.ff1.bias", {3}, std::span(values).first(3), dtype);
    file.add_tensor("empty", {0, 2}, std::vector<float>{}, dtype);
    file.write_file(dir + "/seed_" + std::string(liquid::lfm::dtype_name(dtype)) + ".safetensors");
  }
  SafetensorsFile().write_file(dir + "/seed_empty.safetensors");
  return 0;
}
#endif
