// UCI Metro Interstate Traffic Volume (Hogue 2019, CC BY 4.0): hourly westbound traffic volume on
// I-94 (Minneapolis - St Paul), 2012-10-02 .. 2018-09-30, 48,204 rows with holiday and weather.
// Columns: holiday, temp (K), rain_1h (mm), snow_1h (mm), clouds_all (%), weather_main,
// weather_description, date_time ("YYYY-MM-DD HH:MM:SS"), traffic_volume. A regression task: the
// volume at every step.
//
// Protocol, as the LTC paper's experiments_with_ltcs/traffic.py (Hasani et al., AAAI 2021,
// raminmh/liquid_time_constant_networks), whose test mean squared error the paper reports (LTC 0.099):
//  * inputs, in the script's order: holiday, temp, rain_1h, snow_1h, clouds_all, weekday (Monday 0 ..
//    Sunday 6, Python's datetime.weekday()), sin(pi * hour / 24) ("noon"). weather_main and
//    weather_description are not used.
//  * target: traffic_volume z-scored with the mean and population std of all rows of the file, as the
//    script does (np.mean / np.std over the whole column before windowing). That scale is what makes
//    the reported squared error comparable: 0.099 is in units of the volume's variance.
//  * rows cut into windows of 32 consecutive rows with stride 4, starts over range(0, rows - 32, 4)
//    (the last full window is not used, as in the script); one target per step, every step counts.
//  * split over all windows with numpy's RandomState(23489).permutation: the first int(0.1 n) are
//    validation, the next int(0.15 n) test, the rest training, each in permutation order.
//  * model selection: the script keeps the epoch of lowest validation MSE (the trainer's default).
//  * caveat of that protocol: windows overlap (each row is in up to 8) and are split at random, so
//    nearly every test hour also occurs in training windows; the test error is an in-sample figure.
// Deviations, each small and stated:
//  * holiday: the script computes (df["holiday"] == None), which is False on every row (the file
//    says "None" as text), so its holiday input is constant 0. Here it is 1 on rows whose holiday
//    field is not "None" (the first hour of each of the 61 holidays), which is what was meant.
//  * input scaling: the script only subtracted the mean of temp and fed the rest raw (rain_1h has
//    one row of 9831 mm). Here temp, rain_1h, snow_1h, clouds_all and weekday are z-scored with the
//    training split's mean and population std; holiday (0/1) and noon (in [0, 1]) are left as they are.
//  * timespans: the script's networks see no time, i.e. 1.0 per row, the default here. With
//    real_time the gap to the previous row in hours is used instead (0 for the 7,629 rows that repeat
//    a timestamp with another weather description; gaps up to 7,387 h).
// Rows must not go back in time: a row earlier than the previous one is a DataFormatError.
#pragma once

#include <cstdint>
#include <filesystem>

#include "lfm/dataset.h"

namespace liquid::lfm {

struct TrafficOptions {
  int steps = 32;
  int stride = 4;
  double validation_fraction = 0.1;
  double test_fraction = 0.15;
  std::uint32_t seed = 23489;  // the LTC script's permutation seed
  bool real_time = false;      // timespans: 1.0 per row (the script) or the real gap in hours
  bool normalize = true;
};

// `file` is Metro_Interstate_Traffic_Volume.csv (or its folder). Throws DataFormatError (file,
// line, column) on a malformed row: a missing or extra field, text in a number column, a bad date,
// a time earlier than the previous row's; and if the file has no more than `steps` rows.
DatasetSplits load_traffic(const std::filesystem::path& file, const TrafficOptions& options = {});

}  // namespace liquid::lfm
