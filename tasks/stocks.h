// Daily stock prices as a forecasting task: from the days up to t, predict the next day's return
// (the log return of the adjusted close from day t to the next trading day, in percent) and so its
// direction. Lives in tasks/ with the other tasks the trainer learns by registration (lfm::register_task).
//
// The protocol and its choices:
//  - Input per trading day t (t >= 1): the day's log return of the (adjusted) close, in percent;
//    the high-low range, log(high / low) in percent; the overnight gap, log(open_t / close_{t-1})
//    in percent; the volume change, log((volume_t + 1) / (volume_{t-1} + 1)). Elapsed time per step:
//    calendar days since the previous trading day (1 on weekdays, 3 over a weekend, more over
//    holidays): the gaps are real, which a liquid cell integrates across.
//  - One window per forecast origin t: the `window` trading days ending at t, the target (the return
//    from t to t+1) on the last step only. A window and its target never touch a row after t + 1.
//  - Splits are chronological by target row: training targets first, then validation, then test.
//    The normalisation (mean and std of each input) is fitted on the training windows only.
//  - Walk-forward evaluation (walk_forward): the test span is cut into folds; each fold's model is
//    trained (lfm::train) on the targets before the fold only (its last `validation_rows` of those held
//    out to pick the epoch), then forecasts the fold. Nothing from a fold or after it reaches its model,
//    its normalisation or its inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lfm/dataset.h"
#include "lfm/trainer.h"

namespace liquid::tasks {

// One stock's daily rows, oldest first. `close` is the adjusted close when the file has one
// ("Adj Close" / "adjclose"), else the close; `raw_close` is always the unadjusted close (for the gap).
struct StockSeries {
  std::string source;  // the file, for messages
  std::vector<std::string> dates;  // as in the file, YYYY-MM-DD
  std::vector<std::int64_t> days;  // days since 1970-01-01
  std::vector<double> open, high, low, raw_close, close, volume;
  std::size_t rows() const { return dates.size(); }
};

// Reads a Yahoo-style CSV: a header naming date, open, high, low, close, volume and optionally
// adj close / adjclose (any case, any order). Throws lfm::DataFormatError naming the file, line
// and column when a field is not a positive number (volume: not negative), a date is not
// YYYY-MM-DD or does not come after the previous row's, or a needed column is missing.
StockSeries load_stock_csv(const std::filesystem::path& file);

inline constexpr int kStockInputs = 4;

// The next-day returns in percent: returns[t] = 100 log(close[t] / close[t-1]); returns[0] is NaN.
std::vector<double> stock_returns(const StockSeries& series);

// Target rows j (the day whose return is forecast, from origin t = j - 1) in [begin, end) per split.
struct StockSplit {
  std::size_t train_begin = 0, train_end = 0;  // train_begin is raised to the first row with a full window
  std::size_t validation_end = 0;               // validation: [train_end, validation_end)
  std::size_t test_end = 0;                     // test: [validation_end, test_end)
};

struct StockOptions {
  int window = 20;        // trading days per window
  bool normalize = true;  // fit on the training windows, applied to all three splits
};

// The splits as the trainer takes them: regression, one target (the return in percent), masked on
// the last step. Test windows' target rows are listed in `test_rows` if given.
lfm::DatasetSplits stock_splits(const StockSeries& series, const StockSplit& split, const StockOptions& options,
                                std::vector<std::size_t>* test_rows = nullptr);

// The chronological split `liquid train` uses for "task": "stocks": the first 70 % of the targets
// train, the next 15 % validate, the last 15 % test.
StockSplit default_stock_split(const StockSeries& series, const StockOptions& options = {});

// The linear autoregressive baseline: next return = c + sum_k a_k r_{t-k}, k = 0..order-1, fitted by
// least squares on the target rows [begin, end) (origins with a full history only).
struct ArModel {
  std::vector<double> coefficients;  // intercept first, then a_0 (the latest return) ...
  double predict(const std::vector<double>& returns, std::size_t origin) const;
};
ArModel fit_ar(const std::vector<double>& returns, std::size_t begin, std::size_t end, int order);

// One forecast of the return of row `row` (from the rows before it).
struct StockForecast {
  std::size_t row = 0;
  std::string date;       // of `row`
  double actual = 0.0;    // the return of `row`, percent
  double cfc = 0.0;       // the trained model's forecast
  double ar = 0.0;        // the autoregressive baseline's
  double last = 0.0;      // persistence of the last return (the return of row - 1)
  int fold = 0;
};

// Errors and hit rates of forecasts. Direction counts days whose actual return is not zero; a zero
// forecast (the random walk) has no direction and is scored by MAE only.
struct ForecastScores {
  std::size_t days = 0;
  double mae_cfc = 0, mae_ar = 0, mae_zero = 0, mae_last = 0;
  double dir_cfc = 0, dir_ar = 0, dir_last = 0, dir_up = 0;  // fractions in [0, 1]
  std::size_t directional_days = 0;
};
ForecastScores score_forecasts(const std::vector<StockForecast>& forecasts);

struct WalkForwardOptions {
  lfm::TrainConfig config;      // the model, optimiser, epochs...; task and data are replaced per fold
  StockOptions stock;
  int folds = 4;                // the test span: the last folds * fold_rows target rows
  int fold_rows = 252;          // about a trading year
  int validation_rows = 252;    // held out of each fold's training rows to pick the epoch
  int ar_order = 5;
  std::filesystem::path out_dir;  // fold k trains into out_dir / "fold<k>"
  int threads = 0;
};

struct WalkForwardResult {
  std::vector<StockForecast> forecasts;  // every test row, in order
  std::vector<int> best_epochs;          // per fold
};

// Trains one model per fold with lfm::train (each fold a task registered for it, whose loader
// sees only the rows before the fold's first target) and forecasts the fold. Throws
// std::invalid_argument if the series is too short for the folds asked for.
WalkForwardResult walk_forward(const StockSeries& series, const WalkForwardOptions& options);

// The task name "stocks" for `liquid train` configurations (data: one CSV file); call once at startup.
lfm::TrainTask register_stocks_task();

}  // namespace liquid::tasks
