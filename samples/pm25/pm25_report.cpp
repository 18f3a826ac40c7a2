// pm25_report: Beijing PM2.5 forecast 1 to 24 hours ahead by the shipped CfC and hybrid backbone,
// against persistence, the same hour yesterday and the hour-of-day climatology: test MAE per
// horizon in µg/m³, and a picture of MAE against horizon and of forecasts against the actual
// values over a stretch of the test period (samples/pm25/README.md).
//
//   pm25_report samples/data/series/weather/PRSA_data_2010.1.1-2014.12.31.csv
//       --cfc samples/models/pm25_cfc.safetensors --hybrid samples/models/pm25_hybrid.safetensors
//       --irregular samples/models/pm25_cfc_irregular.safetensors --png out/pm25/pm25_forecast.png
//
// The windows are the weather task's (lfm/datasets/weather.h) with the options the models were
// trained with (read from the model files). A forecast origin counts only where all 24 following
// hours were measured (the task's mask), so every horizon and every forecaster is scored on the
// same origins and targets; the origin's own hour may be missing (the models see its mask,
// persistence uses the last measured value).
//
// Also the irregular variant (--irregular, a CfC trained with the task option drop_missing: the NA
// rows dropped, each step's timespan the real gap): that model and the baselines on its own test
// origins (the measured hours whose 24 following hours were measured), then both CfCs, the hybrid
// and persistence on the origins both series score, matched by hour (targets are by time from the
// full file in both, so the same origin has the same targets).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lfm/datasets/weather.h"
#include "lfm/model.h"
#include "lfm/trainer.h"
#include "plot/figure.h"

