// The trainer: fits a Model to one of the sequence datasets (occupancy, person activity, ozone and
// PhysioNet 2012 classification; traffic and weather regression; text: next-byte prediction) from a
// JSON configuration, writing the best model, a resumable checkpoint and the learning curve to an
// output directory.
//
//   TrainConfig config = load_train_config("samples/train/occupancy_cfc.json");
//   TrainResult result = train(config, {.out_dir = "out/occupancy_cfc"});
//
// Targets are per step, or per sequence through the dataset's mask (PhysioNet counts only each
// stay's last real step): the loss and every metric read only masked-in steps. Losses: cross-entropy
// (class weights), binary cross-entropy with logits (one output, pos_weight), MSE, Huber. Metrics:
// accuracy, F1 and ROC AUC of the positive class (binary tasks), MSE and MAE (regression). The
// validation metric that picks the best model and drives early stopping is configurable; the
// default is the validation loss.
//
// Determinism: the model's initial weights come from `seed`, each epoch's shuffle from (seed, epoch)
// alone, and each batch's gradient is summed over fixed shards in a fixed order whatever the
// thread count, so two runs of the same configuration write identical bytes on any number of
// cores, and a run resumed from its checkpoint continues exactly as if it had never stopped (the
// checkpoint holds the model, the optimiser state, the best model so far and the early-stopping
// counters; nothing else carries over between epochs).
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lfm/dataset.h"
#include "lfm/model.h"
#include "lfm/optimizer.h"

namespace liquid::lfm {

enum class TrainTask { kOccupancy, kPersonActivity, kTraffic, kOzone, kPhysioNet, kWeather, kText };

// What a task's data looks like before a model sees it.
struct TaskShape {
  int inputs = 0;
  int classes = 0;  // classification: label count; 0 for regression
  int targets = 0;  // regression: values per step; 0 for classification
  bool regression() const { return classes == 0; }
  bool binary() const { return classes == 2; }
};
TaskShape task_shape(TrainTask task);

enum class LossKind { kCrossEntropy, kBinaryCrossEntropy, kMse, kHuber };
enum class Metric { kLoss, kAccuracy, kF1, kAuc, kMse, kMae };

// The loss and its options. Cross-entropy wants one logit per class; binary cross-entropy one logit
// (the positive class, label 1); MSE and Huber one output per regression target.
struct LossSpec {
  LossKind kind = LossKind::kCrossEntropy;
  std::vector<float> class_weights;  // cross-entropy: one per class; empty = all 1
  std::optional<float> pos_weight;   // binary cross-entropy: torch's pos_weight
  double huber_delta = 1.0;          // Huber

