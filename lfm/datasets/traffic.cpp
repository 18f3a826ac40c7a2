#include "lfm/datasets/traffic.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string_view>


namespace liquid::lfm {

namespace {

constexpr const char* kDefaultFile = "Metro_Interstate_Traffic_Volume.csv";
constexpr std::array<std::string_view, 5> kNumberColumns = {"temp", "rain_1h", "snow_1h",
                                                            "clouds_all", "traffic_volume"};


struct DateTime {
  std::int64_t days = 0;  // since 1970-01-01
  int hour = 0, minute = 0, second = 0;
  std::int64_t seconds() const { return days * 86400 + hour * 3600 + minute * 60 + second; }
  int weekday() const { return static_cast<int>(((days + 3) % 7 + 7) % 7); }  // Monday 0
};

DateTime parse_date_time(std::string_view field, const std::filesystem::path& file,
                         std::size_t line, std::size_t column) {
  auto bad = [&]() {
    return DataFormatError(
        file, line, column,
        "(date_time) expected YYYY-MM-DD HH:MM:SS, found '" + std::string(field) + "'");
  };
  if (field.size() != 19 || field[4] != '-' || field[7] != '-' || field[10] != ' ' ||
      field[13] != ':' || field[16] != ':') {
    throw bad();
  }
  auto number = [&](std::size_t at, std::size_t width) {
    int v = 0;
    for (std::size_t i = at; i < at + width; ++i) {
      if (field[i] < '0' || field[i] > '9') throw bad();
      v = v * 10 + (field[i] - '0');
    }
    return v;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  DateTime t;
  t.hour = number(11, 2), t.minute = number(14, 2), t.second = number(17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || t.hour > 23 || t.minute > 59 ||
      t.second > 60) {
    throw bad();
  }
  t.days = detail::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return t;
}

struct TrafficRows {
  std::vector<float> inputs;     // (rows, 7)
  std::vector<float> timespans;  // (rows)
  std::vector<double> volume;    // (rows), raw
};

TrafficRows read_traffic_file(const std::filesystem::path& file, bool real_time) {
  const std::string text = detail::read_text_file(file);
  TrafficRows rows;
  std::vector<std::string_view> header;
  std::size_t holiday_col = 0, date_col = 0;
  std::array<std::size_t, kNumberColumns.size()> number_col{};
  std::int64_t previous_time = 0;
  detail::for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    const auto fields = detail::split_csv_line(line);
    if (header.empty()) {
      header = fields;
      auto find = [&](std::string_view name) {
        for (std::size_t i = 0; i < header.size(); ++i) {
          if (header[i] == name) return i;
        }
        throw DataFormatError(file, line_number, 0,
                              "header has no column \"" + std::string(name) + "\"");
      };
      holiday_col = find("holiday");
      date_col = find("date_time");
      for (std::size_t c = 0; c < kNumberColumns.size(); ++c) number_col[c] = find(kNumberColumns[c]);
      return;
    }
    if (fields.size() != header.size()) {
      throw DataFormatError(file, line_number, std::min(fields.size(), header.size()) + 1,
                            "expected " + std::to_string(header.size()) + " fields, found " +
                                std::to_string(fields.size()));
    }
    // Messages count columns from 1.
    const DateTime when = parse_date_time(fields[date_col], file, line_number, date_col + 1);
    const std::int64_t time = when.seconds();
    const bool first = rows.timespans.empty();
    if (!first && time < previous_time) {
      throw DataFormatError(file, line_number, date_col + 1,
                            "(date_time) time " + std::string(fields[date_col]) +
                                " goes back before the previous row's");
    }
    rows.timespans.push_back(real_time && !first
                                 ? static_cast<float>(static_cast<double>(time - previous_time) / 3600.0)
                                 : 1.0F);
    previous_time = time;
    std::array<double, kNumberColumns.size()> value{};
    for (std::size_t c = 0; c < kNumberColumns.size(); ++c) {
      value[c] = detail::parse_double(fields[number_col[c]], file, line_number, number_col[c] + 1,
                                      kNumberColumns[c]);
    }
    const float holiday = fields[holiday_col] == "None" ? 0.0F : 1.0F;
    const float noon = static_cast<float>(std::sin(when.hour * std::numbers::pi / 24.0));
    const std::array<float, 7> features = {holiday,
                                           static_cast<float>(value[0]),
                                           static_cast<float>(value[1]),
                                           static_cast<float>(value[2]),
                                           static_cast<float>(value[3]),
                                           static_cast<float>(when.weekday()),
                                           noon};
    rows.inputs.insert(rows.inputs.end(), features.begin(), features.end());
    rows.volume.push_back(value[4]);
  });
  if (header.empty()) throw DataFormatError(file, 0, 0, "the file is empty");
  return rows;
}

}  // namespace

