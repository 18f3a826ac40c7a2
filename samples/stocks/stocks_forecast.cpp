// stocks_forecast: next-day return and direction of daily stock prices, walked forward
// (samples/stocks/README.md). For each CSV: the last `folds` x `fold-rows` trading days are
// forecast fold by fold, each fold by a CfC trained with lfm::train (the configuration of
// `liquid train samples/train/sp500_cfc.json`) on the days before the fold only, beside a linear
// autoregressive model fitted on the same days, the random walk (zero return) and persistence of the
// last return. Optionally the shipped model on its own chronological test split, and a picture.
//
//   stocks_forecast --config samples/train/sp500_cfc.json samples/data/series/stocks/sp500-2000.csv
//       --png out/stocks/sp500_forecast.png --model samples/models/sp500_cfc.safetensors
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lfm/model.h"
#include "plot/figure.h"
#include "tasks/stocks.h"

namespace {

using liquid::tasks::ForecastScores;
using liquid::tasks::StockForecast;

void print_scores(const std::string& name, const ForecastScores& s, const std::string& span,
                  const char* model = "CfC (liquid, refit per fold)") {
  std::printf("%s: %zu forecast days %s (%zu with a direction)\n", name.c_str(), s.days, span.c_str(),
              s.directional_days);
  std::printf("  %-34s %10s %12s\n", "forecast", "MAE (pp)", "direction");
  std::printf("  %-34s %10.4f %11.2f %%\n", model, s.mae_cfc, 100 * s.dir_cfc);
  std::printf("  %-34s %10.4f %11.2f %%\n", "linear AR (least squares)", s.mae_ar, 100 * s.dir_ar);
  std::printf("  %-34s %10.4f %12s\n", "random walk (zero return)", s.mae_zero, "-");
  std::printf("  %-34s %10.4f %11.2f %%\n", "persistence (last return)", s.mae_last, 100 * s.dir_last);
  std::printf("  %-34s %10s %11.2f %%\n", "always up (share of up days)", "-", 100 * s.dir_up);
}

// Rolling hit rate over `n` days (NaN until n days are in).
std::vector<double> rolling_hits(const std::vector<StockForecast>& f, int n, double StockForecast::*field) {
  std::vector<double> out(f.size(), std::nan(""));
  int hits = 0, counted = 0;
  std::vector<int> hit(f.size(), -1);
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i].actual != 0.0) hit[i] = (f[i].*field > 0) == (f[i].actual > 0);
    if (hit[i] >= 0) hits += hit[i], ++counted;
    if (i >= static_cast<std::size_t>(n) && hit[i - n] >= 0) hits -= hit[i - n], --counted;
    if (i + 1 >= static_cast<std::size_t>(n) && counted > 0) out[i] = static_cast<double>(hits) / counted;
  }
  return out;
}

