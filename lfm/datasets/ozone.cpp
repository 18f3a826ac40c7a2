#include "lfm/datasets/ozone.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string_view>


namespace liquid::lfm {

namespace {

constexpr const char* kDefaultFile = "eighthr.data";
constexpr int kFeatures = 72;
constexpr std::size_t kFields = kFeatures + 2;  // date, 72 features, label


// "M/D/YYYY" (one or two digit month and day) to days.
std::int64_t parse_day(std::string_view field, const std::filesystem::path& file, std::size_t line) {
  auto bad = [&]() {
    return DataFormatError(file, line, 1,
                           "(date) expected M/D/YYYY, found '" + std::string(field) + "'");
  };
  int parts[3] = {0, 0, 0};
  std::size_t part = 0, digits = 0;
  for (const char c : field) {
    if (c == '/') {
      if (digits == 0 || ++part > 2) throw bad();
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 4) {
      parts[part] = parts[part] * 10 + (c - '0');
      ++digits;
    } else {
      throw bad();
    }
  }
  if (part != 2 || digits != 4 || parts[0] < 1 || parts[0] > 12 || parts[1] < 1 || parts[1] > 31) {
    throw bad();
  }
  return detail::days_from_civil(parts[2], static_cast<unsigned>(parts[0]), static_cast<unsigned>(parts[1]));
}

}  // namespace

DatasetSplits load_ozone(const std::filesystem::path& path, const OzoneOptions& options) {
  if (options.steps <= 0 || options.stride <= 0 || options.validation_fraction < 0.0 ||
      options.test_fraction < 0.0 || options.validation_fraction + options.test_fraction >= 1.0) {
    throw std::invalid_argument(
        "load_ozone: steps and stride must be positive and the validation and test fractions in "
        "[0, 1) with a sum below 1");
  }
  const auto file = std::filesystem::is_directory(path) ? path / kDefaultFile : path;
  const std::string text = detail::read_text_file(file);
  // Built by append: g++ 12 warns (-Wrestrict, a false positive) on string operator+ chains.
  std::vector<std::string> column_names(kFeatures + 1);
  for (int c = 1; c <= kFeatures; ++c) column_names[c].append("feature ").append(std::to_string(c));
  constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();
  detail::LabelledSeries series;
  std::int64_t previous_day = 0;
  detail::for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    const auto fields = detail::split_csv_line(line);
    if (fields.size() != kFields) {
      throw DataFormatError(file, line_number, std::min(fields.size(), kFields) + 1,
                            "expected " + std::to_string(kFields) +
                                " fields (date, 72 features, label), found " +
                                std::to_string(fields.size()));
    }
    const std::int64_t day = parse_day(fields[0], file, line_number);
    if (series.rows() > 0 && day <= previous_day) {
      throw DataFormatError(file, line_number, 1,
                            "(date) " + std::string(fields[0]) +
                                " does not advance past the previous row's date");
    }
    series.timespans.push_back(options.real_time && series.rows() > 0
                                   ? static_cast<float>(day - previous_day)
                                   : 1.0F);
    previous_day = day;
    for (std::size_t c = 1; c <= kFeatures; ++c) {
      series.inputs.push_back(fields[c] == "?" ? kMissing
                                               : static_cast<float>(detail::parse_double(
                                                     fields[c], file, line_number, c + 1, column_names[c])));
    }
    const double label = detail::parse_double(fields[kFields - 1], file, line_number, kFields, "label");
    if (label != 0.0 && label != 1.0) {
      throw DataFormatError(file, line_number, kFields,
                            "(label) expected 0 or 1, found " + std::string(fields[kFields - 1]));
    }
    series.labels.push_back(static_cast<int>(label));
  });
  if (series.rows() <= static_cast<std::size_t>(options.steps)) {
    throw DataFormatError(file, 0, 0,
                          "has " + std::to_string(series.rows()) + " rows, too few for one window of " +
                              std::to_string(options.steps));
  }

  SequenceDataset all;
  all.name = "ozone/all";
  all.steps = options.steps;
  all.input_size = kFeatures;
  all.num_classes = 2;
  for (int c = 1; c <= kFeatures; ++c) all.input_names.push_back(std::string("f").append(std::to_string(c)));
  all.class_names = {"normal", "ozone"};
  detail::cut_windows(series, options.stride, all);

  DatasetSplits splits =
      detail::split_shuffled(all, options.seed, options.validation_fraction, options.test_fraction, "ozone");

  // Mean imputation with the training split's present values (a row counts once per window it is
  // in, as fit_normalization counts it).
  std::vector<double> sum(kFeatures, 0.0);
  std::vector<std::size_t> count(kFeatures, 0);
  for (std::size_t i = 0; i < splits.train.inputs.size(); ++i) {
    const float v = splits.train.inputs[i];
    if (std::isnan(v)) continue;
    sum[i % kFeatures] += v;
    ++count[i % kFeatures];
  }
  for (SequenceDataset* split : {&splits.train, &splits.validation, &splits.test}) {
    for (std::size_t i = 0; i < split->inputs.size(); ++i) {
      const std::size_t f = i % kFeatures;
      if (std::isnan(split->inputs[i]))
        split->inputs[i] = count[f] ? static_cast<float>(sum[f] / static_cast<double>(count[f])) : 0.0F;
    }
  }
  if (options.normalize) {
    std::vector<int> features(kFeatures);
    std::iota(features.begin(), features.end(), 0);
    splits.normalize(features);
  }
  splits.check_shapes();
  return splits;
}

}  // namespace liquid::lfm
