// The trainer's tasks and objectives: which loader and shape each task has, how a batch is gathered
// and scored, and the evaluation of a model over a split with the task's metrics. Kept apart from
// trainer.cpp (configuration, loop, checkpoints) so each file reads on its own.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "lfm/datasets/occupancy.h"
#include "lfm/datasets/ozone.h"
#include "lfm/datasets/person_activity.h"
#include "lfm/datasets/physionet.h"
#include "lfm/datasets/text.h"
#include "lfm/datasets/traffic.h"
#include "lfm/datasets/weather.h"
#include "lfm/loss.h"
#include "lfm/trainer.h"

namespace liquid::lfm {

namespace {

constexpr const char* kPersonFile = "ConfLongDemo_JSI_A01-A03_origformat.txt";

float step_weight(const SequenceDataset& d, std::size_t pos) {
  if (!d.mask[pos]) return 0.0F;
  return d.num_classes == 0 || d.labels[pos] >= 0 ? 1.0F : 0.0F;
}

// Tasks registered from above lfm (register_task), indexed by TrainTask - kFirstRegisteredTask.
std::vector<TaskLoader>& task_registry() {
  static std::vector<TaskLoader> registry;
  return registry;
}

}  // namespace

TrainTask register_task(TaskLoader loader) {
  std::vector<TaskLoader>& registry = task_registry();
  for (size_t i = 0; i < registry.size(); ++i)
    if (registry[i].name == loader.name) return static_cast<TrainTask>(kFirstRegisteredTask + static_cast<int>(i));
  for (TrainTask t : {TrainTask::kOccupancy, TrainTask::kPersonActivity, TrainTask::kTraffic, TrainTask::kOzone,
                      TrainTask::kPhysioNet, TrainTask::kWeather, TrainTask::kText})
    if (task_name(t) == loader.name) throw std::invalid_argument("register_task: '" + loader.name + "' is built in");
  if (loader.name.empty() || !loader.load) throw std::invalid_argument("register_task: needs a name and a loader");
  registry.push_back(std::move(loader));
  return static_cast<TrainTask>(kFirstRegisteredTask + static_cast<int>(registry.size()) - 1);
}

const TaskLoader* registered_task(TrainTask task) {
  const int index = static_cast<int>(task) - kFirstRegisteredTask;
  const std::vector<TaskLoader>& registry = task_registry();
  return index >= 0 && index < static_cast<int>(registry.size()) ? &registry[index] : nullptr;
}

TaskShape task_shape(TrainTask task) {
  if (const TaskLoader* loader = registered_task(task)) return loader->shape;
  switch (task) {
    case TrainTask::kOccupancy: return {5, 2, 0};
    case TrainTask::kPersonActivity: return {7, 7, 0};
    case TrainTask::kTraffic: return {7, 0, 1};
    case TrainTask::kOzone: return {72, 2, 0};
    case TrainTask::kPhysioNet: return {82, 2, 0};
    case TrainTask::kWeather: return {kWeatherInputs, 0, WeatherOptions{}.horizon};
    case TrainTask::kText: return {kTextInputs, kTextClasses, 0};
  }
  throw std::logic_error("task_shape: unknown task");
}

WeatherOptions weather_task_options(const nlohmann::json& j) {
  WeatherOptions o;
  for (const auto& [key, value] : j.items()) {
    if (key == "drop_missing") {
      if (!value.is_boolean())
        throw std::invalid_argument("field 'task_options.drop_missing': expected true or false, got " + value.dump());
      o.drop_missing = value.get<bool>();
      continue;
    }
    int* field = key == "context" ? &o.context : key == "stride" ? &o.stride : key == "scored_steps" ? &o.scored_steps : nullptr;
    if (!field)
      throw std::invalid_argument("field 'task_options." + key +
                                  "': unknown; expected context, stride, scored_steps, drop_missing");
    if (!value.is_number_integer())
      throw std::invalid_argument("field 'task_options." + key + "': expected an integer, got " + value.dump());
    *field = value.get<int>();
  }
  try {
    check_weather_options(o);
    return o;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("field 'task_options': ") + e.what());
  }
}

namespace {

// "task_options" of the text task: the window's length and stride.
TextOptions text_options(const nlohmann::json& j) {
  TextOptions o;
  for (const auto& [key, value] : j.items()) {
    int* field = key == "context" ? &o.context : key == "stride" ? &o.stride : nullptr;
    if (!field) throw std::invalid_argument("field 'task_options." + key + "': unknown; expected context, stride");
    if (!value.is_number_integer())
      throw std::invalid_argument("field 'task_options." + key + "': expected an integer, got " + value.dump());
    *field = value.get<int>();
  }
  try {
    check_text_options(o);
    return o;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("field 'task_options': ") + e.what());
  }
}

}  // namespace

