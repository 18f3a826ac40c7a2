// weather_report: the Seattle weather-type classifier on its test year against the majority class
// and persistence (yesterday's type), with a confusion matrix (samples/weather/README.md).
//
//   weather_report --model samples/models/seattle_weather_cfc.safetensors
//       samples/data/series/weather/seattle-weather.csv --png out/weather/confusion.png
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "lfm/model.h"
#include "plot/charts.h"
#include "tasks/seattle_weather.h"

int main(int argc, char** argv) {
  namespace lq = liquid;
  CLI::App app{"Seattle daily weather type: a trained CfC against the majority class and persistence"};
  std::filesystem::path model_path = "samples/models/seattle_weather_cfc.safetensors", data_path, png;
  double min_accuracy = 0, min_margin = std::nan("");
  app.add_option("data", data_path, "seattle-weather.csv")->required();
  app.add_option("--model", model_path, "the trained model (liquid train samples/train/seattle_weather_cfc.json)")
      ->capture_default_str();
  app.add_option("--png", png, "write the confusion matrix here");
  app.add_option("--min-accuracy", min_accuracy, "fail under this test accuracy");
  app.add_option("--min-margin", min_margin, "fail unless accuracy - the best baseline's reaches this");
  CLI11_PARSE(app, argc, argv);
  try {
    const lq::tasks::SeattleWeather w = lq::tasks::load_seattle_weather(data_path);
    std::vector<std::size_t> rows;
    const lq::lfm::DatasetSplits splits = lq::tasks::seattle_splits(w, {}, &rows);
    const lq::lfm::Model model = lq::lfm::Model::load(model_path);
    const auto& classes = lq::tasks::seattle_weather_classes();
    const int k = static_cast<int>(classes.size());
    if (model.input_size() != splits.test.input_size || model.output_size() != k)
      throw std::invalid_argument(model_path.string() + ": a model with " + std::to_string(model.input_size()) +
                                  " inputs and " + std::to_string(model.output_size()) + " outputs; expected " +
                                  std::to_string(splits.test.input_size) + " and " + std::to_string(k));
    const lq::lfm::SequenceDataset& test = splits.test;
    const int n = static_cast<int>(test.size()), steps = test.steps;
    std::vector<float> y(static_cast<std::size_t>(n) * steps * k);
    model.forward(test.inputs, test.timespans, n, steps, y);

    // The majority class of the training days.
    std::vector<int> train_counts(k, 0);
    for (std::size_t i = 0; i < splits.train.labels.size(); ++i)
      if (splits.train.mask[i]) ++train_counts[splits.train.labels[i]];
    const int majority =
        static_cast<int>(std::max_element(train_counts.begin(), train_counts.end()) - train_counts.begin());

    std::vector<std::vector<std::int64_t>> confusion(k, std::vector<std::int64_t>(k, 0));
    int right = 0, right_majority = 0, right_persistence = 0;
    for (int i = 0; i < n; ++i) {
      const std::size_t t = rows[static_cast<std::size_t>(i)];
      const float* logits = &y[(static_cast<std::size_t>(i) * steps + steps - 1) * k];
      const int predicted = static_cast<int>(std::max_element(logits, logits + k) - logits);
      const int truth = w.type[t];
      ++confusion[truth][predicted];
      right += predicted == truth;
      right_majority += majority == truth;
      right_persistence += w.type[t - 1] == truth;
    }
    const double acc = static_cast<double>(right) / n, acc_majority = static_cast<double>(right_majority) / n,
                 acc_persistence = static_cast<double>(right_persistence) / n;
    std::printf("Seattle weather type, test days %s .. %s (%d days; trained on %zu days, validated on %zu)\n",
                w.dates[rows.front()].c_str(), w.dates[rows.back()].c_str(), n, splits.train.size(),
                splits.validation.size());
    std::printf("  %-44s %8.2f %%\n", "CfC (liquid)", 100 * acc);
    std::printf("  %-44s %8.2f %%\n", ("always the training majority (" + classes[majority] + ")").c_str(),
                100 * acc_majority);
    std::printf("  %-44s %8.2f %%\n", "persistence (yesterday's type)", 100 * acc_persistence);
    std::printf("  per class (true: predicted counts %s):\n", "drizzle fog rain snow sun");
    for (int c = 0; c < k; ++c) {
      std::printf("    %-8s", classes[c].c_str());
      std::int64_t total = 0;
      for (int p = 0; p < k; ++p) {
        std::printf(" %4lld", static_cast<long long>(confusion[c][p]));
        total += confusion[c][p];
      }
      std::printf("   recall %s\n",
                  total ? (std::to_string(static_cast<int>(100.0 * confusion[c][c] / total + 0.5)) + " %").c_str()
                        : "-");
    }
    if (!png.empty())
      lq::plot::write_confusion(png, confusion, classes, "Seattle weather type, " + w.dates[rows.front()].substr(0, 4) +
                                                              " test days, CfC");
    bool ok = true;
    if (acc < min_accuracy) {
      std::fprintf(stderr, "weather_report: accuracy %.4f is under the floor %.4f\n", acc, min_accuracy);
      ok = false;
    }
    if (!std::isnan(min_margin) && acc - std::max(acc_majority, acc_persistence) < min_margin) {
      std::fprintf(stderr, "weather_report: accuracy %.4f minus the best baseline's %.4f is under %.4f\n", acc,
                   std::max(acc_majority, acc_persistence), min_margin);
      ok = false;
    }
    return ok ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weather_report: %s\n", e.what());
    return 1;
  }
}
