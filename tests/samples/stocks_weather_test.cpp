// tasks/stocks and tasks/seattle_weather, the data behind samples/stocks and samples/weather: the
// walk-forward never lets a row after the forecast origin reach a forecast, the windows hold what
// the protocol says, and bad files get errors naming the file, line and field.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "tasks/seattle_weather.h"
#include "tasks/stocks.h"

namespace {

namespace fs = std::filesystem;
using liquid::lfm::DataFormatError;
using namespace liquid::tasks;

const fs::path kSamples = LIQUID_SAMPLES;

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("liquid_stocks_weather_test_" + name);
  std::ofstream(p) << text;
  return p;
}

// The first `rows` rows of AAL: small enough to train on in a test.
StockSeries aal(std::size_t rows) {
  StockSeries s = load_stock_csv(kSamples / "data/series/stocks/AAL.csv");
  auto cut = [&](auto& v) { v.resize(rows); };
  cut(s.dates), cut(s.days), cut(s.open), cut(s.high), cut(s.low), cut(s.raw_close), cut(s.close), cut(s.volume);
  return s;
}

WalkForwardOptions small_options(const std::string& dir) {
  register_stocks_task();  // the configuration names the task; walk_forward replaces it per fold
  WalkForwardOptions o;
  o.config = liquid::lfm::train_config_from_json(
      nlohmann::json::parse(R"({"task": "stocks", "data": "x.csv",
        "model": {"model": "CfC", "units": 8, "mode": "default", "backbone_units": 8, "backbone_layers": 1},
        "optimizer": {"kind": "adam", "lr": 0.01}, "epochs": 2, "batch_size": 32, "seed": 3, "loss": "huber"})"),
      "test", ".");
  o.stock.window = 10;
  o.folds = 2;
  o.fold_rows = 20;
  o.validation_rows = 30;
  o.out_dir = fs::temp_directory_path() / dir;
  o.threads = 1;
  return o;
}

TEST(Stocks, ReadsBothHeaderStylesAndAdjustedClose) {
  const StockSeries sp = load_stock_csv(kSamples / "data/series/stocks/sp500-2000.csv");
  EXPECT_EQ(sp.rows(), 5105u);  // the last line has no newline: it counts
  EXPECT_EQ(sp.dates.front(), "2000-01-03");
  EXPECT_EQ(sp.dates.back(), "2020-04-17");
  const StockSeries a = load_stock_csv(kSamples / "data/series/stocks/AAL.csv");
  EXPECT_EQ(a.rows(), 671u);
  EXPECT_NEAR(a.close[0], 18.562580, 1e-9);  // Adj Close, not Close
  EXPECT_NEAR(a.raw_close[0], 19.690001, 1e-9);
  const std::vector<double> r = stock_returns(a);
  EXPECT_TRUE(std::isnan(r[0]));
  EXPECT_NEAR(r[1], 100 * std::log(a.close[1] / a.close[0]), 1e-12);
}

TEST(Stocks, WindowsEndAtTheOriginAndCarryTheNextReturn) {
  const StockSeries s = aal(200);
  StockOptions o;
  o.window = 5;
  o.normalize = false;
  const StockSplit split{0, 100, 150, 200};
  std::vector<std::size_t> rows;
  const auto d = stock_splits(s, split, o, &rows);
  const std::vector<double> r = stock_returns(s);
  ASSERT_EQ(d.train.size(), 100u - 6u);  // targets 6..99: origin 5 is the first with 5 returns
  ASSERT_EQ(d.test.size(), 50u);
  EXPECT_EQ(rows.front(), 150u);
  // Test window 0: origin 149, inputs rows 145..149, target the return of row 150.
  EXPECT_FLOAT_EQ(d.test.inputs[4 * 4], static_cast<float>(r[149]));
  EXPECT_FLOAT_EQ(d.test.targets[4], static_cast<float>(r[150]));
  EXPECT_EQ(d.test.mask[4], 1);
  EXPECT_EQ(d.test.mask[3], 0);
  // Elapsed calendar days: 2013-10-04 (Friday) to 2013-10-07 (Monday) is 3.
  const auto first = stock_splits(s, {0, 10, 10, 10}, o);
  EXPECT_EQ(s.dates[3], "2013-10-04");
  EXPECT_FLOAT_EQ(first.train.timespans[3], 3.0F);  // window of origin 5: rows 1..5, row 4 is Monday
}