void check_task_options(TrainTask task, const nlohmann::json& task_options) {
  if (!task_options.is_object()) throw std::invalid_argument("field 'task_options': expected an object");
  if (task == TrainTask::kWeather)
    weather_task_options(task_options);
  else if (task == TrainTask::kText)
    text_options(task_options);
  else if (!task_options.empty())
    throw std::invalid_argument("field 'task_options': task '" + task_name(task) + "' takes no options");
}

DatasetSplits load_task_data(TrainTask task, const std::filesystem::path& data, bool normalize,
                             const nlohmann::json& task_options) {
  check_task_options(task, task_options);
  if (const TaskLoader* loader = registered_task(task)) return loader->load(data, normalize);
  switch (task) {
    case TrainTask::kOccupancy: {
      OccupancyOptions options;
      options.normalize = normalize;
      return load_occupancy(data, options);
    }
    case TrainTask::kPersonActivity: {
      PersonActivityOptions options;
      options.normalize = normalize;
      return load_person_activity(std::filesystem::is_directory(data) ? data / kPersonFile : data, options);
    }
    case TrainTask::kTraffic: {
      TrafficOptions options;
      options.normalize = normalize;
      return load_traffic(data, options);
    }
    case TrainTask::kOzone: {
      OzoneOptions options;
      options.normalize = normalize;
      return load_ozone(data, options);
    }
    case TrainTask::kPhysioNet: {
      PhysioNetOptions options;
      options.normalize = normalize;
      return load_physionet(data, options);
    }
    case TrainTask::kWeather: {
      WeatherOptions options = weather_task_options(task_options);
      options.normalize = normalize;
      return load_weather(data, options);
    }
    case TrainTask::kText: return load_text(data, text_options(task_options));  // one-hot: nothing to normalise
  }
  throw std::logic_error("load_task_data: unknown task");
}

int LossSpec::outputs(const TaskShape& shape) const {
  switch (kind) {
    case LossKind::kCrossEntropy: return shape.classes;
    case LossKind::kBinaryCrossEntropy: return 1;
    case LossKind::kMse:
    case LossKind::kHuber: return shape.targets;
  }
  return 0;
}

std::string loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::kCrossEntropy: return "cross_entropy";
    case LossKind::kBinaryCrossEntropy: return "bce";
    case LossKind::kMse: return "mse";
    case LossKind::kHuber: return "huber";
  }
  return "?";
}

std::string metric_name(Metric metric) {
  switch (metric) {
    case Metric::kLoss: return "loss";
    case Metric::kAccuracy: return "accuracy";
    case Metric::kF1: return "f1";
    case Metric::kAuc: return "auc";
    case Metric::kMse: return "mse";
    case Metric::kMae: return "mae";
  }
  return "?";
}

bool higher_is_better(Metric metric) {
  return metric == Metric::kAccuracy || metric == Metric::kF1 || metric == Metric::kAuc;
}

double metric_value(const EvalResult& r, Metric metric) {
  switch (metric) {
    case Metric::kLoss: return r.loss;
    case Metric::kAccuracy: return r.accuracy;
    case Metric::kF1: return r.f1;
    case Metric::kAuc: return r.auc;
    case Metric::kMse: return r.mse;
    case Metric::kMae: return r.mae;
  }
  return std::nan("");
}

void gather_batch(const SequenceDataset& data, std::span<const int> windows, const LossSpec& loss, Batch& out) {
  const int steps = data.steps, inputs = data.input_size, targets = data.output_size;
  const auto b = static_cast<int>(windows.size());
  const size_t positions = static_cast<size_t>(b) * steps;
  out.size = b, out.steps = steps;
  out.inputs.resize(positions * inputs), out.timespans.resize(positions), out.mask.resize(positions);
  const bool classes = data.num_classes > 0, bce = loss.kind == LossKind::kBinaryCrossEntropy;
  out.labels.resize(classes ? positions : 0);
  out.targets.resize(bce ? positions : positions * targets);
  for (int i = 0; i < b; ++i) {
    const size_t src = static_cast<size_t>(windows[i]) * steps, dst = static_cast<size_t>(i) * steps;
    std::copy_n(data.inputs.begin() + src * inputs, steps * inputs, out.inputs.begin() + dst * inputs);
    std::copy_n(data.timespans.begin() + src, steps, out.timespans.begin() + dst);
    if (classes) std::copy_n(data.labels.begin() + src, steps, out.labels.begin() + dst);
    if (!bce && targets > 0)
      std::copy_n(data.targets.begin() + src * targets, steps * targets, out.targets.begin() + dst * targets);
    for (int t = 0; t < steps; ++t) {
      out.mask[dst + t] = step_weight(data, src + t);
      if (bce) out.targets[dst + t] = out.mask[dst + t] > 0 && data.labels[src + t] == 1 ? 1.0F : 0.0F;
    }
  }
}