  int outputs(const TaskShape& shape) const;
};

std::string loss_name(LossKind kind);  // "cross_entropy", "bce", "mse", "huber"
std::string metric_name(Metric metric);  // "loss", "accuracy", "f1", "auc", "mse", "mae"
bool higher_is_better(Metric metric);

struct TrainConfig {
  std::string name;                 // the config file's stem; the default output folder's name
  std::string source = "<config>";  // the config file, first in every error message
  TrainTask task = TrainTask::kOccupancy;
  std::filesystem::path data;  // resolved against the config file's folder
  nlohmann::json model;        // ncps-style model JSON, as given (completed by make_model)
  nlohmann::json task_options = nlohmann::json::object();  // the task's own options (weather: context ...)
  bool adamw = false;
  double lr = 1e-3;
  double weight_decay = 0.0;  // "adamw" defaults to torch's 1e-2
  LrSchedule schedule;        // schedule.lr == lr
  int epochs = 10;
  int batch_size = 32;
  std::optional<float> clip_grad_norm;
  std::uint64_t seed = 0;
  int patience = 0;  // early stopping on the validation metric; 0 = off
  LossSpec loss;     // default: cross-entropy for classification, MSE for regression
  Metric metric = Metric::kLoss;  // picks the best model; without validation the training loss does
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
// A configuration file's JSON; errors name the file (cannot open, not valid JSON).
nlohmann::json read_json_file(const std::filesystem::path& file);

// The task's splits, normalised with statistics fitted on its training split (the loaders' papers'
// protocols; person activity uses the LTC setting with a validation split). `data` is the occupancy
// or PhysioNet folder, or the person-activity, traffic or ozone file (or its folder).
// `options` are the configuration's "task_options" (weather: context, stride, scored_steps,
// drop_missing; text: context, stride; other tasks take none); errors name the field.
DatasetSplits load_task_data(TrainTask task, const std::filesystem::path& data, bool normalize = true,
                             const nlohmann::json& options = nlohmann::json::object());
// The weather task's "task_options" (context, stride, scored_steps, drop_missing; the horizon is
// the task's shape, 24 hours) as WeatherOptions (lfm/datasets/weather.h); errors are
// std::invalid_argument naming the field.
struct WeatherOptions;
WeatherOptions weather_task_options(const nlohmann::json& task_options);
// Throws std::invalid_argument "field 'task_options...': ..." unless the task takes these options.
void check_task_options(TrainTask task, const nlohmann::json& options);
TrainTask task_from_name(const std::string& name, const std::string& source);  // "occupancy", ...
std::string task_name(TrainTask task);

// Tasks defined above lfm: a loader that needs libraries lfm must not depend on (tasks/fsdd.h turns
// WAV files into sequences with the audio encoders) registers itself here, and from then on
// task_shape, load_task_data, task_name and task_from_name know it like a built-in task. The program
// registers its tasks at startup, before any training or loading (the registry is not locked).
struct TaskLoader {
  std::string name;  // what "task" says in a configuration; must not be a built-in task's name
  TaskShape shape;
  std::function<DatasetSplits(const std::filesystem::path& data, bool normalize)> load;
};
// Registered tasks get TrainTask values from kFirstRegisteredTask on, in registration order.
// Registering a name again returns the value it already has (and keeps the first loader).
inline constexpr int kFirstRegisteredTask = 100;
TrainTask register_task(TaskLoader loader);
// The registered loader behind `task`, or null for a built-in task.
const TaskLoader* registered_task(TrainTask task);

// The model the configuration describes for `data`: input_size filled from the dataset when absent,
// proj_size = the loss's output count for a CfC without one; throws if the output size differs.
Model make_model(const TrainConfig& config, const SequenceDataset& data);

// Loss and metrics of a model over a split (every masked step counts, as in training). Metrics that
// do not apply to the task, or with nothing counted, are NaN.
struct EvalResult {
  double loss = 0.0;  // the LossSpec's loss, mean over what it counts (class-weighted if given)
  double accuracy = std::nan("");  // classification
  double f1 = std::nan(""), auc = std::nan("");  // binary: positive class (label 1)
  double mse = std::nan(""), mae = std::nan("");  // regression, over counted steps x targets
  std::int64_t counted = 0;  // counted steps
  std::vector<std::int64_t> confusion;  // classes x classes, row = true class, column = predicted
};
EvalResult evaluate(const Model& model, const SequenceDataset& data, const LossSpec& loss = {},
                    int max_sequences = 0, int threads = 0);
// The metric's value in `r` (the loss for Metric::kLoss).
double metric_value(const EvalResult& r, Metric metric);

struct EpochRecord {
  int epoch = 0;  // 1-based
  double train_loss = 0.0, val_loss = 0.0;
  double val_accuracy = std::nan(""), val_f1 = std::nan(""), val_auc = std::nan("");
  double val_mse = std::nan(""), val_mae = std::nan("");
  double lr = 0.0, seconds = 0.0;
  bool best = false;  // the model after this epoch is the best so far
};

// One batch gathered from a dataset, laid out as Model::forward takes it. `targets` holds the
// regression targets, or for binary cross-entropy the labels as 0/1 floats.
struct Batch {
  int size = 0, steps = 0;
  std::vector<float> inputs, timespans, mask, targets;
  std::vector<int> labels;
};
void gather_batch(const SequenceDataset& data, std::span<const int> windows, const LossSpec& loss, Batch& out);
// The loss of `outputs` (size x steps x outputs) on `batch`, its gradient written to d_outputs.
double batch_loss(const LossSpec& loss, const Batch& batch, std::span<const float> outputs,
                  std::span<float> d_outputs);

struct BatchProgress {
  int epoch = 0, epochs = 0, batch = 0, batches = 0;  // epoch and batch 1-based
  double running_loss = 0.0, sequences_per_second = 0.0, eta_seconds = 0.0;
};

struct TrainOptions {
  std::filesystem::path out_dir;
  bool resume = false;  // continue from out_dir/checkpoint.safetensors
  // Threads for the batch's forward and backward passes and for evaluation (0: one per core). The
  // batch is cut into fixed shards (Model::kBpttShardColumns), so every thread count writes the
  // same bytes.
  int threads = 0;
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
// under "liquid.normalization", the task under "liquid.task", the loss's name under "liquid.loss"
// and, for classification, the class names under "liquid.classes"), out_dir/checkpoint.safetensors
// (each epoch) and out_dir/curve.csv (epoch, train_loss, val_loss, the task's validation metrics:
// val_accuracy [, val_f1, val_auc when binary] or val_mse, val_mae; lr, seconds).
TrainResult train(const TrainConfig& config, const TrainOptions& options);

// The normalisation a trained model file carries, if any.
std::optional<Normalization> read_model_normalization(const SafetensorsFile& file);

}  // namespace liquid::lfm