DatasetSplits load_traffic(const std::filesystem::path& path, const TrafficOptions& options) {
  if (options.steps <= 0 || options.stride <= 0 || options.validation_fraction < 0.0 ||
      options.test_fraction < 0.0 || options.validation_fraction + options.test_fraction >= 1.0) {
    throw std::invalid_argument(
        "load_traffic: steps and stride must be positive and the validation and test fractions "
        "in [0, 1) with a sum below 1");
  }
  const auto file = std::filesystem::is_directory(path) ? path / kDefaultFile : path;
  const TrafficRows rows = read_traffic_file(file, options.real_time);
  const std::size_t n_rows = rows.timespans.size();
  const auto steps = static_cast<std::size_t>(options.steps);
  if (n_rows <= steps) {
    throw DataFormatError(file, 0, 0,
                          "has " + std::to_string(n_rows) + " rows, too few for one window of " +
                              std::to_string(options.steps));
  }

  // The target's z-score over every row, in double as numpy accumulates (pairwise, but the
  // difference is far below float precision).
  double sum = 0.0;
  for (double v : rows.volume) sum += v;
  const double mean = sum / static_cast<double>(n_rows);
  double sum_sq = 0.0;
  for (double v : rows.volume) sum_sq += (v - mean) * (v - mean);
  const double sd = std::sqrt(sum_sq / static_cast<double>(n_rows));
  std::vector<float> target(n_rows);
  for (std::size_t r = 0; r < n_rows; ++r) {
    target[r] = static_cast<float>((rows.volume[r] - mean) / (sd > 1e-12 ? sd : 1.0));
  }

  SequenceDataset all;
  all.name = "traffic/all";
  all.steps = options.steps;
  all.input_size = 7;
  all.output_size = 1;
  all.input_names = {"holiday", "temp", "rain_1h", "snow_1h", "clouds_all", "weekday", "noon"};
  constexpr std::size_t kWidth = 7;
  for (std::size_t start = 0; start + steps < n_rows; start += static_cast<std::size_t>(options.stride)) {
    const auto b = static_cast<std::ptrdiff_t>(start), e = static_cast<std::ptrdiff_t>(start + steps);
    const auto w = static_cast<std::ptrdiff_t>(kWidth);
    all.inputs.insert(all.inputs.end(), rows.inputs.begin() + b * w, rows.inputs.begin() + e * w);
    all.timespans.insert(all.timespans.end(), rows.timespans.begin() + b, rows.timespans.begin() + e);
    all.targets.insert(all.targets.end(), target.begin() + b, target.begin() + e);
    all.mask.insert(all.mask.end(), steps, 1);
  }

  DatasetSplits splits =
      detail::split_shuffled(all, options.seed, options.validation_fraction, options.test_fraction, "traffic");
  if (options.normalize) {
    const std::array<int, 5> features = {1, 2, 3, 4, 5};
    splits.normalize(features);
  }
  splits.check_shapes();
  return splits;
}

}  // namespace liquid::lfm
