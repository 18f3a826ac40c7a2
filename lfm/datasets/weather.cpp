#include "lfm/datasets/weather.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string_view>

namespace liquid::lfm {

namespace {

constexpr const char* kDefaultFile = "PRSA_data_2010.1.1-2014.12.31.csv";
// The z-scored inputs: pm2.5 and the weather numbers, in input order.
constexpr std::array<std::string_view, 7> kNumberColumns = {"pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"};
constexpr std::array<std::string_view, 4> kWinds = {"NE", "NW", "SE", "cv"};

struct Rows {
  std::vector<std::array<double, 7>> numbers;  // per row; pm2.5 NaN when missing
  std::vector<int> wind;                       // index into kWinds
  std::vector<double> hour_of_day, day_of_year, hours;  // hours: since 1970-01-01
  size_t size() const { return wind.size(); }
};

Rows read_rows(const std::filesystem::path& file) {
  const std::string text = detail::read_text_file(file);
  Rows rows;
  std::vector<std::string_view> header;
  std::array<size_t, 4> date_col{};  // year, month, day, hour
  std::array<size_t, 7> number_col{};
  size_t wind_col = 0;
  detail::for_each_line(text, [&](std::string_view line, size_t line_number) {
    const auto fields = detail::split_csv_line(line);
    if (header.empty()) {
      header = fields;
      const std::vector<int> c = detail::header_columns(
          header, {"year", "month", "day", "hour", kNumberColumns[0], kNumberColumns[1], kNumberColumns[2],
                   kNumberColumns[3], kNumberColumns[4], kNumberColumns[5], kNumberColumns[6], "cbwd"},
          file, line_number);
      for (size_t k = 0; k < 4; ++k) date_col[k] = size_t(c[k]);
      for (size_t k = 0; k < kNumberColumns.size(); ++k) number_col[k] = size_t(c[4 + k]);
      wind_col = size_t(c[11]);
      return;
    }
    if (fields.size() != header.size())
      throw DataFormatError(file, line_number, 0,
                            "expected " + std::to_string(header.size()) + " fields, found " + std::to_string(fields.size()));
    auto field = [&](size_t col) { return fields[col]; };
    std::array<std::int64_t, 4> date{};
    const std::array<std::string_view, 4> date_names = {"year", "month", "day", "hour"};
    for (size_t k = 0; k < 4; ++k) date[k] = detail::parse_int64(field(date_col[k]), file, line_number, date_col[k] + 1, date_names[k]);
    if (date[1] < 1 || date[1] > 12 || date[2] < 1 || date[2] > 31 || date[3] < 0 || date[3] > 23)
      throw DataFormatError(file, line_number, date_col[0] + 1, "(year, month, day, hour) is not a valid date and hour");
    const std::int64_t days = detail::days_from_civil(date[0], unsigned(date[1]), unsigned(date[2]));
    const double hours = double(days) * 24 + double(date[3]);
    if (!rows.hours.empty() && hours <= rows.hours.back())
      throw DataFormatError(file, line_number, date_col[0] + 1, "time does not move forward from the previous row");
    std::array<double, 7> numbers{};
    for (size_t k = 0; k < numbers.size(); ++k) {
      const std::string_view f = field(number_col[k]);
      numbers[k] = k == 0 && (f == "NA" || f.empty())
                       ? std::nan("")
                       : detail::parse_double(f, file, line_number, number_col[k] + 1, kNumberColumns[k]);
    }
    int wind = -1;
    for (size_t k = 0; k < kWinds.size(); ++k)
      if (field(wind_col) == kWinds[k]) wind = int(k);
    if (wind < 0)
      throw DataFormatError(file, line_number, wind_col + 1,
                            "(cbwd) expected NE, NW, SE or cv, found '" + std::string(field(wind_col)) + "'");
    rows.numbers.push_back(numbers);
    rows.wind.push_back(wind);
    rows.hours.push_back(hours);
    rows.hour_of_day.push_back(double(date[3]));
    rows.day_of_year.push_back(double(days - detail::days_from_civil(date[0], 1, 1)));
  });
  if (header.empty()) throw DataFormatError(file, 0, 0, "the file is empty");
  return rows;
}

}  // namespace

void check_weather_options(const WeatherOptions& o) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("weather: " + what); };
  if (o.context < 1 || o.context > kWeatherMaxContext)
    fail("context must be 1 .. " + std::to_string(kWeatherMaxContext) + " hours, got " + std::to_string(o.context));
  if (o.horizon < 1) fail("horizon must be >= 1, got " + std::to_string(o.horizon));
  if (o.stride < 1) fail("stride must be >= 1, got " + std::to_string(o.stride));
  if (o.scored_steps < 1 || o.scored_steps > o.context)
    fail("scored_steps must be 1 .. context (" + std::to_string(o.context) + "), got " + std::to_string(o.scored_steps));
  if (!(o.validation_fraction >= 0) || !(o.test_fraction > 0) || o.validation_fraction + o.test_fraction >= 1)
    fail("validation_fraction >= 0 and test_fraction > 0 must sum to less than 1");
}