TEST(Stocks, ArBaselineRecoversAKnownProcess) {
  // r_t = 0.1 + 0.5 r_{t-1} exactly: least squares finds it.
  std::vector<double> r{std::nan(""), 1.0};
  for (int t = 2; t < 60; ++t) r.push_back(0.1 + 0.5 * r.back());
  const ArModel m = fit_ar(r, 0, 60, 1);
  EXPECT_NEAR(m.coefficients[0], 0.1, 1e-9);
  EXPECT_NEAR(m.coefficients[1], 0.5, 1e-9);
  EXPECT_NEAR(m.predict(r, 59), 0.1 + 0.5 * r[59], 1e-9);
}

TEST(Stocks, NoRowAfterTheOriginReachesAForecast) {
  const StockSeries base = aal(160);
  const WalkForwardOptions o1 = small_options("liquid_wf_a"), o2 = small_options("liquid_wf_b");
  const WalkForwardResult a = walk_forward(base, o1);
  ASSERT_EQ(a.forecasts.size(), 40u);
  // Perturb every row after the origin of the 5th forecast of fold 1 (prices, volume): forecasts up to
  // and including that one must not move, bit for bit (model, normalisation, AR fit and inputs).
  const std::size_t check = 25;  // fold 1, 6th day
  const std::size_t origin = a.forecasts[check].row - 1;
  StockSeries changed = base;
  for (std::size_t t = origin + 1; t < changed.rows(); ++t) {
    const double f = 1.0 + 0.3 * std::sin(static_cast<double>(t));
    changed.open[t] *= f, changed.high[t] *= f * 1.1, changed.low[t] *= f, changed.raw_close[t] *= f;
    changed.close[t] *= f, changed.volume[t] = changed.volume[t] * 3 + 1000;
  }
  const WalkForwardResult b = walk_forward(changed, o2);
  ASSERT_EQ(b.forecasts.size(), a.forecasts.size());
  for (std::size_t i = 0; i <= check; ++i) {
    EXPECT_EQ(a.forecasts[i].cfc, b.forecasts[i].cfc) << "forecast " << i << " " << a.forecasts[i].date;
    EXPECT_EQ(a.forecasts[i].ar, b.forecasts[i].ar) << "forecast " << i;
    EXPECT_EQ(a.forecasts[i].last, b.forecasts[i].last) << "forecast " << i;
  }
  // The perturbation is real: the next forecast (origin inside the changed rows) moves.
  EXPECT_NE(a.forecasts[check + 1].cfc, b.forecasts[check + 1].cfc);
  // And fold 0's model never saw fold 0's rows: perturbing from fold 0's first origin on changes
  // nothing in fold 0's first forecast.
  StockSeries early = base;
  const std::size_t fold0 = a.forecasts[0].row - 1;
  for (std::size_t t = fold0 + 1; t < early.rows(); ++t) early.close[t] *= 1.2, early.raw_close[t] *= 1.2;
  const WalkForwardResult c = walk_forward(early, small_options("liquid_wf_c"));
  EXPECT_EQ(a.forecasts[0].cfc, c.forecasts[0].cfc);
  EXPECT_EQ(a.forecasts[0].ar, c.forecasts[0].ar);
  for (const char* d : {"liquid_wf_a", "liquid_wf_b", "liquid_wf_c"}) fs::remove_all(fs::temp_directory_path() / d);
}

