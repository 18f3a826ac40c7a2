// The trainer: fits a Model to one of the sequence-classification datasets (occupancy, person
// activity) from a JSON configuration, writing the best model, a resumable checkpoint and the
// learning curve to an output directory.
//
//   TrainConfig config = load_train_config("samples/train/occupancy_cfc.json");
//   TrainResult result = train(config, {.out_dir = "out/occupancy_cfc"});
//
// Determinism: the model's initial weights come from `seed`, each epoch's shuffle from (seed, epoch)
// alone, and training runs on one thread, so two runs of the same configuration write identical
// bytes, and a run resumed from its checkpoint continues exactly as if it had never stopped (the
// checkpoint holds the model, the optimiser state, the best model so far and the early-stopping
// counters; nothing else carries over between epochs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lfm/dataset.h"
#include "lfm/model.h"
#include "lfm/optimizer.h"

namespace liquid::lfm {

enum class TrainTask { kOccupancy, kPersonActivity };

struct TrainConfig {
  std::string name;                 // the config file's stem; the default output folder's name
  std::string source = "<config>";  // the config file, first in every error message
  TrainTask task = TrainTask::kOccupancy;
  std::filesystem::path data;  // resolved against the config file's folder
  nlohmann::json model;        // ncps-style model JSON, as given (completed by make_model)
  bool adamw = false;
  double lr = 1e-3;
  double weight_decay = 0.0;  // "adamw" defaults to torch's 1e-2
  LrSchedule schedule;        // schedule.lr == lr
  int epochs = 10;
  int batch_size = 32;
  std::optional<float> clip_grad_norm;
  std::uint64_t seed = 0;
  int patience = 0;                  // early stopping on validation loss; 0 = off
  std::vector<float> class_weights;  // empty = all 1
  // Caps on the split sizes (0 = all): for tests and quick looks, not for reported numbers.
  int max_train_sequences = 0;
  int max_eval_sequences = 0;

  // The JSON form (what train_config_from_json reads), stored in checkpoints to check a resume.
  nlohmann::json to_json() const;
};

// Parses a configuration; errors are std::invalid_argument "<source>: field 'optimizer.lr': ...".
// Relative "data" paths resolve against `base_dir`.
TrainConfig train_config_from_json(const nlohmann::json& json, const std::string& source,
                                   const std::filesystem::path& base_dir);
TrainConfig load_train_config(const std::filesystem::path& file);

// The task's splits, normalised with statistics fitted on its training split (the loaders' papers'
// protocols; person activity uses the LTC setting with a validation split). `data` is the occupancy
// folder, or the person-activity file (or its folder).
DatasetSplits load_task_data(TrainTask task, const std::filesystem::path& data, bool normalize = true);
TrainTask task_from_name(const std::string& name, const std::string& source);  // "occupancy", ...
std::string task_name(TrainTask task);

// The model the configuration describes for `data`: input_size filled from the dataset when absent,
// proj_size = class count for a CfC without one; throws if the output size is not the class count.
Model make_model(const TrainConfig& config, const SequenceDataset& data);

// Loss and accuracy of a classifier over a split (every masked step counts, as in training).
struct EvalResult {
  double loss = 0.0;      // cross-entropy, mean over counted steps (class-weighted if given)
  double accuracy = 0.0;  // NaN if nothing counted
  std::int64_t counted = 0;
  std::vector<std::int64_t> confusion;  // classes x classes, row = true class, column = predicted
};
EvalResult evaluate(const Model& model, const SequenceDataset& data, std::span<const float> class_weights = {},
                    int max_sequences = 0, int threads = 0);

struct EpochRecord {
  int epoch = 0;  // 1-based
  double train_loss = 0.0, val_loss = 0.0, val_accuracy = 0.0, lr = 0.0, seconds = 0.0;
  bool best = false;  // the model after this epoch is the best so far
};

struct BatchProgress {
  int epoch = 0, epochs = 0, batch = 0, batches = 0;  // epoch and batch 1-based
  double running_loss = 0.0, sequences_per_second = 0.0, eta_seconds = 0.0;
};

struct TrainOptions {
  std::filesystem::path out_dir;
  bool resume = false;  // continue from out_dir/checkpoint.safetensors
  std::function<void(const BatchProgress&)> on_batch = nullptr;
  std::function<void(const EpochRecord&)> on_epoch = nullptr;
};

struct TrainResult {
  std::vector<EpochRecord> history;  // every epoch so far, resumed ones included
  int best_epoch = 0;
  bool stopped_early = false;
  EvalResult validation, test;  // of the best model
  double seconds = 0.0;         // this run's wall time
};

// Runs the configuration; writes out_dir/model.safetensors (the best model, with the normalisation
// under "liquid.normalization" and the task under "liquid.task"), out_dir/checkpoint.safetensors
// (each epoch) and out_dir/curve.csv.
TrainResult train(const TrainConfig& config, const TrainOptions& options);

// The normalisation a trained model file carries, if any.
std::optional<Normalization> read_model_normalization(const SafetensorsFile& file);

}  // namespace liquid::lfm
