#include "lfm/datasets/occupancy.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "lfm/numpy_random.h"

namespace liquid::lfm {

namespace {

constexpr std::array<std::string_view, 5> kFeatureColumns = {"Temperature", "Humidity", "Light",
                                                             "CO2", "HumidityRatio"};


// "YYYY-MM-DD HH:MM:SS" to seconds.
std::int64_t parse_date_seconds(std::string_view field, const std::filesystem::path& file,
                                std::size_t line, std::size_t column) {
  auto bad = [&]() {
    return DataFormatError(
        file, line, column,
        "(date) expected YYYY-MM-DD HH:MM:SS, found '" + std::string(field) + "'");
  };
  if (field.size() != 19 || field[4] != '-' || field[7] != '-' || field[10] != ' ' ||
      field[13] != ':' || field[16] != ':') {
    throw bad();
  }
  auto number = [&](std::size_t at, std::size_t width) {
    std::int64_t v = 0;
    for (std::size_t i = at; i < at + width; ++i) {
      if (field[i] < '0' || field[i] > '9') throw bad();
      v = v * 10 + (field[i] - '0');
    }
    return v;
  };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw bad();
  }
  return detail::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second;
}

detail::LabelledSeries read_occupancy_file(const std::filesystem::path& file) {
  const std::string text = detail::read_text_file(file);
  detail::LabelledSeries series;
  std::vector<std::string_view> header;
  std::size_t date_col = 0, label_col = 0;
  std::array<std::size_t, kFeatureColumns.size()> feature_col{};
  std::int64_t previous_time = 0;
  detail::for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    auto fields = detail::split_csv_line(line);
    if (header.empty()) {
      // Columns by header name, so a reordered export still loads; the UCI rows carry an extra,
      // unnamed row id before the first named column, hence the +1 below.
      header = fields;
      auto find = [&](std::string_view name) {
        for (std::size_t i = 0; i < header.size(); ++i) {
          if (header[i] == name) return i + 1;
        }
        throw DataFormatError(file, line_number, 0,
                              "header has no column \"" + std::string(name) + "\"");
      };
      date_col = find("date");
      label_col = find("Occupancy");
      for (std::size_t f = 0; f < kFeatureColumns.size(); ++f)
        feature_col[f] = find(kFeatureColumns[f]);
      return;
    }
    if (fields.size() != header.size() + 1) {
      throw DataFormatError(file, line_number, std::min(fields.size(), header.size() + 1),
                            "expected " + std::to_string(header.size() + 1) +
                                " fields (row id and " + std::to_string(header.size()) +
                                " named columns), found " + std::to_string(fields.size()));
    }
    // 1-based column numbers in messages are field positions in the row.
    const auto time = parse_date_seconds(fields[date_col], file, line_number, date_col + 1);
    if (series.rows() > 0 && time <= previous_time) {
      throw DataFormatError(file, line_number, date_col + 1,
                            "(date) time " + std::string(fields[date_col]) +
                                " does not advance past the previous row's");
    }
    series.timespans.push_back(
        series.rows() == 0 ? 1.0F
                           : static_cast<float>(static_cast<double>(time - previous_time) / 60.0));
    previous_time = time;
    for (std::size_t f = 0; f < kFeatureColumns.size(); ++f) {
      series.inputs.push_back(static_cast<float>(detail::parse_double(
          fields[feature_col[f]], file, line_number, feature_col[f] + 1, kFeatureColumns[f])));
    }
    const auto label =
        detail::parse_int64(fields[label_col], file, line_number, label_col + 1, "Occupancy");
    if (label != 0 && label != 1) {
      throw DataFormatError(file, line_number, label_col + 1,
                            "(Occupancy) expected 0 or 1, found " + std::to_string(label));
    }
    series.labels.push_back(static_cast<int>(label));
  });
  if (header.empty()) throw DataFormatError(file, 0, 0, "the file is empty");
  return series;
}

SequenceDataset empty_occupancy(std::string name, int steps) {
  SequenceDataset d;
  d.name = std::move(name);
  d.steps = steps;
  d.input_size = static_cast<int>(kFeatureColumns.size());
  d.num_classes = 2;
  d.input_names = {"temperature", "humidity", "light", "co2", "humidity_ratio"};
  d.class_names = {"empty", "occupied"};
  return d;
}

}  // namespace

DatasetSplits load_occupancy(const std::filesystem::path& dir, const OccupancyOptions& options) {
  if (options.steps <= 0 || options.train_stride <= 0 || options.test_stride <= 0 ||
      options.validation_fraction < 0.0 || options.validation_fraction >= 1.0) {
    throw std::invalid_argument(
        "load_occupancy: steps and strides must be positive and the "
        "validation fraction in [0, 1)");
  }
  const auto train_path = dir / options.train_file;
  const auto test_path = dir / options.test_file;

  SequenceDataset all_train = empty_occupancy("occupancy/train", options.steps);
  const auto train_series = read_occupancy_file(train_path);
  if (detail::cut_windows(train_series, options.train_stride, all_train) == 0) {
    throw DataFormatError(train_path, 0, 0,
                          "has " + std::to_string(train_series.rows()) +
                              " rows, too few for one window of " + std::to_string(options.steps));
  }
  DatasetSplits splits;
  splits.test = empty_occupancy("occupancy/test", options.steps);
  const auto test_series = read_occupancy_file(test_path);
  if (detail::cut_windows(test_series, options.test_stride, splits.test) == 0) {
    throw DataFormatError(test_path, 0, 0,
                          "has " + std::to_string(test_series.rows()) +
                              " rows, too few for one window of " + std::to_string(options.steps));
  }

  const int n = static_cast<int>(all_train.size());
  const auto order = NumpyRandomState(options.seed).permutation(n);
  // int(0.1 * n) as in Python: truncation.
  const auto validation_size = static_cast<std::size_t>(options.validation_fraction * n);
  splits.validation = all_train.empty_like("occupancy/validation");
  splits.train = all_train.empty_like("occupancy/train");
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto& to = k < validation_size ? splits.validation : splits.train;
    to.append_window(all_train, static_cast<std::size_t>(order[k]));
  }

  if (options.normalize) {
    const std::array<int, 5> features = {0, 1, 2, 3, 4};
    splits.normalize(features);
  }
  splits.check_shapes();
  return splits;
}

}  // namespace liquid::lfm
