// Long-context benchmarks (issue 9) for three models of about the same parameter count (within 5 %,
// checked): a hand-designed hybrid genome (liquid + short convolutions + windowed attention), a
// Transformer++ genome (full attention + SwiGLU), and a plain CfC; on weather also the best genome
// `liquid evolve` found. Two tasks:
//  * weather (default): Beijing PM2.5, the next 24 hours from every hour of a window
//    (lfm/datasets/weather.h);
//  * text: the next byte of Debian's licence texts, every byte of a window scored
//    (lfm/datasets/text.h); bits per byte on the held-out last 10 %.
// Prints one JSON object per model (first one for the baselines: text unigram; weather persistence
// and daily persistence):
//
//   build/bench/backbone_bench [--task weather|text] [--data DIR|FILE] [--context N] [--epochs N]
//                              [--max-train N] [--threads N] [--out DIR] [--only NAME]
//                              [--latency-steps N] [--seed N]
//
//   parameters, active_parameters   trainable scalars; used per sample
//   test_mae, test_mae_ugm3         weather: test MAE of the best epoch (validation MAE) in z-units,
//                                   and in µg/m³
//   test_bits_per_byte              text: test cross-entropy of the best epoch (validation loss) / ln 2
//   train_seconds                   wall time of training and evaluation
//   state_bytes_{1k,8k,32k}         streaming state per stream after that many samples
//   step_us_{1k,8k,32k}             mean time of one step-face sample after that many samples (real
//                                   weather rows or text bytes, one thread), over --latency-steps samples
//
// Training is short by default (minutes on two cores): a context of 256 hours (text: bytes) and 4
// epochs (text: 3). The
// streaming figures do not depend on the training context: a model steps through any number of
// samples (full attention up to its state's capacity).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include "lfm/datasets/text.h"
#include "lfm/datasets/weather.h"
#include "lfm/trainer.h"

