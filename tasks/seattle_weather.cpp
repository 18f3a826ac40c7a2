// Seattle daily weather to weather-type windows (see seattle_weather.h for the protocol and why).
#include "tasks/seattle_weather.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace liquid::tasks {

const std::vector<std::string>& seattle_weather_classes() {
  static const std::vector<std::string> classes{"drizzle", "fog", "rain", "snow", "sun"};
  return classes;
}

SeattleWeather load_seattle_weather(const std::filesystem::path& file) {
  const std::string text = lfm::detail::read_text_file(file);
  SeattleWeather w;
  w.source = file.string();
  const std::vector<std::string> expected{"date", "precipitation", "temp_max", "temp_min", "wind", "weather"};
  std::vector<int> col;
  std::size_t fields = 0;
  lfm::detail::for_each_line(text, [&](std::string_view line, std::size_t number) {
    const std::vector<std::string_view> f = lfm::detail::split_csv_line(line);
    if (col.empty()) {
      fields = f.size();
      col = lfm::detail::header_columns(f, {"date", "precipitation", "temp_max", "temp_min", "wind", "weather"}, file,
                                        number);
      return;
    }
    if (f.size() != fields)
      throw lfm::DataFormatError(file, number, 0,
                                 std::to_string(f.size()) + " fields; the header has " + std::to_string(fields));
    const std::string_view date = f[col[0]];
    const auto dcol = static_cast<std::size_t>(col[0]) + 1;
    auto bad_date = [&]() {
      return lfm::DataFormatError(file, number, dcol, "date '" + std::string(date) + "' is not YYYY-MM-DD");
    };
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') throw bad_date();
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
      if (!std::isdigit(static_cast<unsigned char>(date[i]))) throw bad_date();
    const int y = std::stoi(std::string(date.substr(0, 4))), m = std::stoi(std::string(date.substr(5, 2))),
              d = std::stoi(std::string(date.substr(8, 2)));
    if (m < 1 || m > 12 || d < 1 || d > 31) throw bad_date();
    const std::int64_t day = lfm::detail::days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
    if (!w.days.empty() && day <= w.days.back())
      throw lfm::DataFormatError(file, number, dcol,
                                 "date " + std::string(date) + " does not come after the previous row's " +
                                     w.dates.back() + "; expected rows oldest first, one a day");
    auto number_at = [&](std::size_t k) {
      const double v = lfm::detail::parse_double(f[col[k]], file, number, col[k] + 1, expected[k]);
      if (!std::isfinite(v))
        throw lfm::DataFormatError(file, number, col[k] + 1, "'" + expected[k] + "' is not a finite number");
      return v;
    };
    const std::string_view type = f[col[5]];
    const auto& classes = seattle_weather_classes();
    const auto it = std::find(classes.begin(), classes.end(), type);
    if (it == classes.end())
      throw lfm::DataFormatError(file, number, col[5] + 1,
                                 "weather '" + std::string(type) + "' is not one of drizzle, fog, rain, snow, sun");
    w.dates.emplace_back(date);
    w.days.push_back(day);
    w.years.push_back(y);
    w.day_of_year.push_back(static_cast<int>(day - lfm::detail::days_from_civil(y, 1, 1)));
    w.precipitation.push_back(number_at(1));
    w.temp_max.push_back(number_at(2));
    w.temp_min.push_back(number_at(3));
    w.wind.push_back(number_at(4));
    w.type.push_back(static_cast<int>(it - classes.begin()));
  });
  if (col.empty()) throw lfm::DataFormatError(file, 0, 0, "empty file; expected a header and daily rows");
  if (w.rows() < 2) throw lfm::DataFormatError(file, 0, 0, "fewer than 2 daily rows");
  return w;
}

lfm::DatasetSplits seattle_splits(const SeattleWeather& w, const SeattleOptions& options,
                                  std::vector<std::size_t>* test_rows) {
  if (options.window < 1) throw std::invalid_argument("seattle_splits: window must be >= 1");
  const auto window = static_cast<std::size_t>(options.window);
  const auto& classes = seattle_weather_classes();
  lfm::SequenceDataset proto;
  proto.steps = options.window;
  proto.input_size = kSeattleInputs;
  proto.num_classes = static_cast<int>(classes.size());
  proto.class_names = classes;
  proto.input_names = {"precipitation", "temp_max", "temp_min", "wind", "season_sin", "season_cos"};
  for (const std::string& c : classes) proto.input_names.push_back("yesterday_" + c);
  lfm::DatasetSplits out;
  out.train = proto.empty_like("seattle_weather/train");
  out.validation = proto.empty_like("seattle_weather/validation");
  out.test = proto.empty_like("seattle_weather/test");
  if (test_rows) test_rows->clear();
  // Row t - window + 1 needs a yesterday: the first labelled row is `window`.
  for (std::size_t t = window; t < w.rows(); ++t) {
    const int year = w.years[t];
    lfm::SequenceDataset& d = year <= options.train_last_year        ? out.train
                              : year <= options.validation_last_year ? out.validation
                                                                     : out.test;
    for (std::size_t s = t + 1 - window; s <= t; ++s) {
      const double phase = 2.0 * std::numbers::pi * w.day_of_year[s] / 365.25;
      for (double v : {w.precipitation[s], w.temp_max[s], w.temp_min[s], w.wind[s], std::sin(phase), std::cos(phase)})
        d.inputs.push_back(static_cast<float>(v));
      for (std::size_t c = 0; c < classes.size(); ++c)
        d.inputs.push_back(w.type[s - 1] == static_cast<int>(c) ? 1.0F : 0.0F);
      d.timespans.push_back(static_cast<float>(w.days[s] - w.days[s - 1]));
      const bool last = s == t;
      d.labels.push_back(last ? w.type[t] : -1);
      d.mask.push_back(last ? 1 : 0);
    }
    if (test_rows && &d == &out.test) test_rows->push_back(t);
  }
  if (out.train.size() == 0)
    throw std::invalid_argument(w.source + ": no labelled day up to " + std::to_string(options.train_last_year) +
                                " for training");
  if (options.normalize) {
    const int measured[] = {0, 1, 2, 3};
    out.normalize(measured);
  }
  out.check_shapes();
  return out;
}

lfm::TrainTask register_seattle_weather_task() {
  lfm::TaskLoader loader;
  loader.name = "seattle_weather";
  loader.shape = {kSeattleInputs, static_cast<int>(seattle_weather_classes().size()), 0};
  loader.load = [](const std::filesystem::path& data, bool normalize) {
    SeattleOptions o;
    o.normalize = normalize;
    return seattle_splits(load_seattle_weather(data), o);
  };
  return lfm::register_task(std::move(loader));
}

}  // namespace liquid::tasks