double batch_loss(const LossSpec& loss, const Batch& batch, std::span<const float> outputs,
                  std::span<float> d_outputs) {
  const int b = batch.size, steps = batch.steps;
  switch (loss.kind) {
    case LossKind::kCrossEntropy: {
      const int classes = static_cast<int>(outputs.size() / (static_cast<size_t>(b) * steps));
      return cross_entropy_loss(outputs, batch.labels, b, steps, classes, d_outputs, batch.mask, loss.class_weights);
    }
    case LossKind::kBinaryCrossEntropy: {
      const float pos = loss.pos_weight.value_or(1.0F);
      return bce_with_logits_loss(outputs, batch.targets, b, steps, d_outputs, batch.mask,
                                  loss.pos_weight ? std::span<const float>(&pos, 1) : std::span<const float>());
    }
    case LossKind::kMse: return mse_loss(outputs, batch.targets, b, steps, d_outputs, batch.mask);
    case LossKind::kHuber: return huber_loss(outputs, batch.targets, b, steps, d_outputs, loss.huber_delta, batch.mask);
  }
  return 0.0;
}

EvalResult evaluate(const Model& model, const SequenceDataset& data, const LossSpec& loss, int max_sequences,
                    int threads) {
  const int n = static_cast<int>(max_sequences > 0 ? std::min<size_t>(data.size(), max_sequences) : data.size());
  const int steps = data.steps, outputs = model.output_size();
  const bool regression = data.num_classes == 0;
  const bool bce = loss.kind == LossKind::kBinaryCrossEntropy;
  const int classes = regression ? 0 : data.num_classes;
  EvalResult r;
  r.confusion.assign(static_cast<size_t>(classes) * classes, 0);
  double loss_sum = 0, weight_sum = 0, sq_sum = 0, abs_sum = 0;
  int64_t correct = 0, elements = 0;
  std::vector<float> scores, positives;  // binary: score of class 1 and the label, per counted step
  constexpr int kChunk = 256;
  Batch batch;
  std::vector<int> windows;
  std::vector<float> out, d_out;
  for (int start = 0; start < n; start += kChunk) {
    const int b = std::min(kChunk, n - start);
    windows.resize(b);
    for (int i = 0; i < b; ++i) windows[i] = start + i;
    gather_batch(data, windows, loss, batch);
    const size_t positions = static_cast<size_t>(b) * steps;
    out.resize(positions * outputs);
    d_out.resize(positions * outputs);
    model.forward(batch.inputs, batch.timespans, b, steps, out, {}, {}, threads);
    double chunk_weight = 0;
    for (size_t p = 0; p < positions; ++p) {
      if (batch.mask[p] == 0) continue;
      ++r.counted;
      const float* row = out.data() + p * outputs;
      if (regression) {
        for (int k = 0; k < outputs; ++k) {
          const double d = static_cast<double>(row[k]) - batch.targets[p * outputs + k];
          sq_sum += d * d, abs_sum += std::abs(d), ++elements;
        }
        chunk_weight += outputs;
        continue;
      }
      const int label = batch.labels[p];
      const int predicted = bce ? (row[0] >= 0.0F ? 1 : 0) : static_cast<int>(std::max_element(row, row + outputs) - row);
      correct += predicted == label;
      ++r.confusion[static_cast<size_t>(label) * classes + predicted];
      if (classes == 2) {
        // For two softmax logits the probability of class 1 is increasing in l1 - l0.
        scores.push_back(bce ? row[0] : row[1] - row[0]);
        positives.push_back(static_cast<float>(label));
      }
      chunk_weight += !bce && !loss.class_weights.empty() ? loss.class_weights[label] : 1.0;
    }
    loss_sum += batch_loss(loss, batch, out, d_out) * chunk_weight;
    weight_sum += chunk_weight;
  }
  r.loss = weight_sum > 0 ? loss_sum / weight_sum : 0.0;
  if (regression) {
    if (elements > 0) r.mse = sq_sum / elements, r.mae = abs_sum / elements;
    return r;
  }
  if (r.counted > 0) r.accuracy = static_cast<double>(correct) / r.counted;
  if (classes == 2 && r.counted > 0) {
    const double tp = r.confusion[3], fp = r.confusion[1], fn = r.confusion[2];
    r.f1 = tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;  // sklearn's zero_division=0
    r.auc = roc_auc(scores, positives);
  }
  return r;
}

}  // namespace liquid::lfm