DatasetSplits load_weather(const std::filesystem::path& path, const WeatherOptions& o, WeatherScale* scale_out,
                           WeatherStepHours* step_hours) {
  check_weather_options(o);
  const std::filesystem::path file = std::filesystem::is_directory(path) ? path / kDefaultFile : path;
  const Rows rows = read_rows(file);
  const size_t n = rows.size();
  // The periods are cut at these rows of the file, whichever rows become steps.
  const size_t train_end = size_t(double(n) * (1 - o.validation_fraction - o.test_fraction));
  const size_t val_end = size_t(double(n) * (1 - o.test_fraction));

  // Training-period statistics of the z-scored inputs (pm2.5: measured rows only).
  std::array<double, 7> mean{}, std_dev{};
  for (size_t k = 0; k < 7; ++k) {
    double sum = 0, sq = 0, count = 0;
    for (size_t r = 0; r < train_end; ++r)
      if (!std::isnan(rows.numbers[r][k])) sum += rows.numbers[r][k], sq += rows.numbers[r][k] * rows.numbers[r][k], ++count;
    if (count == 0) throw DataFormatError(file, 0, 0, "the training period has no value of " + std::string(kNumberColumns[k]));
    mean[k] = sum / count;
    const double var = std::max(0.0, sq / count - mean[k] * mean[k]);
    std_dev[k] = std::sqrt(var) < 1e-12 ? 1.0 : std::sqrt(var);
  }
  WeatherScale scale{float(mean[0]), float(std_dev[0]), {}};
  std::array<double, 24> hour_sum{}, hour_count{};
  for (size_t r = 0; r < train_end; ++r)
    if (!std::isnan(rows.numbers[r][0])) {
      const size_t hour = size_t(rows.hour_of_day[r]);
      hour_sum[hour] += rows.numbers[r][0], hour_count[hour] += 1;
    }
  for (size_t h = 0; h < 24; ++h)
    scale.pm25_by_hour[h] = hour_count[h] > 0 ? float(hour_sum[h] / hour_count[h]) : scale.pm25_mean;
  if (scale_out) *scale_out = scale;

  // The steps: every row, or with drop_missing the rows whose PM2.5 was measured.
  std::vector<size_t> step_row;
  for (size_t r = 0; r < n; ++r)
    if (!o.drop_missing || !std::isnan(rows.numbers[r][0])) step_row.push_back(r);
  const size_t m = step_row.size();
  const size_t H = size_t(o.horizon), T = size_t(o.context);

  // PM2.5 z-scored at a time (hours since 1970) from the full file: NaN where it was NA or no row
  // has that time. Targets are read by time so that dropping rows does not shift them.
  auto pm25_z_at = [&](double hour) {
    const auto it = std::lower_bound(rows.hours.begin(), rows.hours.end(), hour);
    if (it == rows.hours.end() || *it != hour) return std::nanf("");
    const double v = rows.numbers[size_t(it - rows.hours.begin())][0];
    return std::isnan(v) ? std::nanf("") : float((v - mean[0]) / std_dev[0]);
  };

  // Inputs per step, raw (normalised below through the Normalization, as every loader does).
  const std::vector<std::string> names = {"pm2.5",  "pm2.5_present", "DEWP",     "TEMP",     "PRES",     "Iws",
                                          "Is",     "Ir",            "wind_NE",  "wind_NW",  "wind_SE",  "wind_cv",
                                          "hour_sin", "hour_cos",    "year_sin", "year_cos"};
  std::vector<float> x(m * kWeatherInputs), target(m * H);  // target: z-scored pm2.5, NaN when missing
  std::vector<float> gap(m, 1.0f);
  for (size_t i = 0; i < m; ++i) {
    const size_t r = step_row[i];
    float* row = &x[i * kWeatherInputs];
    const bool present = !std::isnan(rows.numbers[r][0]);
    row[0] = float(present ? rows.numbers[r][0] : mean[0]);
    row[1] = present ? 1.0f : 0.0f;
    for (size_t k = 1; k < 7; ++k) row[k + 1] = float(rows.numbers[r][k]);
    row[8 + rows.wind[r]] = 1.0f;
    const double day = 2 * std::numbers::pi * rows.hour_of_day[r] / 24, year = 2 * std::numbers::pi * rows.day_of_year[r] / 365.25;
    row[12] = float(std::sin(day)), row[13] = float(std::cos(day));
    row[14] = float(std::sin(year)), row[15] = float(std::cos(year));
    for (size_t h = 1; h <= H; ++h) target[i * H + h - 1] = pm25_z_at(rows.hours[r] + double(h));
    if (i > 0) gap[i] = float(rows.hours[r] - rows.hours[step_row[i - 1]]);
  }

  SequenceDataset shape;
  shape.steps = o.context;
  shape.input_size = kWeatherInputs;
  shape.output_size = o.horizon;
  shape.input_names = names;
  DatasetSplits splits;
  splits.train = shape.empty_like("weather/train");
  splits.validation = shape.empty_like("weather/validation");
  splits.test = shape.empty_like("weather/test");
  // Each period in time: from its first row's hour to the next period's first row's (the test
  // period to one hour after the file's last row).
  auto cut_hour = [&](size_t r) { return r < n ? rows.hours[r] : rows.hours.back() + 1; };
  const double period_start[3] = {cut_hour(0), cut_hour(train_end), cut_hour(val_end)},
               period_end[3] = {cut_hour(train_end), cut_hour(val_end), cut_hour(n)};
  SequenceDataset* period_set[3] = {&splits.train, &splits.validation, &splits.test};
  std::vector<double>* period_hours[3] = {nullptr, nullptr, nullptr};
  if (step_hours) {
    *step_hours = {};
    period_hours[0] = &step_hours->train, period_hours[1] = &step_hours->validation, period_hours[2] = &step_hours->test;
  }
  for (size_t start = 0; start + T <= m; start += size_t(o.stride)) {
    const size_t first_scored = start + T - size_t(o.scored_steps);
    // Its scored targets run from the first scored step's next hour to the last step's + horizon.
    const double first_target = rows.hours[step_row[first_scored]] + 1,
                 last_target = rows.hours[step_row[start + T - 1]] + double(H);
    int split = -1;
    for (int s = 0; s < 3; ++s)
      if (first_target >= period_start[s] && last_target < period_end[s]) split = s;
    if (split < 0) continue;  // its targets straddle a cut or run past the file's end
    SequenceDataset& d = *period_set[split];
    d.inputs.insert(d.inputs.end(), x.begin() + std::ptrdiff_t(start * kWeatherInputs),
                    x.begin() + std::ptrdiff_t((start + T) * kWeatherInputs));
    d.timespans.insert(d.timespans.end(), gap.begin() + std::ptrdiff_t(start), gap.begin() + std::ptrdiff_t(start + T));
    for (size_t t = start; t < start + T; ++t) {
      bool counted = t >= first_scored;
      for (size_t h = 0; h < H; ++h) {
        const float v = target[t * H + h];
        counted = counted && !std::isnan(v);
        d.targets.push_back(std::isnan(v) ? 0.0f : v);
      }
      d.mask.push_back(counted ? 1 : 0);
      if (period_hours[split]) period_hours[split]->push_back(rows.hours[step_row[t]]);
    }
  }
  for (SequenceDataset* d : period_set) d->check_shapes();
  if (splits.train.size() == 0)
    throw std::invalid_argument("weather: " + file.string() + " has no training window of context " +
                                std::to_string(o.context) + " + horizon " + std::to_string(o.horizon) + " hours");

  if (o.normalize) {
    // The z-scored inputs get the training statistics; the rest the identity.
    Normalization& norm = splits.normalization;
    norm.names = names;
    norm.mean.assign(kWeatherInputs, 0.0f);
    norm.std.assign(kWeatherInputs, 1.0f);
    for (size_t k = 0; k < 7; ++k) {
      norm.mean[k == 0 ? 0 : k + 1] = float(mean[k]);
      norm.std[k == 0 ? 0 : k + 1] = float(std_dev[k]);
    }
    for (SequenceDataset* d : period_set) norm.apply(*d);
  }
  return splits;
}