void draw(const std::string& name, const std::vector<StockForecast>& f, const std::filesystem::path& png) {
  std::vector<double> x, actual, cfc, ar;
  for (std::size_t i = 0; i < f.size(); ++i) {
    x.push_back(static_cast<double>(i));
    actual.push_back(f[i].actual);
    cfc.push_back(f[i].cfc);
    ar.push_back(f[i].ar);
  }
  namespace plot = liquid::plot;
  plot::Figure fig(1400, 1200, 3, 1);
  fig.set_title(name + ": next-day return, walk-forward " + f.front().date + " .. " + f.back().date);
  auto& top = fig.axes(0);
  top.set_title("actual return and forecasts, one scale").set_y_label("return (%)");
  plot::Series& a = top.line(x, actual, "actual");
  a.line_width = 1, a.color = plot::kSkyBlue;
  top.line(x, cfc, "CfC forecast").color = plot::kVermillion;
  plot::Series& arl = top.line(x, ar, "linear AR forecast");
  arl.dashed = true, arl.color = plot::kGreen;
  for (std::size_t i = 1; i < f.size(); ++i)
    if (f[i].fold != f[i - 1].fold) top.vline(static_cast<double>(i), "refit");
  // The forecasts are small beside the actual moves: on their own scale their shape shows.
  auto& mid = fig.axes(1);
  mid.set_title("the forecasts on their own scale").set_y_label("return (%)");
  mid.line(x, cfc, "CfC forecast").color = plot::kVermillion;
  plot::Series& arm = mid.line(x, ar, "linear AR forecast");
  arm.dashed = true, arm.color = plot::kGreen;
  mid.hline(0.0, "random walk");
  auto& bottom = fig.axes(2);
  bottom.set_title("directional accuracy over the last 60 days").set_y_label("hit rate").set_x_label("trading day");
  bottom.line(x, rolling_hits(f, 60, &StockForecast::cfc), "CfC").color = plot::kVermillion;
  plot::Series& arb = bottom.line(x, rolling_hits(f, 60, &StockForecast::ar), "linear AR");
  arb.dashed = true, arb.color = plot::kGreen;
  plot::Series& lb = bottom.line(x, rolling_hits(f, 60, &StockForecast::last), "persistence");
  lb.line_width = 1, lb.color = plot::kPurple;
  bottom.hline(0.5, "coin flip");
  fig.save_png(png);
}

}  // namespace

