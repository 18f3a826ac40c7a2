// The Beijing PM2.5 forecasting task on the first 1,200 hours of the real file: windows, masks,
// chronological splits, targets against the CSV itself, option and row errors, and a short
// training run of a backbone model through the trainer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "lfm/datasets/weather.h"
#include "lfm/trainer.h"

namespace liquid::lfm {
namespace {

using ::testing::HasSubstr;
const std::filesystem::path kFile = LIQUID_TEST_DATA "/series/prsa_beijing_1200h.csv";

// Column 6 (pm2.5) of every data row; NaN for NA.
std::vector<double> pm25_column() {
  std::ifstream in(kFile);
  std::string line;
  std::getline(in, line);
  std::vector<double> v;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string f;
    for (int c = 0; c < 6; ++c) std::getline(ss, f, ',');
    v.push_back(f == "NA" ? std::nan("") : std::stod(f));
  }
  return v;
}

TEST(Weather, WindowsTargetsMasksAndChronologicalSplits) {
  WeatherOptions o;
  o.context = 96;
  WeatherScale scale;
  const DatasetSplits s = load_weather(kFile, o, &scale);
  s.check_shapes();
  EXPECT_EQ(s.train.input_size, kWeatherInputs);
  EXPECT_EQ(s.train.output_size, 24);
  EXPECT_EQ(s.train.steps, 96);
  // 1,200 rows cut at 840 and 1,020: windows whose scored targets lie inside one period.
  EXPECT_GT(s.train.size(), 20u);
  EXPECT_GT(s.validation.size(), 3u);
  EXPECT_GT(s.test.size(), 3u);
  EXPECT_EQ(s.train.size() + s.validation.size() + s.test.size(), 43u);  // of 46 window starts, 3 straddle a cut

  const std::vector<double> pm = pm25_column();
  // Window 0 starts at row 0: its step t forecasts rows t+1 .. t+24; only the last 24 steps count,
  // and only where all 24 are measured.
  const int H = 24, T = 96;
  for (int t = 0; t < T; ++t) {
    bool all = t >= T - 24;
    for (int h = 1; h <= H; ++h) {
      const double v = pm[size_t(t + h)];
      all = all && !std::isnan(v);
      const float expected = std::isnan(v) ? 0.0f : float((v - scale.pm25_mean) / scale.pm25_std);
      EXPECT_NEAR(s.train.targets[size_t(t) * H + h - 1], expected, 1e-5) << "t " << t << " h " << h;
    }
    EXPECT_EQ(s.train.mask[size_t(t)], all ? 1 : 0) << t;
    // Input 1 says whether this hour's PM2.5 was measured; a missing one reads 0 (the mean).
    EXPECT_EQ(s.train.inputs[size_t(t) * kWeatherInputs + 1], std::isnan(pm[size_t(t)]) ? 0.0f : 1.0f);
    if (std::isnan(pm[size_t(t)])) {
      EXPECT_EQ(s.train.inputs[size_t(t) * kWeatherInputs], 0.0f);
    }
    EXPECT_EQ(s.train.timespans[size_t(t)], 1.0f);
  }
  EXPECT_GT(scale.pm25_mean, 10.0f);  // µg/m³
  EXPECT_EQ(s.normalization.names[0], "pm2.5");
  EXPECT_FLOAT_EQ(s.normalization.mean[0], scale.pm25_mean);

  // Without normalisation the raw readings stay (a missing PM2.5 reads as the training mean).
  o.normalize = false;
  const DatasetSplits raw = load_weather(kFile, o);
  EXPECT_TRUE(raw.normalization.empty());
  EXPECT_FLOAT_EQ(raw.train.inputs[size_t(30) * kWeatherInputs], float(pm[30]));
  EXPECT_EQ(raw.train.targets, s.train.targets);  // targets are z-scored either way
}

// drop_missing: the steps are the measured rows only. The file is hourly from 2010-01-01 00:00 with
// PM2.5 NA at rows 0 .. 23, 545 .. 611 and 1058, so the kept rows 24 .. 544, 612 .. are 1 hour
// apart except 544 -> 612 (68 h) and 1057 -> 1059 (2 h). Every step of every window is checked
// against the CSV through its time: inputs, timespan (the real gap), targets by time (an NA hour
// masked), the periods cut at the rows' 70 % and 85 % as without the option, and the same-hour-
// yesterday baseline found by time across the gap.
TEST(Weather, DropMissingStepsAreTheMeasuredRowsWithTheirRealGaps) {
  WeatherOptions o;
  o.context = 96;
  o.normalize = false;
  o.drop_missing = true;
  WeatherScale scale;
  WeatherStepHours hours;
  const DatasetSplits s = load_weather(kFile, o, &scale, &hours);
  s.check_shapes();
  const std::vector<double> pm = pm25_column();
  std::vector<size_t> kept;  // rows with a measured PM2.5
  std::vector<long> kept_index(pm.size(), -1);
  for (size_t r = 0; r < pm.size(); ++r)
    if (!std::isnan(pm[r])) kept_index[r] = long(kept.size()), kept.push_back(r);
  ASSERT_EQ(kept.size(), 1108u);
  const double first_hour = 14610.0 * 24;  // 2010-01-01 00:00, hours since 1970
  auto z = [&](double v) { return float((v - scale.pm25_mean) / scale.pm25_std); };
  const int T = 96, H = 24;
  bool saw_long_gap = false;
  size_t scored = 0;
  const SequenceDataset* split[3] = {&s.train, &s.validation, &s.test};
  const std::vector<double>* split_hours[3] = {&hours.train, &hours.validation, &hours.test};
  for (int k = 0; k < 3; ++k) {
    const SequenceDataset& d = *split[k];
    ASSERT_GT(d.size(), 0u) << k;
    ASSERT_EQ(split_hours[k]->size(), d.timespans.size());
    const WeatherBaselines b = weather_baselines(d, scale);
    for (size_t w = 0; w < d.size(); ++w) {
      long previous = -1;
      for (size_t t = 0; t < size_t(T); ++t) {
        const size_t p = w * size_t(T) + t;
        const size_t row = size_t((*split_hours[k])[p] - first_hour);
        ASSERT_LT(row, pm.size());
        const long i = kept_index[row];
        ASSERT_GE(i, 0) << "step on an NA row " << row;
        if (previous >= 0) {
          EXPECT_EQ(i, previous + 1) << "steps are consecutive measured rows";
        }
        previous = i;
        const float gap = i == 0 ? 1.0f : float(row - kept[size_t(i) - 1]);
        EXPECT_EQ(d.timespans[p], gap) << row;
        saw_long_gap = saw_long_gap || gap == 68.0f;
        const float* x = &d.inputs[p * kWeatherInputs];
        EXPECT_FLOAT_EQ(x[0], float(pm[row]));
        EXPECT_EQ(x[1], 1.0f);
        EXPECT_NEAR(x[12], std::sin(2 * std::numbers::pi * double(row % 24) / 24), 1e-6);
        bool all = t >= size_t(T - 24);
        for (int h = 1; h <= H; ++h) {
          const double v = row + size_t(h) < pm.size() ? pm[row + size_t(h)] : std::nan("");
          all = all && !std::isnan(v);
          EXPECT_NEAR(d.targets[p * H + size_t(h) - 1], std::isnan(v) ? 0.0f : z(v), 1e-5) << row << " " << h;
          // Same hour yesterday: the step of hour row + h - 24 if the window holds it.
          float yesterday = z(pm[row]);
          for (size_t u = w * size_t(T); u <= p; ++u)
            if ((*split_hours[k])[u] == (*split_hours[k])[p] + h - 24) yesterday = z(pm[size_t((*split_hours[k])[u] - first_hour)]);
          EXPECT_NEAR(b.same_hour_yesterday[p * H + size_t(h) - 1], yesterday, 1e-5) << row << " " << h;
        }
        EXPECT_EQ(d.mask[p], all ? 1 : 0) << row;
        if (!d.mask[p]) continue;
        ++scored;
        // The scored targets lie in the step's period: rows 0 .. 839, 840 .. 1019, 1020 .. 1199.
        const size_t begin[3] = {0, 840, 1020}, end[3] = {840, 1020, 1200};
        EXPECT_GE(row + 1, begin[k]) << row;
        EXPECT_LT(row + size_t(H), end[k]) << row;
      }
    }
  }
  EXPECT_TRUE(saw_long_gap);
  EXPECT_GT(scored, 500u);
  // The same statistics as the regular series (the file's training period).
  WeatherScale regular;
  o.drop_missing = false;
  load_weather(kFile, o, &regular);
  EXPECT_EQ(regular.pm25_mean, scale.pm25_mean);
  EXPECT_EQ(regular.pm25_std, scale.pm25_std);
}

TEST(Weather, ErrorsNameTheOptionOrTheLine) {
  WeatherOptions o;
  o.context = 40000;
  EXPECT_THAT([&] { load_weather(kFile, o); }, ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("context")));
  o.context = 48;
  o.scored_steps = 60;
  EXPECT_THAT([&] { load_weather(kFile, o); }, ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("scored_steps")));

  const auto bad = std::filesystem::temp_directory_path() / "liquid_weather_test_bad.csv";
  {
    std::ofstream out(bad);
    out << "No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir\n"
        << "1,2010,1,1,0,NA,-21,-11,1021,NW,1.79,0,0\n"
        << "2,2010,1,1,1,12,-21,warm,1020,NW,4.92,0,0\n";
  }
  try {
    load_weather(bad, {});
    FAIL() << "no error";
  } catch (const DataFormatError& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(e.column(), 8u);
    EXPECT_THAT(e.what(), HasSubstr("TEMP"));
  }
  std::filesystem::remove(bad);

  const nlohmann::json base = {{"task", "weather"}, {"data", kFile.string()}, {"model", {{"model", "CfC"}, {"units", 8}}}};
  nlohmann::json j = base;
  j["task_options"] = {{"context", "long"}};
  EXPECT_THAT([&] { train_config_from_json(j, "w.json", "/"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("w.json: field 'task_options.context'")));
  j["task_options"] = {{"drop_missing", 1}};
  EXPECT_THAT([&] { train_config_from_json(j, "w.json", "/"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("'task_options.drop_missing': expected true or false")));
  EXPECT_TRUE(weather_task_options({{"context", 48}, {"drop_missing", true}}).drop_missing);
  EXPECT_FALSE(weather_task_options({{"context", 48}}).drop_missing);
  j["task_options"] = {{"window", 5}};
  EXPECT_THAT([&] { train_config_from_json(j, "w.json", "/"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("'task_options.window': unknown")));
  j = base;
  j["task"] = "traffic";
  j["task_options"] = {{"context", 5}};
  EXPECT_THAT([&] { train_config_from_json(j, "w.json", "/"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("task 'traffic' takes no options")));
}

// The baselines against the CSV itself: window 0 of the training split starts at row 0 (2010-01-01
// 00:00, hourly, so row r is hour r % 24), and each forecast reads only rows up to its step.
TEST(Weather, BaselinesReadThePastAndTheTrainingPeriodsHourMeans) {
  WeatherOptions o;
  o.context = 96;
  o.normalize = false;
  WeatherScale scale;
  const DatasetSplits s = load_weather(kFile, o, &scale);
  const WeatherBaselines b = weather_baselines(s.train, scale);
  ASSERT_EQ(b.persistence.size(), s.train.targets.size());
  const std::vector<double> pm = pm25_column();
  // The training period is rows 0 .. 839 (70 % of 1,200).
  std::array<double, 24> sum{}, count{};
  for (size_t r = 0; r < 840; ++r)
    if (!std::isnan(pm[r])) sum[r % 24] += pm[r], count[r % 24] += 1;
  for (size_t hour = 0; hour < 24; ++hour) EXPECT_NEAR(scale.pm25_by_hour[hour], sum[hour] / count[hour], 1e-3);
  auto z = [&](double v) { return float((v - scale.pm25_mean) / scale.pm25_std); };
  double last = scale.pm25_mean;  // before the first measurement
  for (size_t t = 0; t < 96; ++t) {
    if (!std::isnan(pm[t])) last = pm[t];
    for (size_t h = 1; h <= 24; ++h) {
      const size_t i = t * 24 + h - 1;
      EXPECT_NEAR(b.persistence[i], z(last), 1e-5) << t << " " << h;
      const bool yesterday = t + h >= 24 && !std::isnan(pm[t + h - 24]);
      EXPECT_NEAR(b.same_hour_yesterday[i], yesterday ? z(pm[t + h - 24]) : z(last), 1e-5) << t << " " << h;
      EXPECT_NEAR(b.hour_of_day[i], z(scale.pm25_by_hour[(t + h) % 24]), 1e-5) << t << " " << h;
    }
  }
  SequenceDataset other = s.train;
  other.input_names[12] = "light";
  EXPECT_THAT([&] { weather_baselines(other, scale); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("weather task's 16 inputs")));
}

TEST(Weather, BackboneTrainsAndTheFileRemembersTheWindow) {
  const nlohmann::json j = {
      {"task", "weather"},
      {"data", kFile.string()},
      {"task_options", {{"context", 96}}},
      {"model", {{"model", "backbone"}, {"genome", "d16 liquid:16 conv:3 attn:h2,w32 mlp:2"}}},
      {"optimizer", {{"kind", "adamw"}, {"lr", 0.005}}},
      {"epochs", 4},
      {"batch_size", 8},
      {"seed", 2},
      {"loss", "mse"},
      {"metric", "mae"}};
  const TrainConfig config = train_config_from_json(j, "weather.json", "/");
  const auto dir = std::filesystem::temp_directory_path() / "liquid_weather_test_train";
  std::filesystem::remove_all(dir);
  const TrainResult r = train(config, {.out_dir = dir, .threads = 2});
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
  EXPECT_FALSE(std::isnan(r.test.mae));
  const SafetensorsFile file = SafetensorsFile::read_file(dir / "model.safetensors");
  EXPECT_EQ(nlohmann::json::parse(file.metadata().at("liquid.task_options")), nlohmann::json({{"context", 96}}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace liquid::lfm
