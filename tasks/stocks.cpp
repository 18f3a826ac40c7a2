// Daily stock prices to next-day return forecasts (see stocks.h for the protocol and why).
#include "tasks/stocks.h"

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include "lfm/model.h"

namespace liquid::tasks {

namespace {

// "YYYY-MM-DD" to days since 1970-01-01; DataFormatError otherwise.
std::int64_t parse_date(std::string_view field, const std::filesystem::path& file, std::size_t line,
                        std::size_t column) {
  auto digits = [&](std::size_t from, std::size_t n) {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(field[i])))
        throw lfm::DataFormatError(file, line, column, "date '" + std::string(field) + "' is not YYYY-MM-DD");
      v = v * 10 + (field[i] - '0');
    }
    return v;
  };
  if (field.size() != 10 || field[4] != '-' || field[7] != '-')
    throw lfm::DataFormatError(file, line, column, "date '" + std::string(field) + "' is not YYYY-MM-DD");
  const int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
  if (m < 1 || m > 12 || d < 1 || d > 31)
    throw lfm::DataFormatError(file, line, column, "date '" + std::string(field) + "' is not a calendar date");
  return lfm::detail::days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

double log_ratio_percent(double a, double b) { return 100.0 * std::log(a / b); }

}  // namespace

StockSeries load_stock_csv(const std::filesystem::path& file) {
  const std::string text = lfm::detail::read_text_file(file);
  StockSeries s;
  s.source = file.string();
  int c_date = -1, c_open = -1, c_high = -1, c_low = -1, c_close = -1, c_adj = -1, c_volume = -1;
  std::size_t fields = 0;
  bool header = true;
  lfm::detail::for_each_line(text, [&](std::string_view line, std::size_t number) {
    const std::vector<std::string_view> f = lfm::detail::split_csv_line(line);
    if (header) {
      header = false;
      fields = f.size();
      const std::vector<int> c = lfm::detail::header_columns(
          f, {"date", "open", "high", "low", "close", "?adj close|adjclose|adj_close", "volume"}, file, number);
      c_date = c[0], c_open = c[1], c_high = c[2], c_low = c[3], c_close = c[4], c_adj = c[5], c_volume = c[6];
      return;
    }
    if (f.size() != fields)
      throw lfm::DataFormatError(file, number, 0,
                                 std::to_string(f.size()) + " fields; the header has " + std::to_string(fields));
    auto positive = [&](int col, const char* name) {
      const double v = lfm::detail::parse_double(f[col], file, number, col + 1, name);
      if (!(v > 0.0) || !std::isfinite(v))
        throw lfm::DataFormatError(file, number, col + 1,
                                   std::string("'") + name + "' is " + std::string(f[col]) + "; expected a price > 0");
      return v;
    };
    const std::int64_t day = parse_date(f[c_date], file, number, c_date + 1);
    if (!s.days.empty() && day <= s.days.back())
      throw lfm::DataFormatError(file, number, c_date + 1,
                                 "date " + std::string(f[c_date]) + " does not come after the previous row's " +
                                     s.dates.back() + "; expected rows oldest first, one a day");
    s.dates.emplace_back(f[c_date]);
    s.days.push_back(day);
    s.open.push_back(positive(c_open, "open"));
    s.high.push_back(positive(c_high, "high"));
    s.low.push_back(positive(c_low, "low"));
    s.raw_close.push_back(positive(c_close, "close"));
    s.close.push_back(c_adj >= 0 ? positive(c_adj, "adj close") : s.raw_close.back());
    const double v = lfm::detail::parse_double(f[c_volume], file, number, c_volume + 1, "volume");
    if (!(v >= 0.0) || !std::isfinite(v))
      throw lfm::DataFormatError(file, number, c_volume + 1,
                                 "'volume' is " + std::string(f[c_volume]) + "; expected a count >= 0");
    s.volume.push_back(v);
  });
  if (header) throw lfm::DataFormatError(file, 0, 0, "empty file; expected a header and daily rows");
  if (s.rows() < 3) throw lfm::DataFormatError(file, 0, 0, "fewer than 3 daily rows");
  return s;
}

