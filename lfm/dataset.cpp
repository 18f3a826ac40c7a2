#include "lfm/dataset.h"

#include "lfm/numpy_random.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace liquid::lfm {

namespace {

std::string shape_error(const SequenceDataset& d, const char* array, std::size_t got,
                        std::size_t want) {
  return "SequenceDataset '" + d.name + "': " + array + " has " + std::to_string(got) +
         " values, its shape needs " + std::to_string(want);
}

}  // namespace

void SequenceDataset::check_shapes() const {
  if (steps <= 0) {
    if (!timespans.empty() || !inputs.empty()) {
      throw std::logic_error("SequenceDataset '" + name + "': data without a step count");
    }
    return;
  }
  const std::size_t n = timespans.size() / static_cast<std::size_t>(steps);
  const std::size_t cells = n * static_cast<std::size_t>(steps);
  auto expect = [&](const char* array, std::size_t got, std::size_t want) {
    if (got != want) throw std::logic_error(shape_error(*this, array, got, want));
  };
  expect("timespans", timespans.size(), cells);
  expect("inputs", inputs.size(), cells * static_cast<std::size_t>(input_size));
  expect("mask", mask.size(), cells);
  expect("input_names", input_names.size(), static_cast<std::size_t>(input_size));
  if (num_classes > 0) {
    expect("labels", labels.size(), cells);
    expect("class_names", class_names.size(), static_cast<std::size_t>(num_classes));
  }
  if (output_size > 0) {
    expect("targets", targets.size(), cells * static_cast<std::size_t>(output_size));
  }
}

SequenceDataset SequenceDataset::empty_like(std::string new_name) const {
  SequenceDataset out;
  out.name = std::move(new_name);
  out.steps = steps;
  out.input_size = input_size;
  out.num_classes = num_classes;
  out.output_size = output_size;
  out.input_names = input_names;
  out.class_names = class_names;
  return out;
}

void SequenceDataset::append_window(const SequenceDataset& other, std::size_t index) {
  if (other.steps != steps || other.input_size != input_size || other.num_classes != num_classes ||
      other.output_size != output_size) {
    throw std::invalid_argument("SequenceDataset::append_window: '" + other.name +
                                "' has another shape than '" + name + "'");
  }
  if (index >= other.size()) {
    throw std::out_of_range("SequenceDataset::append_window: window " + std::to_string(index) +
                            " of '" + other.name + "', which has " + std::to_string(other.size()));
  }
  const auto s = static_cast<std::size_t>(steps);
  auto copy = [&](auto& to, const auto& from, std::size_t width) {
    const auto begin = from.begin() + static_cast<std::ptrdiff_t>(index * s * width);
    to.insert(to.end(), begin, begin + static_cast<std::ptrdiff_t>(s * width));
  };
  copy(inputs, other.inputs, static_cast<std::size_t>(input_size));
  copy(timespans, other.timespans, 1);
  copy(mask, other.mask, 1);
  if (num_classes > 0) copy(labels, other.labels, 1);
  if (output_size > 0) copy(targets, other.targets, static_cast<std::size_t>(output_size));
}

void Normalization::apply(SequenceDataset& dataset) const {
  if (mean.size() != static_cast<std::size_t>(dataset.input_size) || std.size() != mean.size()) {
    throw std::invalid_argument("Normalization::apply: fitted on " + std::to_string(mean.size()) +
                                " inputs, '" + dataset.name + "' has " +
                                std::to_string(dataset.input_size));
  }
  if (!names.empty() && names != dataset.input_names) {
    throw std::invalid_argument("Normalization::apply: input names of '" + dataset.name +
                                "' differ from those it was fitted on");
  }
  const auto width = mean.size();
  for (std::size_t i = 0; i < dataset.inputs.size(); ++i) {
    const auto f = i % width;
    dataset.inputs[i] = (dataset.inputs[i] - mean[f]) / std[f];
  }
}