TEST(Stocks, TooShortASeriesIsAClearError) {
  try {
    walk_forward(aal(100), small_options("liquid_wf_short"));
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("AAL.csv: 100 rows"), std::string::npos) << e.what();
  }
}

TEST(Stocks, BadFilesNameTheFileLineAndField) {
  const std::string header = "Date,Open,High,Low,Close,Adj Close,Volume\n";
  const std::string good = "2020-01-02,1,2,0.5,1.5,1.5,100\n";
  auto error_of = [&](const std::string& name, const std::string& text) {
    try {
      load_stock_csv(write_file(name, text));
    } catch (const DataFormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string e = error_of("text.csv", header + good + "2020-01-03,1,abc,0.5,1.5,1.5,100\n");
  EXPECT_NE(e.find("text.csv:3: column 3: (high) expected a number, found"), std::string::npos) << e;
  e = error_of("back.csv", header + good + "2020-01-01,1,2,0.5,1.5,1.5,100\n");
  EXPECT_NE(e.find("does not come after the previous row's 2020-01-02"), std::string::npos) << e;
  e = error_of("neg.csv", header + good + "2020-01-03,1,2,0.5,-1.5,1.5,100\n");
  EXPECT_NE(e.find("'close' is -1.5; expected a price > 0"), std::string::npos) << e;
  e = error_of("nocol.csv", "Date,Open,High,Low,Volume\n" + good);
  EXPECT_NE(e.find("no 'close' column"), std::string::npos) << e;
  e = error_of("date.csv", header + "01/02/2020,1,2,0.5,1.5,1.5,100\n");
  EXPECT_NE(e.find("date '01/02/2020' is not YYYY-MM-DD"), std::string::npos) << e;
}

TEST(SeattleWeather, SplitsByYearWithYesterdaysType) {
  const SeattleWeather w = load_seattle_weather(kSamples / "data/series/weather/seattle-weather.csv");
  ASSERT_EQ(w.rows(), 1461u);
  std::vector<std::size_t> rows;
  const auto d = seattle_splits(w, {}, &rows);
  EXPECT_EQ(d.test.size(), 365u);  // 2015
  EXPECT_EQ(d.validation.size(), 365u);  // 2014
  EXPECT_EQ(d.train.size(), 731u - 14u);  // 2012-2013 from day 14 on
  EXPECT_EQ(w.dates[rows.front()], "2015-01-01");
  // The last step of test window 0 carries yesterday's (2014-12-31) type one-hot and today's label.
  const std::size_t last = static_cast<std::size_t>(d.test.steps - 1);
  const int yesterday = w.type[rows.front() - 1];
  for (int c = 0; c < 5; ++c)
    EXPECT_EQ(d.test.inputs[last * kSeattleInputs + 6 + c], c == yesterday ? 1.0F : 0.0F);
  EXPECT_EQ(d.test.labels[last], w.type[rows.front()]);
}

TEST(SeattleWeather, BadFilesNameTheFileLineAndField) {
  const std::string header = "date,precipitation,temp_max,temp_min,wind,weather\n";
  auto error_of = [&](const std::string& name, const std::string& text) {
    try {
      load_seattle_weather(write_file(name, text));
    } catch (const DataFormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string e = error_of("w1.csv", header + "2012-01-01,0.0,12.8,5.0,4.7,hail\n");
  EXPECT_NE(e.find("w1.csv"), std::string::npos) << e;
  EXPECT_NE(e.find("weather 'hail' is not one of drizzle, fog, rain, snow, sun"), std::string::npos) << e;
  e = error_of("w2.csv", header + "2012-01-01,wet,12.8,5.0,4.7,rain\n");
  EXPECT_NE(e.find("w2.csv:2: column 2: (precipitation) expected a number"), std::string::npos) << e;
  e = error_of("w3.csv", "date,precipitation,temp_max,wind,weather\n");
  EXPECT_NE(e.find("no 'temp_min' column"), std::string::npos) << e;
}

}  // namespace