WeatherBaselines weather_baselines(const SequenceDataset& data, const WeatherScale& scale) {
  if (data.input_size != kWeatherInputs || data.input_names.size() != size_t(kWeatherInputs) ||
      data.input_names[0] != "pm2.5" || data.input_names[12] != "hour_sin")
    throw std::invalid_argument("weather_baselines: " + data.name + " does not have the weather task's " +
                                std::to_string(kWeatherInputs) + " inputs");
  const size_t steps = size_t(data.steps), horizon = size_t(data.output_size);
  auto z = [&](double ugm3) { return float((ugm3 - scale.pm25_mean) / scale.pm25_std); };
  WeatherBaselines b;
  b.persistence.resize(data.targets.size());
  b.same_hour_yesterday.resize(data.targets.size());
  b.hour_of_day.resize(data.targets.size());
  std::vector<float> value(steps);
  std::vector<unsigned char> measured(steps);
  // Hours from the window's first step (its timespans summed: the step index on the hourly series,
  // not with drop_missing), so "24 hours before" is found by time.
  std::vector<double> at_hour(steps);
  for (size_t w = 0; w < data.size(); ++w) {
    float last = z(scale.pm25_mean);
    for (size_t s = 0; s < steps; ++s) {
      const float* x = data.inputs.data() + (w * steps + s) * size_t(kWeatherInputs);
      measured[s] = x[1] > 0.5f;
      value[s] = z(x[0]);
      if (measured[s]) last = value[s];
      at_hour[s] = s == 0 ? 0.0 : at_hour[s - 1] + double(data.timespans[w * steps + s]);
      // inputs 12, 13: sin and cos of 2 pi hour / 24.
      const double turns = std::atan2(double(x[12]), double(x[13])) / (2 * std::numbers::pi);
      const long hour = (std::lround(turns * 24) % 24 + 24) % 24;
      const size_t at = (w * steps + s) * horizon;
      for (size_t h = 1; h <= horizon; ++h) {
        // The step at hour t+h-24 if the window holds it up to t (h <= 24).
        const double wanted = at_hour[s] + double(h) - 24;
        const auto found = std::lower_bound(at_hour.begin(), at_hour.begin() + std::ptrdiff_t(s + 1), wanted);
        const size_t before = size_t(found - at_hour.begin());
        const bool day_before = before <= s && at_hour[before] == wanted && measured[before];
        b.persistence[at + h - 1] = last;
        b.same_hour_yesterday[at + h - 1] = day_before ? value[before] : last;
        b.hour_of_day[at + h - 1] = z(scale.pm25_by_hour[size_t(hour + long(h)) % 24]);
      }
    }
  }
  return b;
}

}  // namespace liquid::lfm