Normalization fit_normalization(const SequenceDataset& train, std::span<const int> features) {
  const auto width = static_cast<std::size_t>(train.input_size);
  Normalization out;
  out.names = train.input_names;
  out.mean.assign(width, 0.0F);
  out.std.assign(width, 1.0F);
  for (int f : features) {
    if (f < 0 || static_cast<std::size_t>(f) >= width) {
      throw std::out_of_range("fit_normalization: feature " + std::to_string(f) + " of " +
                              std::to_string(width));
    }
  }
  // Double accumulators: a few hundred thousand float32 sums would lose digits.
  std::vector<double> sum(width, 0.0), sum_sq(width, 0.0);
  std::size_t count = 0;
  const std::size_t cells = train.mask.size();
  for (std::size_t c = 0; c < cells; ++c) {
    if (!train.mask[c]) continue;
    ++count;
    for (int f : features) {
      const double x = train.inputs[c * width + static_cast<std::size_t>(f)];
      sum[static_cast<std::size_t>(f)] += x;
    }
  }
  if (count == 0) {
    throw std::invalid_argument("fit_normalization: '" + train.name + "' has no masked steps");
  }
  // Two passes (mean, then squared deviations) so large offsets such as CO2 in ppm do not cancel.
  for (std::size_t c = 0; c < cells; ++c) {
    if (!train.mask[c]) continue;
    for (int f : features) {
      const auto fi = static_cast<std::size_t>(f);
      const double d = train.inputs[c * width + fi] - sum[fi] / static_cast<double>(count);
      sum_sq[fi] += d * d;
    }
  }
  for (int f : features) {
    const auto fi = static_cast<std::size_t>(f);
    const double sd = std::sqrt(sum_sq[fi] / static_cast<double>(count));
    out.mean[fi] = static_cast<float>(sum[fi] / static_cast<double>(count));
    out.std[fi] = sd < 1e-12 ? 1.0F : static_cast<float>(sd);
  }
  return out;
}

namespace {

std::string format_error(const std::filesystem::path& file, std::size_t line, std::size_t column,
                         const std::string& message) {
  // Built by append: g++ 12 warns (-Wrestrict, a false positive) on chains of string operator+.
  std::string where = file.string();
  if (line > 0) where.append(":").append(std::to_string(line));
  if (column > 0) where.append(": column ").append(std::to_string(column));
  where.append(": ").append(message);
  return where;
}

}  // namespace

DataFormatError::DataFormatError(const std::filesystem::path& file, std::size_t line,
                                 std::size_t column, const std::string& message)
    : std::runtime_error(format_error(file, line, column, message)),
      file_(file),
      line_(line),
      column_(column) {}

