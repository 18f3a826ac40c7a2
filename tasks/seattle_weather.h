// Seattle daily weather (NOAA, 2012-2015, vega-datasets' seattle-weather.csv) as a classification
// task: the weather type of day t (drizzle, fog, rain, snow, sun) from the measurements of the days
// up to t and the types of the days before t. Registered with the trainer as "seattle_weather".
//
// The protocol and its choices:
//  - Inputs per day: precipitation (mm), temp_max and temp_min (deg C), wind (m/s), the season as
//    sin and cos of the day of the year, and yesterday's type one-hot (5): what a forecaster knows on
//    the evening of day t. Elapsed time per step: days since the previous row (1; a gap in the file
//    would be longer).
//  - One window per day t: the `window` days ending at t, the label on the last step only.
//  - Chronological split by the labelled day's year: 2012-2013 train, 2014 validation, 2015 test.
//  - The four measurements are normalised with the training windows' statistics; the season and
//    one-hot inputs are left as they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lfm/dataset.h"
#include "lfm/trainer.h"

namespace liquid::tasks {

// The classes, in label order.
const std::vector<std::string>& seattle_weather_classes();

struct SeattleWeather {
  std::string source;
  std::vector<std::string> dates;
  std::vector<std::int64_t> days;  // since 1970-01-01
  std::vector<int> years, day_of_year;  // day_of_year 0-based
  std::vector<double> precipitation, temp_max, temp_min, wind;
  std::vector<int> type;  // index into seattle_weather_classes()
  std::size_t rows() const { return dates.size(); }
};

// Reads the CSV (header date, precipitation, temp_max, temp_min, wind, weather). Throws
// lfm::DataFormatError naming the file, line and column for a missing column, a field that is not
// a number, a date that is not YYYY-MM-DD or not after the previous row's, or an unknown type.
SeattleWeather load_seattle_weather(const std::filesystem::path& file);

struct SeattleOptions {
  int window = 14;
  int train_last_year = 2013;       // labelled days up to this year train
  int validation_last_year = 2014;  // then up to this year validate; later years test
  bool normalize = true;
};

inline constexpr int kSeattleInputs = 11;

// The splits; `test_rows` (if given) gets each test window's labelled row.
lfm::DatasetSplits seattle_splits(const SeattleWeather& data, const SeattleOptions& options = {},
                                  std::vector<std::size_t>* test_rows = nullptr);

lfm::TrainTask register_seattle_weather_task();

}  // namespace liquid::tasks
