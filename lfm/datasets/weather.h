// Beijing PM2.5 (Liang et al. 2015; UCI "Beijing PM2.5 Data", CC BY 4.0): hourly PM2.5 at the US
// embassy with the weather at Beijing Capital airport, 2010-01-01 00:00 .. 2014-12-31 23:00, 43,824
// rows. Columns: No, year, month, day, hour, pm2.5 (µg/m³, "NA" when missing: 2,067 rows), DEWP (°C),
// TEMP (°C), PRES (hPa), cbwd (combined wind direction: NE, NW, SE, cv), Iws (cumulated wind speed,
// m/s), Is and Ir (cumulated hours of snow and rain).
//
// A long-context forecasting task: from every hour of a window of `context` hours, forecast PM2.5
// for each of the next `horizon` hours (one output per future hour, every step). Our protocol (no
// paper protocol to follow):
//  * inputs (16): pm2.5, its mask (1 = measured), DEWP, TEMP, PRES, Iws, Is, Ir, cbwd one-hot (NE,
//    NW, SE, cv), sin and cos of the hour of day and of the day of the year. A missing PM2.5 reads as
//    the training mean (0 after normalisation) with mask 0: the model sees that it is missing.
//  * normalisation: pm2.5 and the six weather numbers z-scored with the mean and population std of
//    the training period's rows (measured PM2.5 only); the rest left as they are.
//  * targets: PM2.5 at hours t+1 .. t+horizon, found by time (an hour with no row counts as not
//    measured), z-scored with the same training statistics whatever `normalize` says (so a model's
//    error reads the same in `liquid eval`); MAE x pm25_std is µg/m³. A step counts only if it is
//    among the window's last `scored_steps` steps and every one of its future hours was measured.
//  * windows start every `stride` hours; with stride == scored_steps every hour is scored in one
//    window only. The splits are chronological: the rows are cut at 1 - validation - test and
//    1 - test of their count, and a window belongs to the period that holds all its scored targets
//    (its earliest scored step's next hour to its last target hour); windows whose targets straddle
//    a cut are dropped. Context may reach back into an earlier period: inputs only, as a forecaster
//    running in real time would see them.
//  * timespans: the real gap to the previous step in hours (1 for every row of this file; 1 for
//    the first step).
//  * drop_missing (irregular series): the steps are the rows with a measured PM2.5 only, so a run
//    of NA hours becomes one step whose timespan is the hours since the previous measured row (1
//    mostly, up to the longest NA run + 1); the cells integrate across the real gap instead of
//    reading masked hours. The 16 inputs stay (the mask input is then always 1) so models stay
//    comparable, and the hour-of-day and day-of-year inputs keep the row's real time. Targets stay
//    PM2.5 at the step's hour + 1 .. + horizon hours by time, read from the full hourly file, so an
//    NA target hour is masked and a step is scored only when all its future hours were measured,
//    as without the option. The periods are cut at the same times (the file's rows at the
//    fractions above), windows are `context` steps and start every `stride` steps, and a window
//    belongs to the period that holds all its scored targets by time. Statistics and the
//    baselines' hour means are the file's training period's either way, so the targets of both
//    variants have the same scale. Without the option the steps are the rows and everything above
//    reads in hours.
// Memory: a window holds context x (16 + horizon) floats; with context 32,768 use a stride of a
// week or more (5 years at stride 168 are about 60 windows, 300 MB).
// Malformed rows (a missing or extra field, text in a number column, an unknown wind direction, a
// time that does not move forward) are DataFormatError naming the file, line and column.
#pragma once

#include <array>
#include <filesystem>
#include <vector>

#include "lfm/dataset.h"

namespace liquid::lfm {

struct WeatherOptions {
  int context = 512;       // hours per window, 1 .. 32,768
  int horizon = 24;        // hours forecast from every step
  int stride = 24;         // hours between window starts
  int scored_steps = 24;   // last steps of each window that count (<= context)
  double validation_fraction = 0.15;
  double test_fraction = 0.15;
  bool normalize = true;
  bool drop_missing = false;  // steps: the rows with a measured PM2.5 only (irregular; see above)
};
inline constexpr int kWeatherInputs = 16;
inline constexpr int kWeatherMaxContext = 32768;

// Throws std::invalid_argument naming the option that is out of range.
void check_weather_options(const WeatherOptions& options);

// The statistics of PM2.5 over the training period's measured rows (the targets' scale), and its
// mean at each hour of day 0 .. 23 (µg/m³; the climatology baseline; an hour never measured in the
// training period gets pm25_mean).
struct WeatherScale {
  float pm25_mean = 0, pm25_std = 1;
  std::array<float, 24> pm25_by_hour{};
};

// The time of every step of each split, hours since 1970-01-01 00:00, laid out as its timespans
// (window x step): to match forecast origins between the regular and the drop_missing series.
struct WeatherStepHours {
  std::vector<double> train, validation, test;
};

// `file` is PRSA_data_2010.1.1-2014.12.31.csv (or its folder). `scale` (optional) receives the
// target statistics, `step_hours` (optional) the steps' times. Throws std::invalid_argument naming
// the option when options are out of range, DataFormatError for the file.
DatasetSplits load_weather(const std::filesystem::path& file, const WeatherOptions& options = {},
                           WeatherScale* scale = nullptr, WeatherStepHours* step_hours = nullptr);

// The baselines' forecasts for every step of `data`, a split of load_weather with normalize = false
// (input 0 PM2.5 in µg/m³, input 1 its mask), laid out as its targets (window x step x horizon) and
// in their units (z-scored with `scale`). Each reads only the window's inputs up to the step:
//  * persistence: every future hour is the last measured PM2.5 (the training mean before any);
//  * same_hour_yesterday: hour t+h is what was measured at t+h-24, else persistence (so at h = 24
//    it is persistence); the step 24 - h hours back is found by time (the window's timespans), so
//    this holds on the drop_missing series too;
//  * hour_of_day: the training period's mean at hour t+h's hour of day (scale.pm25_by_hour; the
//    hour read back from inputs 12 and 13, its sine and cosine).
// Throws std::invalid_argument if `data` does not have the weather task's inputs.
struct WeatherBaselines {
  std::vector<float> persistence, same_hour_yesterday, hour_of_day;
};
WeatherBaselines weather_baselines(const SequenceDataset& data, const WeatherScale& scale);

}  // namespace liquid::lfm