namespace detail {

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataFormatError(file, 0, 0, "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

std::vector<int> header_columns(const std::vector<std::string_view>& header, std::initializer_list<std::string_view> wanted,
                                const std::filesystem::path& file, std::size_t line) {
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  std::string expected;
  for (std::string_view w : wanted) {
    const bool optional = !w.empty() && w.front() == '?';
    if (!expected.empty()) expected += ", ";
    const std::string_view first = w.substr(optional ? 1 : 0, w.find('|') == w.npos ? w.npos : w.find('|') - (optional ? 1 : 0));
    if (optional) expected += '[';
    expected += first;
    if (optional) expected += ']';
  }
  std::vector<int> columns;
  for (std::string_view w : wanted) {
    const bool optional = !w.empty() && w.front() == '?';
    if (optional) w.remove_prefix(1);
    int found = -1;
    for (std::size_t start = 0; found < 0 && start <= w.size();) {
      const std::size_t bar = std::min(w.find('|', start), w.size());
      const std::string_view alias = w.substr(start, bar - start);
      for (std::size_t i = 0; i < header.size() && found < 0; ++i)
        if (same(header[i], alias)) found = static_cast<int>(i);
      start = bar + 1;
    }
    if (found < 0 && !optional)
      throw DataFormatError(file, line, 0,
                            "the header has no '" + std::string(w.substr(0, w.find('|'))) + "' column; expected " + expected);
    columns.push_back(found);
  }
  return columns;
}

std::vector<std::string_view> split_csv_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // files saved on Windows
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    auto field = line.substr(start, comma == std::string_view::npos ? line.npos : comma - start);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
      field = field.substr(1, field.size() - 2);
    }
    fields.push_back(field);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

namespace {

std::string describe_field(std::string_view field) {
  if (field.empty()) return "an empty field";
  constexpr std::size_t kShown = 40;
  return "'" + std::string(field.substr(0, kShown)) + (field.size() > kShown ? "...'" : "'");
}

}  // namespace

double parse_double(std::string_view field, const std::filesystem::path& file, std::size_t line,
                    std::size_t column, std::string_view column_name) {
  double value = 0.0;
  const auto* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (field.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    throw DataFormatError(
        file, line, column,
        "(" + std::string(column_name) + ") expected a number, found " + describe_field(field));
  }
  return value;
}

std::int64_t parse_int64(std::string_view field, const std::filesystem::path& file,
                         std::size_t line, std::size_t column, std::string_view column_name) {
  std::int64_t value = 0;
  const auto* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (field.empty() || ec != std::errc() || ptr != end) {
    throw DataFormatError(
        file, line, column,
        "(" + std::string(column_name) + ") expected an integer, found " + describe_field(field));
  }
  return value;
}

std::size_t cut_windows(const LabelledSeries& series, int stride, SequenceDataset& out) {
  if (stride <= 0 || out.steps <= 0) {
    throw std::invalid_argument("cut_windows: steps and stride must be positive");
  }
  const auto steps = static_cast<std::size_t>(out.steps);
  const auto width = static_cast<std::size_t>(out.input_size);
  const std::size_t rows = series.rows();
  std::size_t added = 0;
  for (std::size_t start = 0; start + steps < rows; start += static_cast<std::size_t>(stride)) {
    const auto b = static_cast<std::ptrdiff_t>(start);
    const auto e = static_cast<std::ptrdiff_t>(start + steps);
    out.inputs.insert(out.inputs.end(),
                      series.inputs.begin() + b * static_cast<std::ptrdiff_t>(width),
                      series.inputs.begin() + e * static_cast<std::ptrdiff_t>(width));
    out.timespans.insert(out.timespans.end(), series.timespans.begin() + b,
                         series.timespans.begin() + e);
    out.labels.insert(out.labels.end(), series.labels.begin() + b, series.labels.begin() + e);
    out.mask.insert(out.mask.end(), steps, 1);
    ++added;
  }
  return added;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

DatasetSplits split_shuffled(const SequenceDataset& all, std::uint32_t seed, double validation_fraction,
                             double test_fraction, const std::string& name) {
  const int n = static_cast<int>(all.size());
  const auto order = NumpyRandomState(seed).permutation(n);
  // int(fraction * n) as in Python: truncation.
  const auto validation_size = static_cast<std::size_t>(validation_fraction * n);
  const auto test_size = static_cast<std::size_t>(test_fraction * n);
  DatasetSplits splits;
  splits.train = all.empty_like(name + "/train");
  splits.validation = all.empty_like(name + "/validation");
  splits.test = all.empty_like(name + "/test");
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto& to = k < validation_size               ? splits.validation
               : k < validation_size + test_size ? splits.test
                                                 : splits.train;
    to.append_window(all, static_cast<std::size_t>(order[k]));
  }
  return splits;
}

}  // namespace detail
void DatasetSplits::normalize(std::span<const int> features) {
  normalization = fit_normalization(train, features);
  normalization.apply(train);
  normalization.apply(validation);
  normalization.apply(test);
}

void DatasetSplits::check_shapes() const {
  train.check_shapes();
  validation.check_shapes();
  test.check_shapes();
}

}  // namespace liquid::lfm
