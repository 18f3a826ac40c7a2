// pm25_report: Beijing PM2.5 forecast 1 to 24 hours ahead by the shipped CfC and hybrid backbone,
// against persistence, the same hour yesterday and the hour-of-day climatology: test MAE per
// horizon in µg/m³, and a picture of MAE against horizon and of forecasts against the actual
// values over a stretch of the test period (samples/pm25/README.md).
//
//   pm25_report samples/data/series/weather/PRSA_data_2010.1.1-2014.12.31.csv
//       --cfc samples/models/pm25_cfc.safetensors --hybrid samples/models/pm25_hybrid.safetensors
//       --png out/pm25/pm25_forecast.png
//
// The windows are the weather task's (lfm/datasets/weather.h) with the options the models were
// trained with (read from the model files). A forecast origin counts only where all 24 following
// hours were measured (the task's mask), so every horizon and every forecaster is scored on the
// same origins and targets; the origin's own hour may be missing (the models see its mask,
// persistence uses the last measured value).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Beijing PM2.5 1 to 24 hours ahead: CfC and hybrid backbone against persistence and seasonal baselines"};
  std::filesystem::path data_path, cfc_path = "samples/models/pm25_cfc.safetensors",
                                   hybrid_path = "samples/models/pm25_hybrid.safetensors", png;
  double validation_fraction = 0.15, test_fraction = 0.15, max_mae = 0, min_margin = std::nan("");
  int plot_days = 14, threads = 0;
  app.add_option("data", data_path, "PRSA_data_2010.1.1-2014.12.31.csv or a slice of it")->required();
  app.add_option("--cfc", cfc_path, "the CfC (liquid train samples/train/pm25_cfc.json)")->capture_default_str();
  app.add_option("--hybrid", hybrid_path, "the hybrid backbone (liquid train samples/train/pm25_hybrid.json)")
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
    lfm::WeatherOptions options = lfm::weather_task_options(models[0].task_options);
    options.normalize = false;
    options.validation_fraction = validation_fraction;
    options.test_fraction = test_fraction;
    lfm::WeatherScale scale;
    const lfm::DatasetSplits splits = lfm::load_weather(data_path, options, &scale);
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
    std::vector<std::vector<double>> mae(f.size(), std::vector<double>(horizon, 0.0));
    size_t origins = 0;
    for (size_t p = 0; p < test.mask.size(); ++p) {
      if (!test.mask[p]) continue;
      ++origins;
      for (size_t k = 0; k < f.size(); ++k)
        for (size_t h = 0; h < horizon; ++h)
          mae[k][h] += std::abs(f[k].ugm3[p * horizon + h] - actual[p * horizon + h]);
    }
    if (origins == 0) throw std::invalid_argument(data_path.string() + ": no test origin has its 24 hours measured");
    std::vector<double> mean(f.size(), 0.0);
    for (size_t k = 0; k < f.size(); ++k) {
      for (double& m : mae[k]) m /= double(origins);
      for (double m : mae[k]) mean[k] += m / double(horizon);
    }

    std::printf("Beijing PM2.5, %s: %zu test windows of %zu hours, %zu forecast origins with all %zu hours ahead "
                "measured\n",
                data_path.filename().string().c_str(), test.size(), steps, origins, horizon);
    std::printf("(training period's PM2.5: mean %.2f, std %.2f µg/m³)\n", scale.pm25_mean, scale.pm25_std);
    std::printf("test MAE (µg/m³) by hours ahead\n  %-30s", "");
    const std::vector<size_t> shown = {1, 3, 6, 12, 24};
    for (size_t h : shown) std::printf(" %7zu h", h);
    std::printf("   mean 1..%zu\n", horizon);
    for (size_t k = 0; k < f.size(); ++k) {
      std::printf("  %-30s", f[k].name.c_str());
      for (size_t h : shown) std::printf(" %9.2f", h <= horizon ? mae[k][h - 1] : std::nan(""));
      std::printf(" %12.2f\n", mean[k]);
    }
    std::printf("  (mean in z-units of the training period: CfC %.4f, hybrid %.4f, persistence %.4f)\n",
                mean[0] / scale.pm25_std, mean[1] / scale.pm25_std, mean[2] / scale.pm25_std);
    std::printf("all horizons (h: CfC hybrid persistence same-hour-yesterday climatology)\n");
    for (size_t h = 0; h < horizon; ++h)
      std::printf("  %2zu: %6.2f %6.2f %6.2f %6.2f %6.2f\n", h + 1, mae[0][h], mae[1][h], mae[2][h], mae[3][h],
                  mae[4][h]);

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

    bool ok = true;
    const double seasonal = std::min(mean[3], mean[4]);
    for (size_t k = 0; k < models.size(); ++k) {
      if (max_mae > 0 && mean[k] > max_mae) {
        std::fprintf(stderr, "pm25_report: %s MAE %.2f µg/m³ is over the ceiling %.2f\n", f[k].name.c_str(), mean[k],
                     max_mae);
        ok = false;
      }
      if (!std::isnan(min_margin) && seasonal - mean[k] < min_margin) {
        std::fprintf(stderr, "pm25_report: %s MAE %.2f µg/m³ is not %.2f under the better seasonal baseline's %.2f\n",
                     f[k].name.c_str(), mean[k], min_margin, seasonal);
        ok = false;
      }
    }
    return ok ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pm25_report: %s\n", e.what());
    return 1;
  }
}
