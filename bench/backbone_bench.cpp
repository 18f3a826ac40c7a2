// Long-context forecasting benchmark (issue 9): Beijing PM2.5, the next 24 hours from every hour of a
// window (lfm/datasets/weather.h), for three models of about the same parameter count (within 5 %,
// checked): a hand-designed hybrid genome (liquid + short convolutions + windowed attention), a
// Transformer++ genome (full attention + SwiGLU), and a plain CfC. Prints one JSON object per model:
//
//   build/bench/backbone_bench [--data DIR] [--context H] [--epochs N] [--max-train N] [--threads N]
//                              [--out DIR] [--only NAME] [--latency-steps N]
//
//   parameters, active_parameters   trainable scalars; used per sample
//   test_mae, test_mae_ugm3         test MAE of the best epoch (validation MAE) in z-units, and in µg/m³
//   train_seconds                   wall time of training and evaluation
//   state_bytes_{1k,8k,32k}         streaming state per stream after that many samples
//   step_us_{1k,8k,32k}             mean time of one step-face sample after that many samples (real
//                                   weather rows, one thread), over --latency-steps samples
//
// Training is short by default (minutes on two cores): a context of 256 hours and 4 epochs. The
// streaming figures do not depend on the training context: a model steps through any number of
// samples (full attention up to its state's capacity).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "lfm/datasets/weather.h"
#include "lfm/trainer.h"

namespace {

using namespace liquid::lfm;
using Clock = std::chrono::steady_clock;

struct Candidate {
  std::string name;
  nlohmann::json model;
};

// About 35 k parameters each (the hybrid is the reference; the others are sized to it).
std::vector<Candidate> candidates() {
  return {
      {"hybrid", {{"model", "backbone"}, {"genome", "d32 liquid:32 conv:3 attn:h2,w64 conv:3 mlp:2 liquid:32 mlp:2"}}},
      {"transformer++", {{"model", "backbone"}, {"genome", "d32 attn:h2 mlp:4 attn:h2 mlp:4 attn:h2 mlp:3"}}},
      {"cfc", {{"model", "CfC"}, {"units", 64}, {"mode", "default"}, {"backbone_units", 128}, {"backbone_layers", 1}}},
  };
}

double step_microseconds(const Model& model, const SequenceDataset& rows, int64_t context, int steps) {
  ModelState state = model.initial_state(context + steps);
  ModelWorkspace ws = model.make_workspace();
  std::vector<float> y(model.output_size());
  const int64_t n_rows = int64_t(rows.inputs.size()) / model.input_size();
  auto row = [&](int64_t k) { return rows.inputs.data() + (k % n_rows) * model.input_size(); };
  for (int64_t k = 0; k < context; ++k) model.step(row(k), 1.0, state, y.data(), ws);
  const auto start = Clock::now();
  for (int64_t k = context; k < context + steps; ++k) model.step(row(k), 1.0, state, y.data(), ws);
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / steps;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path data = LIQUID_SOURCE_DIR "/../shared/data/series/weather", out = "out/backbone_bench";
  int context = 256, epochs = 4, max_train = 0, threads = 2, latency_steps = 200;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--data") data = value;
    else if (key == "--context") context = std::stoi(value);
    else if (key == "--epochs") epochs = std::stoi(value);
    else if (key == "--max-train") max_train = std::stoi(value);
    else if (key == "--threads") threads = std::stoi(value);
    else if (key == "--out") out = value;
    else if (key == "--only") only = value;
    else if (key == "--latency-steps") latency_steps = std::stoi(value);
    else {
      std::fprintf(stderr, "backbone_bench: unknown option %s\n", key.c_str());
      return 2;
    }
  }
  try {
    WeatherScale scale;
    WeatherOptions stream_options;
    stream_options.context = 1024;
    stream_options.stride = 1024;
    const DatasetSplits stream = load_weather(data, stream_options, &scale);  // normalised rows for the step face

    std::vector<Model> models;
    std::vector<TrainConfig> configs;
    for (const Candidate& c : candidates()) {
      const nlohmann::json j = {{"task", "weather"},
                                {"data", data.string()},
                                {"task_options", {{"context", context}}},
                                {"model", c.model},
                                {"optimizer", {{"kind", "adamw"}, {"lr", 0.003}, {"weight_decay", 1e-4}}},
                                {"schedule", {{"kind", "cosine"}, {"t_max", std::max(1, epochs)}}},
                                {"epochs", std::max(1, epochs)},
                                {"batch_size", 16},
                                {"clip_grad_norm", 1.0},
                                {"seed", 1},
                                {"loss", "mse"},
                                {"metric", "mae"},
                                {"max_train_sequences", max_train}};
      configs.push_back(train_config_from_json(j, c.name + ".json", "/"));
      models.push_back(make_model(configs.back(), stream.train));
    }
    const double reference = double(models[0].parameter_count());
    for (size_t k = 0; k < models.size(); ++k) {
      const double ratio = double(models[k].parameter_count()) / reference;
      if (std::abs(ratio - 1) > 0.05) {
        std::fprintf(stderr, "backbone_bench: %s has %lld parameters, %.1f %% off the hybrid's %.0f\n",
                     candidates()[k].name.c_str(), static_cast<long long>(models[k].parameter_count()),
                     100 * (ratio - 1), reference);
        return 1;
      }
    }
    for (size_t k = 0; k < models.size(); ++k) {
      const std::string name = candidates()[k].name;
      if (!only.empty() && name != only) continue;
      nlohmann::json r = {{"name", name},
                          {"model", configs[k].model},
                          {"parameters", models[k].parameter_count()},
                          {"active_parameters", models[k].active_parameter_count()},
                          {"context", context},
                          {"epochs", epochs}};
      if (epochs > 0) {
        const TrainResult t = train(configs[k], {.out_dir = out / name, .threads = threads});
        r["test_mae"] = t.test.mae;
        r["test_mae_ugm3"] = t.test.mae * scale.pm25_std;
        r["test_steps"] = t.test.counted;
        r["best_epoch"] = t.best_epoch;
        r["train_seconds"] = t.seconds;
      }
      const Model trained = epochs > 0 ? Model::load(out / name / "model.safetensors") : models[k];
      for (const auto& [label, ctx] : {std::pair{"1k", 1024}, std::pair{"8k", 8192}, std::pair{"32k", 32768}}) {
        r[std::string("state_bytes_") + label] = trained.state_bytes(ctx);
        r[std::string("step_us_") + label] = step_microseconds(trained, stream.train, ctx, latency_steps);
      }
      std::printf("%s\n", r.dump().c_str());
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "backbone_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
