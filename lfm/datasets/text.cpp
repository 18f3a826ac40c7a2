#include "lfm/datasets/text.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace liquid::lfm {

namespace {

std::string hex_byte(int b) {
  char name[8];
  std::snprintf(name, sizeof name, "0x%02x", b);
  return name;
}

// Appends the windows of bytes [begin, end) to `d` (see the header: full windows every stride
// bytes, then one end-aligned window for the bytes left over).
void cut_period(const std::string& bytes, size_t begin, size_t end, const TextOptions& o, SequenceDataset& d) {
  const size_t T = size_t(o.context), stride = size_t(o.stride == 0 ? o.context : o.stride);
  size_t scored_until = begin;  // labels at positions <= scored_until are scored already
  auto add = [&](size_t start, bool tail) {
    for (size_t t = start; t < start + T; ++t) {
      d.inputs.resize(d.inputs.size() + kTextInputs, 0.0f);
      d.inputs[d.inputs.size() - kTextInputs + static_cast<unsigned char>(bytes[t])] = 1.0f;
      d.labels.push_back(static_cast<unsigned char>(bytes[t + 1]));
      d.mask.push_back(!tail || t + 1 > scored_until ? 1 : 0);
      d.timespans.push_back(1.0f);
    }
    scored_until = std::max(scored_until, start + T);
  };
  size_t start = begin;
  for (; start + T < end; start += stride) add(start, false);  // labels up to start + T <= end - 1
  if (end >= begin + T + 1 && scored_until < end - 1) add(end - 1 - T, true);
}

}  // namespace

void check_text_options(const TextOptions& o) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("text: " + what); };
  if (o.context < 1 || o.context > kTextMaxContext)
    fail("context must be 1 .. " + std::to_string(kTextMaxContext) + " bytes, got " + std::to_string(o.context));
  if (o.stride < 0) fail("stride must be >= 1 (or 0 for the context), got " + std::to_string(o.stride));
  if (!(o.validation_fraction >= 0) || !(o.test_fraction > 0) || o.validation_fraction + o.test_fraction >= 1)
    fail("validation_fraction >= 0 and test_fraction > 0 must sum to less than 1");
}

std::string read_text_corpus(const std::filesystem::path& path) {
  std::string bytes;
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path))
      if (entry.is_regular_file() && !entry.is_symlink()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) bytes += detail::read_text_file(file);
  } else {
    bytes = detail::read_text_file(path);
  }
  if (bytes.empty()) throw DataFormatError(path, 0, 0, "the corpus holds no byte");
  return bytes;
}

DatasetSplits load_text(const std::filesystem::path& path, const TextOptions& o) {
  check_text_options(o);
  const std::string bytes = read_text_corpus(path);
  const size_t n = bytes.size();
  const size_t train_end = size_t(double(n) * (1 - o.validation_fraction - o.test_fraction));
  const size_t val_end = size_t(double(n) * (1 - o.test_fraction));

  SequenceDataset shape;
  shape.steps = o.context;
  shape.input_size = kTextInputs;
  shape.num_classes = kTextClasses;
  for (int b = 0; b < 256; ++b) {
    shape.input_names.push_back("byte_" + hex_byte(b));
    shape.class_names.push_back(hex_byte(b));
  }
  DatasetSplits splits;
  splits.train = shape.empty_like("text/train");
  splits.validation = shape.empty_like("text/validation");
  splits.test = shape.empty_like("text/test");
  const size_t period_start[3] = {0, train_end, val_end}, period_end[3] = {train_end, val_end, n};
  SequenceDataset* period_set[3] = {&splits.train, &splits.validation, &splits.test};
  for (int s = 0; s < 3; ++s) cut_period(bytes, period_start[s], period_end[s], o, *period_set[s]);
  for (SequenceDataset* d : period_set) d->check_shapes();
  const char* names[3] = {"training", "validation", "test"};
  for (int s = 0; s < 3; ++s)
    if (period_set[s]->size() == 0 && (s != 1 || o.validation_fraction > 0))
      throw DataFormatError(path, 0, 0,
                            "the " + std::string(names[s]) + " part (" +
                                std::to_string(period_end[s] - period_start[s]) +
                                " bytes) is too short for one window of context " + std::to_string(o.context) + " + 1");
  return splits;
}

}  // namespace liquid::lfm