int main(int argc, char** argv) {
  namespace lq = liquid;
  CLI::App app{"Walk-forward next-day return forecasts of daily stock prices (samples/stocks/README.md)"};
  std::filesystem::path config_path = "samples/train/sp500_cfc.json", out_dir = "out/stocks", png, model_path;
  std::vector<std::filesystem::path> files;
  int folds = 4, fold_rows = 252, validation_rows = 252, epochs = 0, threads = 0, ar_order = 5;
  double min_direction = 0, max_mae_ratio = 0;
  app.add_option("files", files, "daily price CSVs (date, open, high, low, close, [adj close,] volume)")->required();
  app.add_option("--config", config_path, "training configuration (model, optimiser, epochs)")->capture_default_str();
  app.add_option("--folds", folds, "test folds, each refit on the days before it")->capture_default_str();
  app.add_option("--fold-rows", fold_rows, "trading days per fold")->capture_default_str();
  app.add_option("--validation-rows", validation_rows, "days before each fold held out to pick the epoch")
      ->capture_default_str();
  app.add_option("--ar-order", ar_order, "past returns in the linear AR baseline")->capture_default_str();
  app.add_option("--epochs", epochs, "override the configuration's epochs (0: keep)");
  app.add_option("--threads", threads, "threads (0: one per core)");
  app.add_option("--out", out_dir, "folder for the folds' models and the forecasts")->capture_default_str();
  app.add_option("--png", png, "forecast vs actual picture of the first file");
  app.add_option("--model", model_path,
                 "also score this trained model on the test split of the configuration's data (task \"stocks\")");
  app.add_option("--min-direction", min_direction,
                 "fail unless the CfC's directional accuracy reaches this on every file");
  app.add_option("--max-mae-ratio", max_mae_ratio, "fail unless CfC MAE <= this x the random walk's on every file");
  CLI11_PARSE(app, argc, argv);
  try {
    lq::tasks::register_stocks_task();
    lq::tasks::WalkForwardOptions options;
    options.config = lq::lfm::load_train_config(config_path);
    if (epochs > 0) options.config.epochs = epochs;
    options.folds = folds;
    options.fold_rows = fold_rows;
    options.validation_rows = validation_rows;
    options.threads = threads;
    options.ar_order = ar_order;
    // The shipped model is checked before any training, so a wrong file fails at once.
    std::optional<lq::lfm::Model> shipped;
    if (!model_path.empty()) {
      shipped = lq::lfm::Model::load(model_path);
      const lq::lfm::Model& model = *shipped;
      if (model.input_size() != lq::tasks::kStockInputs || model.output_size() != 1)
        throw std::invalid_argument(model_path.string() + ": a model with " + std::to_string(model.input_size()) +
                                    " inputs and " + std::to_string(model.output_size()) + " outputs; expected " +
                                    std::to_string(lq::tasks::kStockInputs) + " inputs and 1 output (task \"stocks\")");
    }
    bool ok = true;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const lq::tasks::StockSeries series = lq::tasks::load_stock_csv(files[i]);
      const std::string name = files[i].stem().string();
      options.out_dir = out_dir / name;
      const lq::tasks::WalkForwardResult r = lq::tasks::walk_forward(series, options);
      const ForecastScores s = lq::tasks::score_forecasts(r.forecasts);
      std::string epochs_text;
      for (int e : r.best_epochs) epochs_text += (epochs_text.empty() ? "" : ",") + std::to_string(e);
      print_scores(name, s,
                   r.forecasts.front().date + " .. " + r.forecasts.back().date + ", " + std::to_string(folds) +
                       " folds (best epochs " + epochs_text + ")");
      const std::filesystem::path csv_path = out_dir / (name + "_forecasts.csv");
      std::ofstream out(csv_path);
      if (!out) throw std::runtime_error(csv_path.string() + ": cannot be written");
      out << "date,actual_pct,cfc_pct,ar_pct,last_pct,fold\n";
      for (const StockForecast& f : r.forecasts)
        out << f.date << ',' << f.actual << ',' << f.cfc << ',' << f.ar << ',' << f.last << ',' << f.fold << '\n';
      if (i == 0 && !png.empty()) draw(name, r.forecasts, png);
      if (min_direction > 0 && s.dir_cfc < min_direction) {
        std::fprintf(stderr, "%s: CfC directional accuracy %.4f is under the floor %.4f\n", name.c_str(), s.dir_cfc,
                     min_direction);
        ok = false;
      }
      if (max_mae_ratio > 0 && s.mae_cfc > max_mae_ratio * s.mae_zero) {
        std::fprintf(stderr, "%s: CfC MAE %.4f is over %.3f x the random walk's %.4f\n", name.c_str(), s.mae_cfc,
                     max_mae_ratio, s.mae_zero);
        ok = false;
      }
    }
    if (!model_path.empty()) {
      // The shipped model on the split `liquid train` used: its test days come after its training
      // and validation days; the AR baseline is fitted on the same training and validation days.
      const lq::lfm::Model& model = *shipped;
      const lq::tasks::StockSeries series = lq::tasks::load_stock_csv(options.config.data);
      const lq::tasks::StockOptions stock;
      const lq::tasks::StockSplit split = lq::tasks::default_stock_split(series, stock);
      std::vector<std::size_t> rows;
      const lq::lfm::DatasetSplits data = lq::tasks::stock_splits(series, split, stock, &rows);
      const int n = static_cast<int>(data.test.size()), steps = data.test.steps;
      std::vector<float> y(static_cast<std::size_t>(n) * steps * model.output_size());
      model.forward(data.test.inputs, data.test.timespans, n, steps, y, {}, {}, threads);
      const std::vector<double> returns = lq::tasks::stock_returns(series);
      const lq::tasks::ArModel ar =
          lq::tasks::fit_ar(returns, split.train_begin, split.validation_end, options.ar_order);
      std::vector<StockForecast> f;
      for (int i = 0; i < n; ++i) {
        const std::size_t j = rows[static_cast<std::size_t>(i)];
        f.push_back({j, series.dates[j], returns[j], y[static_cast<std::size_t>(i) * steps + steps - 1],
                     ar.predict(returns, j - 1), returns[j - 1], 0});
      }
      print_scores(model_path.filename().string() + " (shipped, no refit)", lq::tasks::score_forecasts(f),
                   "on " + options.config.data.filename().string() + " " + f.front().date + " .. " + f.back().date,
                   "CfC (liquid, shipped)");
    }
    return ok ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stocks_forecast: %s\n", e.what());
    return 1;
  }
}