namespace {

namespace lfm = liquid::lfm;
namespace plot = liquid::plot;

// A trained weather model and what its file says about how it was trained.
struct TrainedModel {
  std::string name;
  std::filesystem::path path;
  lfm::Model model;
  lfm::Normalization normalization;
  nlohmann::json task_options;
};

TrainedModel load_trained(const std::string& name, const std::filesystem::path& path) {
  const lfm::SafetensorsFile file = lfm::SafetensorsFile::read_file(path);
  const auto& meta = file.metadata();
  const auto task = meta.find("liquid.task");
  if (task == meta.end() || task->second != "weather")
    throw std::invalid_argument(path.string() + ": metadata 'liquid.task' is " +
                                (task == meta.end() ? "absent" : "'" + task->second + "'") +
                                "; expected 'weather' (a model from liquid train samples/train/pm25_*.json)");
  std::optional<lfm::Normalization> normalization = lfm::read_model_normalization(file);
  if (!normalization)
    throw std::invalid_argument(path.string() + ": no 'liquid.normalization' metadata; expected the input "
                                "statistics liquid train stores");
  const auto options = meta.find("liquid.task_options");
  nlohmann::json task_options =
      options == meta.end() ? nlohmann::json::object() : nlohmann::json::parse(options->second);
  return {name, path, lfm::Model::load(path), *normalization, task_options};
}

// The model's forecasts for every step of `raw` (a split loaded with normalize = false), in µg/m³,
// laid out as the targets.
std::vector<float> forecast_ugm3(const TrainedModel& m, const lfm::SequenceDataset& raw, int threads) {
  if (m.model.input_size() != raw.input_size || m.model.output_size() != raw.output_size)
    throw std::invalid_argument(m.path.string() + ": a model with " + std::to_string(m.model.input_size()) +
                                " inputs and " + std::to_string(m.model.output_size()) + " outputs; expected " +
                                std::to_string(raw.input_size) + " and " + std::to_string(raw.output_size));
  lfm::SequenceDataset input = raw;
  m.normalization.apply(input);
  // A missing PM2.5 reads as the training mean (z 0) with mask 0, as the model saw it in training;
  // the loader filled it with this file's own training mean, which differs on a slice of the data.
  for (size_t row = 0; row < input.inputs.size() / size_t(lfm::kWeatherInputs); ++row)
    if (input.inputs[row * lfm::kWeatherInputs + 1] < 0.5f) input.inputs[row * lfm::kWeatherInputs] = 0.0f;
  std::vector<float> y(input.targets.size());
  m.model.forward(input.inputs, input.timespans, int(input.size()), input.steps, y, {}, {}, threads);
  // Output 0 .. 23 are PM2.5 z-scored with the statistics of input 0 (weather.h).
  for (float& v : y) v = v * m.normalization.std[0] + m.normalization.mean[0];
  return y;
}

struct Forecaster {
  std::string name;
  std::vector<float> ugm3;  // as the targets: window x step x horizon
  plot::Color color;
  bool dashed = false;
};

// MAE per horizon of `forecast` against `actual` (both window x step x horizon) over the steps
// `origins`.
std::vector<double> mae_by_horizon(const std::vector<float>& forecast, const std::vector<float>& actual,
                                   const std::vector<size_t>& origins, size_t horizon) {
  std::vector<double> mae(horizon, 0.0);
  for (size_t p : origins)
    for (size_t h = 0; h < horizon; ++h) mae[h] += std::abs(forecast[p * horizon + h] - actual[p * horizon + h]);
  for (double& m : mae) m /= double(origins.size());
  return mae;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / double(v.size());
}

const std::vector<size_t> kShownHorizons = {1, 3, 6, 12, 24};

void print_header(size_t horizon) {
  std::printf("  %-30s", "");
  for (size_t h : kShownHorizons) std::printf(" %7zu h", h);
  std::printf("   mean 1..%zu\n", horizon);
}

void print_row(const std::string& name, const std::vector<double>& mae) {
  std::printf("  %-30s", name.c_str());
  for (size_t h : kShownHorizons) std::printf(" %9.2f", h <= mae.size() ? mae[h - 1] : std::nan(""));
  std::printf(" %12.2f\n", mean_of(mae));
}

// The steps the task's mask counts.
std::vector<size_t> scored_origins(const lfm::SequenceDataset& data) {
  std::vector<size_t> origins;
  for (size_t p = 0; p < data.mask.size(); ++p)
    if (data.mask[p]) origins.push_back(p);
  return origins;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Beijing PM2.5 1 to 24 hours ahead: CfC and hybrid backbone against persistence and seasonal baselines"};
  std::filesystem::path data_path, cfc_path = "samples/models/pm25_cfc.safetensors",
                                   hybrid_path = "samples/models/pm25_hybrid.safetensors",
                                   irregular_path = "samples/models/pm25_cfc_irregular.safetensors", png;
  double validation_fraction = 0.15, test_fraction = 0.15, max_mae = 0, min_margin = std::nan("");
  int plot_days = 14, threads = 0;
  app.add_option("data", data_path, "PRSA_data_2010.1.1-2014.12.31.csv or a slice of it")->required();
  app.add_option("--cfc", cfc_path, "the CfC (liquid train samples/train/pm25_cfc.json)")->capture_default_str();
  app.add_option("--hybrid", hybrid_path, "the hybrid backbone (liquid train samples/train/pm25_hybrid.json)")
      ->capture_default_str();
  app.add_option("--irregular", irregular_path,
                 "the CfC on the series with the NA rows dropped (liquid train samples/train/pm25_cfc_irregular.json)")
      ->capture_default_str();
  app.add_option("--validation-fraction", validation_fraction,
                 "the chronological split of the file's rows (the training period gives the baselines' statistics)")
      ->capture_default_str();
  app.add_option("--test-fraction", test_fraction, "the last rows scored")->capture_default_str();
  app.add_option("--png", png, "write MAE against horizon and forecasts against the actual values here");
  app.add_option("--plot-days", plot_days, "days of the test period drawn")->capture_default_str();
  app.add_option("--threads", threads, "threads for the models (0: one per core)");
  app.add_option("--max-mae", max_mae, "fail if a model's MAE over horizons 1..24 exceeds this (µg/m³)");
  app.add_option("--min-margin", min_margin,
                 "fail unless each model's MAE over horizons 1..24 is this much under the better seasonal "
                 "baseline's (µg/m³)");
  CLI11_PARSE(app, argc, argv);
  try {
    const std::vector<TrainedModel> models = {load_trained("CfC (liquid)", cfc_path),
                                              load_trained("hybrid backbone", hybrid_path)};
    if (models[0].task_options != models[1].task_options)
      throw std::invalid_argument(hybrid_path.string() + ": trained with task_options " +
                                  models[1].task_options.dump() + ", " + cfc_path.string() + " with " +
                                  models[0].task_options.dump() + "; expected the same windows");
    const TrainedModel irregular = load_trained("CfC irregular (NA dropped)", irregular_path);
    lfm::WeatherOptions options = lfm::weather_task_options(models[0].task_options);
    lfm::WeatherOptions irregular_options = lfm::weather_task_options(irregular.task_options);
    if (options.drop_missing)
      throw std::invalid_argument(cfc_path.string() + ": trained with task option drop_missing; expected the "
                                  "regular (masked) series (pass that model as --irregular)");
    if (!irregular_options.drop_missing)
      throw std::invalid_argument(irregular_path.string() + ": trained without task option drop_missing; expected "
                                  "the irregular series (samples/train/pm25_cfc_irregular.json)");
    for (lfm::WeatherOptions* o : {&options, &irregular_options}) {
      o->normalize = false;
      o->validation_fraction = validation_fraction;
      o->test_fraction = test_fraction;
    }
    lfm::WeatherScale scale;
    lfm::WeatherStepHours hours;
    const lfm::DatasetSplits splits = lfm::load_weather(data_path, options, &scale, &hours);
    const lfm::SequenceDataset& test = splits.test;
    if (test.size() == 0)
      throw std::invalid_argument(data_path.string() + ": no test window (context " + std::to_string(options.context) +
                                  " + 24 hours inside the last " + std::to_string(test_fraction) + " of the rows)");
    const size_t horizon = size_t(test.output_size), steps = size_t(test.steps);
    auto to_ugm3 = [&](std::vector<float> z) {
      for (float& v : z) v = v * scale.pm25_std + scale.pm25_mean;
      return z;
    };
    const std::vector<float> actual = to_ugm3(test.targets);
    const lfm::WeatherBaselines b = lfm::weather_baselines(test, scale);
    std::vector<Forecaster> f = {
        {models[0].name, forecast_ugm3(models[0], test, threads), plot::kVermillion},
        {models[1].name, forecast_ugm3(models[1], test, threads), plot::kBlue},
        {"persistence (last measured)", to_ugm3(b.persistence), plot::kBlack, true},
        {"same hour yesterday", to_ugm3(b.same_hour_yesterday), plot::kGreen, true},
        {"hour-of-day climatology", to_ugm3(b.hour_of_day), plot::kPurple, true},
    };

    // MAE per forecaster and horizon over the counted origins.
    const std::vector<size_t> origin_steps = scored_origins(test);
    const size_t origins = origin_steps.size();
    if (origins == 0) throw std::invalid_argument(data_path.string() + ": no test origin has its 24 hours measured");
    std::vector<std::vector<double>> mae;
    std::vector<double> mean;
    for (const Forecaster& k : f) {
      mae.push_back(mae_by_horizon(k.ugm3, actual, origin_steps, horizon));
      mean.push_back(mean_of(mae.back()));
    }

    std::printf("Beijing PM2.5, %s: %zu test windows of %zu hours, %zu forecast origins with all %zu hours ahead "
                "measured\n",
                data_path.filename().string().c_str(), test.size(), steps, origins, horizon);
    std::printf("(training period's PM2.5: mean %.2f, std %.2f µg/m³)\n", scale.pm25_mean, scale.pm25_std);
    std::printf("test MAE (µg/m³) by hours ahead\n");
    print_header(horizon);
    for (size_t k = 0; k < f.size(); ++k) print_row(f[k].name, mae[k]);
    std::printf("  (mean in z-units of the training period: CfC %.4f, hybrid %.4f, persistence %.4f)\n",
                mean[0] / scale.pm25_std, mean[1] / scale.pm25_std, mean[2] / scale.pm25_std);
    std::printf("all horizons (h: CfC hybrid persistence same-hour-yesterday climatology)\n");
    for (size_t h = 0; h < horizon; ++h)
      std::printf("  %2zu: %6.2f %6.2f %6.2f %6.2f %6.2f\n", h + 1, mae[0][h], mae[1][h], mae[2][h], mae[3][h],
                  mae[4][h]);

    // The irregular series: the same file with its NA rows dropped. Its targets have the same scale
    // (the statistics are the file's training period's either way: weather.h).
    lfm::WeatherStepHours irregular_hours;
    const lfm::DatasetSplits irregular_splits = lfm::load_weather(data_path, irregular_options, nullptr, &irregular_hours);
    const lfm::SequenceDataset& itest = irregular_splits.test;
    const std::vector<size_t> irregular_steps = scored_origins(itest);
    if (irregular_steps.empty())
      throw std::invalid_argument(data_path.string() + ": no origin of the irregular test series has its 24 hours measured");
    const std::vector<float> iactual = to_ugm3(itest.targets);
    const lfm::WeatherBaselines ib = lfm::weather_baselines(itest, scale);
    const std::vector<Forecaster> fi = {
        {irregular.name, forecast_ugm3(irregular, itest, threads), plot::kVermillion},
        {f[2].name, to_ugm3(ib.persistence), plot::kBlack, true},
        {f[3].name, to_ugm3(ib.same_hour_yesterday), plot::kGreen, true},
        {f[4].name, to_ugm3(ib.hour_of_day), plot::kPurple, true},
    };
    std::vector<std::vector<double>> imae;
    for (const Forecaster& k : fi) imae.push_back(mae_by_horizon(k.ugm3, iactual, irregular_steps, horizon));
    float longest_gap = 0;
    for (float gap : itest.timespans) longest_gap = std::max(longest_gap, gap);
    std::printf("\nirregular series, NA rows dropped (%s): %zu test windows of %zu steps 1 to %.0f hours apart, %zu "
                "forecast origins (measured hours with all %zu hours ahead measured)\n",
                irregular_path.filename().string().c_str(), itest.size(), size_t(itest.steps), double(longest_gap),
                irregular_steps.size(), horizon);
    print_header(horizon);
    for (size_t k = 0; k < fi.size(); ++k) print_row(fi[k].name, imae[k]);

    // The origins both series score, matched by hour.
    std::map<double, size_t> regular_at;  // hour -> regular test step
    for (size_t p : origin_steps) regular_at[hours.test[p]] = p;
    std::vector<size_t> common_regular, common_irregular;
    for (size_t q : irregular_steps)
      if (const auto it = regular_at.find(irregular_hours.test[q]); it != regular_at.end()) {
        common_regular.push_back(it->second);
        common_irregular.push_back(q);
      }
    if (common_regular.empty()) {
      std::printf("no origin is scored by both series\n");
    } else {
      std::printf("on the %zu origins both score (regular %zu, irregular %zu)\n", common_regular.size(), origins,
                  irregular_steps.size());
      print_header(horizon);
      print_row(f[0].name + ", regular", mae_by_horizon(f[0].ugm3, actual, common_regular, horizon));
      print_row(f[1].name + ", regular", mae_by_horizon(f[1].ugm3, actual, common_regular, horizon));
      print_row(fi[0].name, mae_by_horizon(fi[0].ugm3, iactual, common_irregular, horizon));
      print_row(f[2].name, mae_by_horizon(f[2].ugm3, actual, common_regular, horizon));
    }

    if (!png.empty()) {
      // The stretch: the first plot_days days of test origins. With stride == scored_steps the
      // windows' scored steps follow one another hour by hour, so origin i is hour i of the period.
      if (options.stride != options.scored_steps)
        throw std::invalid_argument("--png: the models' task_options have stride " + std::to_string(options.stride) +
                                    " != scored_steps " + std::to_string(options.scored_steps) +
                                    "; the forecast panels need every hour scored once, in order");
      // Both forecast panels show the same hours, from hour 24 of the period on (the first a
      // 24-hour forecast can reach).
      const size_t shown_hours = size_t(plot_days) * 24;
      std::vector<size_t> origins_in_order;  // indices into the steps, in hour order
      for (size_t w = 0; w < test.size(); ++w)
        for (size_t s = steps - size_t(options.scored_steps); s < steps; ++s)
          if (origins_in_order.size() < shown_hours + 24) origins_in_order.push_back(w * steps + s);
      if (origins_in_order.size() < shown_hours + 24)
        throw std::invalid_argument("--plot-days " + std::to_string(plot_days) + ": the test period has " +
                                    std::to_string(origins_in_order.size()) + " hours; expected at least " +
                                    std::to_string(shown_hours + 24));
      plot::Figure fig(1400, 1400, 3, 1);  // text in ASCII: the plot's font has no µ or ³
      fig.set_title("Beijing PM2.5, " + data_path.filename().string() + ": test forecasts");
      plot::Axes& top = fig.axes(0);
      top.set_title("test MAE against hours ahead (" + std::to_string(origins) + " origins)")
          .set_x_label("hours ahead")
          .set_y_label("MAE (ug/m3)")
          .set_x_integer();
      std::vector<double> hours;
      for (size_t h = 1; h <= horizon; ++h) hours.push_back(double(h));
      for (size_t k = 0; k < f.size(); ++k) {
        plot::Series& s = top.line(hours, mae[k], f[k].name);
        s.color = f[k].color, s.dashed = f[k].dashed;
      }
      for (const size_t ahead : {size_t(1), horizon}) {
        plot::Axes& ax = fig.axes(ahead == 1 ? 1 : 2);
        ax.set_title("forecast " + std::to_string(ahead) + " h ahead against the measured value, days 1 to " +
                     std::to_string(plot_days + 1) + " of the test period")
            .set_x_label("day of the test period (of the hour forecast)")
            .set_y_label("PM2.5 (ug/m3)");
        std::vector<double> x, truth;
        std::vector<std::vector<double>> y(f.size());
        for (size_t i = 24 - ahead; i < 24 - ahead + shown_hours; ++i) {  // origin i forecasts hour i + ahead
          const size_t origin = origins_in_order[i], at = origin * horizon + ahead - 1;
          x.push_back(double(i + ahead) / 24);
          // The measured value of hour i + ahead: its own step's input 0, where input 1 says so.
          const float* row = &test.inputs[origins_in_order[i + ahead] * size_t(lfm::kWeatherInputs)];
          truth.push_back(row[1] > 0.5f ? double(row[0]) : std::nan(""));
          for (size_t k = 0; k < f.size(); ++k) y[k].push_back(f[k].ugm3[at]);
        }
        plot::Series& t = ax.line(x, truth, "measured");
        t.color = plot::kSkyBlue, t.line_width = 3;
        // The models and the baseline that is that horizon's best simple rule.
        for (size_t k : {size_t(0), size_t(1), size_t(ahead == 1 ? 2 : 3)}) {
          plot::Series& s = ax.line(x, y[k], f[k].name);
          s.color = f[k].color, s.dashed = f[k].dashed, s.line_width = 1;
        }
      }
      fig.save_png(png);
      std::printf("wrote %s\n", png.string().c_str());
    }

    // Each model against the floors, on its own series' origins.
    bool ok = true;
    auto check_floors = [&](const std::string& name, double model_mae, double seasonal) {
      if (max_mae > 0 && model_mae > max_mae) {
        std::fprintf(stderr, "pm25_report: %s MAE %.2f µg/m³ is over the ceiling %.2f\n", name.c_str(), model_mae,
                     max_mae);
        ok = false;
      }
      if (!std::isnan(min_margin) && seasonal - model_mae < min_margin) {
        std::fprintf(stderr, "pm25_report: %s MAE %.2f µg/m³ is not %.2f under the better seasonal baseline's %.2f\n",
                     name.c_str(), model_mae, min_margin, seasonal);
        ok = false;
      }
    };
    for (size_t k = 0; k < models.size(); ++k) check_floors(f[k].name, mean[k], std::min(mean[3], mean[4]));
    check_floors(fi[0].name, mean_of(imae[0]), std::min(mean_of(imae[2]), mean_of(imae[3])));
    return ok ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pm25_report: %s\n", e.what());
    return 1;
  }
}