std::vector<double> stock_returns(const StockSeries& s) {
  std::vector<double> r(s.rows(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t t = 1; t < s.rows(); ++t) r[t] = log_ratio_percent(s.close[t], s.close[t - 1]);
  return r;
}

lfm::DatasetSplits stock_splits(const StockSeries& s, const StockSplit& split, const StockOptions& options,
                                std::vector<std::size_t>* test_rows) {
  if (options.window < 1) throw std::invalid_argument("stock_splits: window must be >= 1");
  const auto window = static_cast<std::size_t>(options.window);
  // Origin t needs rows t - window + 1 .. t, each with a previous row: t >= window; target j = t + 1.
  const std::size_t first = std::max(split.train_begin, window + 1);
  if (!(first < split.train_end && split.train_end <= split.validation_end &&
        split.validation_end <= split.test_end && split.test_end <= s.rows()))
    throw std::invalid_argument(s.source + ": split rows " + std::to_string(first) + " < " +
                                std::to_string(split.train_end) + " <= " + std::to_string(split.validation_end) +
                                " <= " + std::to_string(split.test_end) + " <= " + std::to_string(s.rows()) +
                                " do not hold; the series is too short for this window and split");
  const std::vector<double> r = stock_returns(s);
  lfm::SequenceDataset proto;
  proto.steps = options.window;
  proto.input_size = kStockInputs;
  proto.output_size = 1;
  proto.input_names = {"return_pct", "range_pct", "gap_pct", "volume_change"};
  lfm::DatasetSplits out;
  out.train = proto.empty_like("stocks/train");
  out.validation = proto.empty_like("stocks/validation");
  out.test = proto.empty_like("stocks/test");
  if (test_rows) test_rows->clear();
  for (std::size_t j = first; j < split.test_end; ++j) {
    lfm::SequenceDataset& d = j < split.train_end ? out.train : j < split.validation_end ? out.validation : out.test;
    const std::size_t origin = j - 1;
    for (std::size_t t = origin + 1 - window; t <= origin; ++t) {
      d.inputs.push_back(static_cast<float>(r[t]));
      d.inputs.push_back(static_cast<float>(log_ratio_percent(s.high[t], s.low[t])));
      d.inputs.push_back(static_cast<float>(log_ratio_percent(s.open[t], s.raw_close[t - 1])));
      d.inputs.push_back(static_cast<float>(std::log((s.volume[t] + 1.0) / (s.volume[t - 1] + 1.0))));
      d.timespans.push_back(static_cast<float>(s.days[t] - s.days[t - 1]));
      const bool last = t == origin;
      d.targets.push_back(last ? static_cast<float>(r[j]) : 0.0F);
      d.mask.push_back(last ? 1 : 0);
    }
    if (test_rows && &d == &out.test) test_rows->push_back(j);
  }
  if (options.normalize) {
    const int all[kStockInputs] = {0, 1, 2, 3};
    out.normalize(all);
  }
  out.check_shapes();
  return out;
}

StockSplit default_stock_split(const StockSeries& s, const StockOptions& options) {
  const std::size_t first = static_cast<std::size_t>(options.window) + 1;
  if (s.rows() < first + 20)
    throw std::invalid_argument(s.source + ": " + std::to_string(s.rows()) + " rows; the task needs at least " +
                                std::to_string(first + 20) + " for a window of " + std::to_string(options.window));
  const std::size_t n = s.rows() - first;
  StockSplit split;
  split.train_begin = first;
  split.train_end = first + n * 70 / 100;
  split.validation_end = first + n * 85 / 100;
  split.test_end = s.rows();
  return split;
}

double ArModel::predict(const std::vector<double>& returns, std::size_t origin) const {
  double y = coefficients[0];
  for (std::size_t k = 1; k < coefficients.size(); ++k) y += coefficients[k] * returns[origin + 1 - k];
  return y;
}

ArModel fit_ar(const std::vector<double>& returns, std::size_t begin, std::size_t end, int order) {
  if (order < 0) throw std::invalid_argument("fit_ar: order must be >= 0");
  const auto p = static_cast<std::size_t>(order);
  begin = std::max(begin, p + 1);  // origin j - 1 needs returns j-1 .. j-p, all after row 0
  if (end <= begin + p + 1) throw std::invalid_argument("fit_ar: too few rows to fit");
  const auto n = static_cast<Eigen::Index>(end - begin);
  Eigen::MatrixXd x(n, static_cast<Eigen::Index>(p + 1));
  Eigen::VectorXd y(n);
  for (std::size_t j = begin; j < end; ++j) {
    const auto i = static_cast<Eigen::Index>(j - begin);
    x(i, 0) = 1.0;
    for (std::size_t k = 1; k <= p; ++k) x(i, static_cast<Eigen::Index>(k)) = returns[j - k];
    y(i) = returns[j];
  }
  const Eigen::VectorXd beta = x.colPivHouseholderQr().solve(y);
  return ArModel{std::vector<double>(beta.data(), beta.data() + beta.size())};
}

ForecastScores score_forecasts(const std::vector<StockForecast>& forecasts) {
  ForecastScores s;
  std::size_t hit_cfc = 0, hit_ar = 0, hit_last = 0, hit_up = 0;
  for (const StockForecast& f : forecasts) {
    ++s.days;
    s.mae_cfc += std::abs(f.cfc - f.actual);
    s.mae_ar += std::abs(f.ar - f.actual);
    s.mae_zero += std::abs(f.actual);
    s.mae_last += std::abs(f.last - f.actual);
    if (f.actual == 0.0) continue;
    ++s.directional_days;
    const bool up = f.actual > 0;
    hit_cfc += (f.cfc > 0) == up;
    hit_ar += (f.ar > 0) == up;
    hit_last += (f.last > 0) == up;
    hit_up += up;
  }
  if (s.days > 0) {
    const auto n = static_cast<double>(s.days);
    s.mae_cfc /= n, s.mae_ar /= n, s.mae_zero /= n, s.mae_last /= n;
  }
  if (s.directional_days > 0) {
    const auto n = static_cast<double>(s.directional_days);
    s.dir_cfc = hit_cfc / n, s.dir_ar = hit_ar / n, s.dir_last = hit_last / n, s.dir_up = hit_up / n;
  }
  return s;
}

WalkForwardResult walk_forward(const StockSeries& series, const WalkForwardOptions& options) {
  if (options.folds < 1 || options.fold_rows < 1 || options.validation_rows < 1)
    throw std::invalid_argument("walk_forward: folds, fold_rows and validation_rows must be >= 1");
  if (options.ar_order < 0 || options.ar_order > options.stock.window)
    throw std::invalid_argument("walk_forward: ar_order " + std::to_string(options.ar_order) +
                                " must be between 0 and the window (" + std::to_string(options.stock.window) + ")");
  const auto folds = static_cast<std::size_t>(options.folds), fold_rows = static_cast<std::size_t>(options.fold_rows);
  const auto validation_rows = static_cast<std::size_t>(options.validation_rows);
  const std::size_t first = static_cast<std::size_t>(options.stock.window) + 1;
  const std::size_t test_rows_total = folds * fold_rows;
  const std::size_t min_train = std::max<std::size_t>(64, static_cast<std::size_t>(options.ar_order) * 4);
  if (series.rows() < first + min_train + validation_rows + test_rows_total)
    throw std::invalid_argument(series.source + ": " + std::to_string(series.rows()) + " rows; " +
                                std::to_string(options.folds) + " folds of " + std::to_string(options.fold_rows) +
                                " with " + std::to_string(options.validation_rows) +
                                " validation rows and a window of " + std::to_string(options.stock.window) +
                                " need at least " +
                                std::to_string(first + min_train + validation_rows + test_rows_total));
  const std::vector<double> returns = stock_returns(series);
  // Each fold registers a task of its own; the name counter keeps names unique within a process
  // (register_task keeps the first loader of a name).
  static std::atomic<int> counter{0};
  auto shared = std::make_shared<const StockSeries>(series);
  WalkForwardResult result;
  const std::size_t test_begin = series.rows() - test_rows_total;
  for (std::size_t k = 0; k < folds; ++k) {
    StockSplit split;
    split.train_begin = first;
    split.validation_end = test_begin + k * fold_rows;  // the fold's first target row
    split.train_end = split.validation_end - validation_rows;
    split.test_end = split.validation_end + fold_rows;
    const StockOptions stock = options.stock;
    lfm::TaskLoader loader;
    loader.name = "stocks-walk-forward-" + std::to_string(counter++);
    loader.shape = {kStockInputs, 0, 1};
    // The loader hands the trainer the rows before the fold only: its test split is cut off here,
    // so nothing from the fold or after it can reach training, validation or normalisation.
    StockSplit past = split;
    past.test_end = split.validation_end;
    loader.load = [shared, past, stock](const std::filesystem::path&, bool normalize) {
      StockOptions o = stock;
      o.normalize = normalize;
      return stock_splits(*shared, past, o);
    };
    lfm::TrainConfig config = options.config;
    config.task = lfm::register_task(std::move(loader));
    config.data = series.source;
    const std::filesystem::path dir = options.out_dir / ("fold" + std::to_string(k));
    const lfm::TrainResult trained = lfm::train(config, {.out_dir = dir, .threads = options.threads});
    result.best_epochs.push_back(trained.best_epoch);
    const lfm::Model model = lfm::Model::load(dir / "model.safetensors");

    // The fold's windows, normalised with the statistics of its training rows (the same as the
    // loader's, which are fitted on the same rows).
    std::vector<std::size_t> rows;
    const lfm::DatasetSplits data = stock_splits(series, split, stock, &rows);
    const int n = static_cast<int>(data.test.size()), steps = data.test.steps;
    std::vector<float> out(static_cast<std::size_t>(n) * steps);
    model.forward(data.test.inputs, data.test.timespans, n, steps, out, {}, {}, options.threads);
    const ArModel ar = fit_ar(returns, first, split.validation_end, options.ar_order);
    for (int i = 0; i < n; ++i) {
      const std::size_t j = rows[static_cast<std::size_t>(i)];
      StockForecast f;
      f.row = j;
      f.date = series.dates[j];
      f.actual = returns[j];
      f.cfc = out[static_cast<std::size_t>(i) * steps + static_cast<std::size_t>(steps - 1)];
      f.ar = ar.predict(returns, j - 1);
      f.last = returns[j - 1];
      f.fold = static_cast<int>(k);
      result.forecasts.push_back(f);
    }
  }
  return result;
}

lfm::TrainTask register_stocks_task() {
  lfm::TaskLoader loader;
  loader.name = "stocks";
  loader.shape = {kStockInputs, 0, 1};
  loader.load = [](const std::filesystem::path& data, bool normalize) {
    const StockSeries s = load_stock_csv(data);
    StockOptions o;
    o.normalize = normalize;
    return stock_splits(s, default_stock_split(s, o), o);
  };
  return lfm::register_task(std::move(loader));
}

}  // namespace liquid::tasks