namespace {

using namespace liquid::lfm;
using Clock = std::chrono::steady_clock;

struct Candidate {
  std::string name;
  nlohmann::json model;
};

// Weather: about 35 k parameters each (the hybrid is the reference; the others are sized to it).
// Text: about 203 k parameters each, most of the backbones' in the byte embedding (256 x 64) and the
// output head (64 x 256); the CfC's in its 256 + 128 input backbone layer and its 128 x 256 head.
std::vector<Candidate> candidates(bool text) {
  if (text)
    return {
        {"hybrid", {{"model", "backbone"}, {"genome", "d64 liquid:64 conv:3 attn:h4,w128 conv:3 mlp:2 liquid:64 mlp:2"}}},
        {"transformer++", {{"model", "backbone"}, {"genome", "d64 attn:h4 mlp:4 attn:h4 mlp:4 attn:h4 mlp:3"}}},
        {"cfc", {{"model", "CfC"}, {"units", 128}, {"mode", "default"}, {"backbone_units", 192}, {"backbone_layers", 1}}},
    };
  return {
      {"hybrid", {{"model", "backbone"}, {"genome", "d32 liquid:32 conv:3 attn:h2,w64 conv:3 mlp:2 liquid:32 mlp:2"}}},
      {"transformer++", {{"model", "backbone"}, {"genome", "d32 attn:h2 mlp:4 attn:h2 mlp:4 attn:h2 mlp:3"}}},
      {"cfc", {{"model", "CfC"}, {"units", 64}, {"mode", "default"}, {"backbone_units", 128}, {"backbone_layers", 1}}},
      // The best of `liquid evolve samples/evolve/weather.json` (samples/evolve/README.md): the
      // hybrid with a 16-token window of 4 query heads sharing one KV head.
      {"evolved", {{"model", "backbone"}, {"genome", "d32 liquid:32 conv:3 attn:h4,kv1,hd8,w16 conv:3 mlp:2 liquid:32 mlp:2"}}},
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

// The unigram baseline: the entropy of the training bytes' frequencies, and the test bytes' cross-
// entropy under those frequencies (add-one smoothed, so an unseen byte costs finite bits).
nlohmann::json unigram(const DatasetSplits& s) {
  std::vector<double> count(kTextClasses, 0.0);
  double total = 0;
  for (size_t p = 0; p < s.train.labels.size(); ++p)
    if (s.train.mask[p]) count[size_t(s.train.labels[p])] += 1, total += 1;
  double entropy = 0, cross = 0, test_total = 0;
  for (double c : count)
    if (c > 0) entropy -= c / total * std::log2(c / total);
  for (size_t p = 0; p < s.test.labels.size(); ++p)
    if (s.test.mask[p]) cross -= std::log2((count[size_t(s.test.labels[p])] + 1) / (total + kTextClasses)), test_total += 1;
  return {{"name", "unigram"}, {"train_entropy_bits", entropy}, {"test_bits_per_byte", cross / test_total},
          {"train_bytes", total}, {"test_steps", test_total}};
}

// Baselines on the weather test split (weather_baselines, lfm/datasets/weather.h: `test` loaded with
// normalize = false), scored on the models' steps and in their units (z, mean over every future
// hour): persistence (every future hour is the last measured PM2.5) and daily persistence (hour t+h
// is what it was 24 hours earlier, t+h-24, else the last measured).
nlohmann::json weather_baseline_scores(const SequenceDataset& test, const WeatherScale& scale) {
  const WeatherBaselines b = weather_baselines(test, scale);
  const size_t horizon = size_t(test.output_size);
  double persistence = 0, daily = 0, counted = 0;
  for (size_t p = 0; p < test.mask.size(); ++p) {
    if (!test.mask[p]) continue;
    for (size_t i = p * horizon; i < (p + 1) * horizon; ++i) {
      persistence += std::abs(test.targets[i] - b.persistence[i]);
      daily += std::abs(test.targets[i] - b.same_hour_yesterday[i]);
    }
    counted += 1;
  }
  const double n = counted * double(horizon);
  return {{"name", "baselines"},
          {"persistence_mae", persistence / n},
          {"persistence_mae_ugm3", persistence / n * scale.pm25_std},
          {"daily_persistence_mae", daily / n},
          {"daily_persistence_mae_ugm3", daily / n * scale.pm25_std},
          {"test_steps", counted}};
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path data, out;
  int context = 256, epochs = -1, max_train = 0, threads = 2, latency_steps = 200, seed = 1;
  std::string only, task = "weather";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--task") task = value;
    else if (key == "--data") data = value;
    else if (key == "--context") context = std::stoi(value);
    else if (key == "--epochs") epochs = std::stoi(value);
    else if (key == "--max-train") max_train = std::stoi(value);
    else if (key == "--threads") threads = std::stoi(value);
    else if (key == "--out") out = value;
    else if (key == "--only") only = value;
    else if (key == "--latency-steps") latency_steps = std::stoi(value);
    else if (key == "--seed") seed = std::stoi(value);
    else {
      std::fprintf(stderr, "backbone_bench: unknown option %s\n", key.c_str());
      return 2;
    }
  }
  if (task != "weather" && task != "text") {
    std::fprintf(stderr, "backbone_bench: --task must be weather or text, got %s\n", task.c_str());
    return 2;
  }
  const bool text = task == "text";
  if (data.empty())
    data = text ? LIQUID_SOURCE_DIR "/samples/data/text/common-licenses.txt"
                : LIQUID_SOURCE_DIR "/samples/data/series/weather/PRSA_data_2010.1.1-2014.12.31.csv";
  if (out.empty()) out = text ? "out/backbone_bench_text" : "out/backbone_bench";
  if (epochs < 0) epochs = text ? 3 : 4;
  try {
    WeatherScale scale;
    DatasetSplits stream;  // rows for the step face: normalised weather rows, or one-hot bytes
    if (text) {
      TextOptions stream_options;
      stream_options.context = 1024;
      stream = load_text(data, stream_options);
      std::printf("%s\n", unigram(stream).dump().c_str());
    } else {
      WeatherOptions stream_options;
      stream_options.context = 1024;
      stream_options.stride = 1024;
      stream = load_weather(data, stream_options, &scale);
      WeatherOptions train_options;  // the models' own test windows, raw as weather_baselines wants them
      train_options.context = context;
      train_options.normalize = false;
      std::printf("%s\n", weather_baseline_scores(load_weather(data, train_options).test, scale).dump().c_str());
    }

    std::vector<Model> models;
    std::vector<TrainConfig> configs;
    for (const Candidate& c : candidates(text)) {
      nlohmann::json j = {{"task", task},
                          {"data", data.string()},
                          {"task_options", {{"context", context}}},
                          {"model", c.model},
                          {"optimizer", {{"kind", "adamw"}, {"lr", 0.003}, {"weight_decay", 1e-4}}},
                          {"schedule", {{"kind", "cosine"}, {"t_max", std::max(1, epochs)}}},
                          {"epochs", std::max(1, epochs)},
                          {"batch_size", 16},
                          {"clip_grad_norm", 1.0},
                          {"seed", seed},
                          {"loss", "mse"},
                          {"metric", "mae"},
                          {"max_train_sequences", max_train}};
      if (text) j["loss"] = "cross_entropy", j["metric"] = "loss";
      configs.push_back(train_config_from_json(j, c.name + ".json", "/"));
      models.push_back(make_model(configs.back(), stream.train));
    }
    const double reference = double(models[0].parameter_count());
    for (size_t k = 0; k < models.size(); ++k) {
      const double ratio = double(models[k].parameter_count()) / reference;
      if (std::abs(ratio - 1) > 0.05) {
        std::fprintf(stderr, "backbone_bench: %s has %lld parameters, %.1f %% off the hybrid's %.0f\n",
                     candidates(text)[k].name.c_str(), static_cast<long long>(models[k].parameter_count()),
                     100 * (ratio - 1), reference);
        return 1;
      }
    }
    for (size_t k = 0; k < models.size(); ++k) {
      const std::string name = candidates(text)[k].name;
      if (!only.empty() && name != only) continue;
      nlohmann::json r = {{"name", name},
                          {"model", configs[k].model},
                          {"parameters", models[k].parameter_count()},
                          {"active_parameters", models[k].active_parameter_count()},
                          {"context", context},
                          {"epochs", epochs},
                          {"seed", seed}};
      if (epochs > 0) {
        const TrainResult t = train(configs[k], {.out_dir = out / name, .threads = threads});
        if (text) {
          r["test_bits_per_byte"] = t.test.loss / std::numbers::ln2;
        } else {
          r["test_mae"] = t.test.mae;
          r["test_mae_ugm3"] = t.test.mae * scale.pm25_std;
        }
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
