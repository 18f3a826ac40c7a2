#include "lfm/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <stdexcept>

#include "lfm/loss.h"

namespace liquid::lfm {

namespace {

using Json = nlohmann::json;
constexpr const char* kNormalizationKey = "liquid.normalization";
constexpr const char* kStateKey = "trainer.state";
constexpr const char* kConfigKey = "trainer.config";

[[noreturn]] void fail(const std::string& source, const std::string& field, const std::string& what) {
  throw std::invalid_argument(source + ": field '" + field + "': " + what);
}

// Errors from the model and schedule parsers name their field relative to their own object; the
// prefix says where that object sits in the training configuration.
// Messages that name no field are about the object as a whole.
[[noreturn]] void rethrow_prefixed(const std::invalid_argument& e, const std::string& source,
                                   const std::string& prefix) {
  std::string message = e.what();
  const std::string marker = ": field '";
  if (const auto at = message.find(marker); at != std::string::npos)
    message.insert(at + marker.size(), prefix);
  else if (message.rfind(source + ": ", 0) == 0)
    message.insert(source.size() + 2, "field '" + prefix.substr(0, prefix.size() - 1) + "': ");
  throw std::invalid_argument(message);
}

void check_keys(const Json& j, const std::vector<std::string>& allowed, const std::string& source,
                const std::string& prefix) {
  for (const auto& [key, value] : j.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) fail(source, prefix + key, "unknown field");
}

const Json& object_field(const Json& j, const char* key, const std::string& source, const std::string& field) {
  if (!j.at(key).is_object()) fail(source, field, "expected an object, got " + j.at(key).dump());
  return j.at(key);
}

double number_field(const Json& j, const char* key, double fallback, double min, const std::string& source,
                    const std::string& field) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number()) fail(source, field, "expected a number, got " + j[key].dump());
  const double v = j[key].get<double>();
  if (!(v >= min) || !std::isfinite(v)) fail(source, field, "expected a number >= " + std::to_string(min));
  return v;
}

int int_field(const Json& j, const char* key, int fallback, int min, const std::string& source,
              const std::string& field) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number_integer()) fail(source, field, "expected an integer, got " + j[key].dump());
  const auto v = j[key].get<int64_t>();
  if (v < min || v > std::numeric_limits<int>::max())
    fail(source, field, "expected an integer >= " + std::to_string(min) + ", got " + std::to_string(v));
  return static_cast<int>(v);
}

// The model JSON with what the dataset decides filled in: its input size, and for a dense CfC a
// projection to the loss's output count (the CfC's own outputs are its units), for a backbone its
// output size.
Json complete_model_json(Json model, int inputs, int outputs) {
  if (!model.contains("input_size")) model["input_size"] = inputs;
  if (model.value("model", std::string()) == "backbone" && !model.contains("output_size"))
    model["output_size"] = outputs;
  const bool cfc = model.value("model", std::string()) == "CfC";
  if (cfc && !model.contains("wiring") && (!model.contains("proj_size") || model["proj_size"].is_null()))
    model["proj_size"] = outputs;
  return model;
}

ModelConfig model_config(const Json& model, int inputs, int outputs, const std::string& source) {
  ModelConfig config;
  try {
    config = config_from_json(complete_model_json(model, inputs, outputs), source);
  } catch (const std::invalid_argument& e) {
    rethrow_prefixed(e, source, "model.");
  }
  if (config.input_size != inputs)
    fail(source, "model.input_size",
         std::to_string(config.input_size) + " but the dataset has " + std::to_string(inputs) + " inputs");
  if (config.output_size() != outputs)
    fail(source, "model",
         "the model has " + std::to_string(config.output_size()) + " outputs but the task and loss need " +
             std::to_string(outputs) + " (set the wiring's output_dim or proj_size)");
  return config;
}

// NaN (a metric that does not apply) is stored as JSON null and read back as NaN.
Json number_or_null(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }
double number_from(const Json& j) { return j.is_null() ? std::nan("") : j.get<double>(); }

Json record_to_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},
          {"train_loss", r.train_loss},
          {"val_loss", r.val_loss},
          {"val_accuracy", number_or_null(r.val_accuracy)},
          {"val_f1", number_or_null(r.val_f1)},
          {"val_auc", number_or_null(r.val_auc)},
          {"val_mse", number_or_null(r.val_mse)},
          {"val_mae", number_or_null(r.val_mae)},
          {"lr", r.lr},
          {"seconds", r.seconds}};
}

EpochRecord record_from_json(const Json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<int>();
  r.train_loss = j.at("train_loss").get<double>(), r.val_loss = j.at("val_loss").get<double>();
  r.val_accuracy = number_from(j.at("val_accuracy")), r.val_f1 = number_from(j.at("val_f1"));
  r.val_auc = number_from(j.at("val_auc")), r.val_mse = number_from(j.at("val_mse"));
  r.val_mae = number_from(j.at("val_mae"));
  r.lr = j.at("lr").get<double>(), r.seconds = j.at("seconds").get<double>();
  return r;
}

LossKind loss_from_name(const std::string& name, const std::string& source) {
  for (LossKind k : {LossKind::kCrossEntropy, LossKind::kBinaryCrossEntropy, LossKind::kMse, LossKind::kHuber})
    if (loss_name(k) == name) return k;
  fail(source, "loss", "'" + name + "' unknown; expected cross_entropy, bce, mse or huber");
}

Metric metric_from_name(const std::string& name, const std::string& source) {
  for (Metric m : {Metric::kLoss, Metric::kAccuracy, Metric::kF1, Metric::kAuc, Metric::kMse, Metric::kMae})
    if (metric_name(m) == name) return m;
  fail(source, "metric", "'" + name + "' unknown; expected loss, accuracy, f1, auc, mse or mae");
}

// Each epoch's order depends only on (seed, epoch), so a resumed run reshuffles exactly as an
// uninterrupted one without carrying generator state. SplitMix64: small, fixed across platforms.
std::vector<int> epoch_order(int n, uint64_t seed, int epoch) {
  uint64_t state = seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(epoch + 1));
  auto next = [&state]() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[next() % static_cast<uint64_t>(i + 1)]);
  return order;
}

SequenceDataset first_windows(const SequenceDataset& data, int max_sequences) {
  if (max_sequences <= 0 || data.size() <= static_cast<size_t>(max_sequences)) return data;
  SequenceDataset out = data.empty_like(data.name);
  for (int i = 0; i < max_sequences; ++i) out.append_window(data, i);
  return out;
}

Json normalization_to_json(const Normalization& n) { return {{"names", n.names}, {"mean", n.mean}, {"std", n.std}}; }

// The checkpoint holds several models' tensors side by side, told apart by prefix.
void add_prefixed(SafetensorsFile& out, const SafetensorsFile& in, const std::string& prefix) {
  for (const std::string& name : in.names()) out.add_tensor(prefix + name, in.tensor(name));
}

SafetensorsFile model_file(const Model& model, const TrainConfig& config, const DatasetSplits& splits) {
  SafetensorsFile file = model.to_tensors();
  file.set_metadata(kNormalizationKey, normalization_to_json(splits.normalization).dump());
  file.set_metadata("liquid.task", task_name(config.task));
  if (!config.task_options.empty()) file.set_metadata("liquid.task_options", config.task_options.dump());
  file.set_metadata("liquid.loss", loss_name(config.loss.kind));
  if (splits.train.num_classes > 0) file.set_metadata("liquid.classes", Json(splits.train.class_names).dump());
  return file;
}

// The task's validation metrics as columns: accuracy for classification, with F1 and AUC when
// binary; MSE and MAE for regression.
void write_curve(const std::filesystem::path& path, const std::vector<EpochRecord>& history, const TaskShape& shape) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << "epoch,train_loss,val_loss,"
        << (shape.regression() ? "val_mse,val_mae," : shape.binary() ? "val_accuracy,val_f1,val_auc," : "val_accuracy,")
        << "lr,seconds\n";
    out.precision(9);
    for (const EpochRecord& r : history) {
      out << r.epoch << ',' << r.train_loss << ',' << r.val_loss << ',';
      if (shape.regression())
        out << r.val_mse << ',' << r.val_mae << ',';
      else if (shape.binary())
        out << r.val_accuracy << ',' << r.val_f1 << ',' << r.val_auc << ',';
      else
        out << r.val_accuracy << ',';
      out << r.lr << ',' << r.seconds << '\n';
    }
    if (!out) throw std::runtime_error(path.string() + ": cannot write");
  }
  std::filesystem::rename(tmp, path);
}

// "loss", its options ("class_weights", "pos_weight", "huber_delta") and "metric", each checked
// against the task: cross-entropy and bce need classes (bce two), mse and huber a regression task;
// accuracy needs classes, f1 and auc two, mse and mae a regression task.
void parse_loss_and_metric(const Json& j, const TaskShape& shape, TrainConfig& c) {
  const std::string& source = c.source;
  auto string_of = [&](const char* key) {
    if (!j[key].is_string()) fail(source, key, "expected a string, got " + j[key].dump());
    return j[key].get<std::string>();
  };
  c.loss.kind = shape.regression() ? LossKind::kMse : LossKind::kCrossEntropy;
  if (j.contains("loss")) c.loss.kind = loss_from_name(string_of("loss"), source);
  const bool classifies = c.loss.kind == LossKind::kCrossEntropy || c.loss.kind == LossKind::kBinaryCrossEntropy;
  if (classifies && shape.regression())
    fail(source, "loss", "'" + loss_name(c.loss.kind) + "' needs classes; this task is a regression (mse or huber)");
  if (!classifies && !shape.regression())
    fail(source, "loss", "'" + loss_name(c.loss.kind) + "' is for regression; this task has classes");
  if (c.loss.kind == LossKind::kBinaryCrossEntropy && !shape.binary())
    fail(source, "loss", "'bce' needs two classes; this task has " + std::to_string(shape.classes));
  if (j.contains("class_weights")) {
    if (c.loss.kind != LossKind::kCrossEntropy) fail(source, "class_weights", "only for the cross_entropy loss");
    const Json& w = j["class_weights"];
    if (!w.is_array() || w.size() != static_cast<size_t>(shape.classes))
      fail(source, "class_weights", "expected an array of " + std::to_string(shape.classes) + " numbers");
    for (const Json& v : w) {
      if (!v.is_number() || !(v.get<double>() >= 0)) fail(source, "class_weights", "expected numbers >= 0");
      c.loss.class_weights.push_back(v.get<float>());
    }
  }
  if (j.contains("pos_weight")) {
    if (c.loss.kind != LossKind::kBinaryCrossEntropy) fail(source, "pos_weight", "only for the bce loss");
    c.loss.pos_weight = static_cast<float>(number_field(j, "pos_weight", 1.0, 0.0, source, "pos_weight"));
  }
  if (j.contains("huber_delta")) {
    if (c.loss.kind != LossKind::kHuber) fail(source, "huber_delta", "only for the huber loss");
    c.loss.huber_delta = number_field(j, "huber_delta", 1.0, 1e-12, source, "huber_delta");
  }
  if (j.contains("metric")) c.metric = metric_from_name(string_of("metric"), source);
  const Metric m = c.metric;
  if (m == Metric::kAccuracy && shape.regression()) fail(source, "metric", "'accuracy' needs classes");
  if ((m == Metric::kF1 || m == Metric::kAuc) && !shape.binary())
    fail(source, "metric", "'" + metric_name(m) + "' needs a binary task");
  if ((m == Metric::kMse || m == Metric::kMae) && !shape.regression())
    fail(source, "metric", "'" + metric_name(m) + "' needs a regression task");
}

}  // namespace

std::string task_name(TrainTask task) {
  if (const TaskLoader* loader = registered_task(task)) return loader->name;
  switch (task) {
    case TrainTask::kOccupancy: return "occupancy";
    case TrainTask::kPersonActivity: return "person_activity";
    case TrainTask::kTraffic: return "traffic";
    case TrainTask::kOzone: return "ozone";
    case TrainTask::kPhysioNet: return "physionet2012";
    case TrainTask::kWeather: return "weather";
    case TrainTask::kText: return "text";
  }
  return "?";
}

TrainTask task_from_name(const std::string& name, const std::string& source) {
  for (TrainTask t : {TrainTask::kOccupancy, TrainTask::kPersonActivity, TrainTask::kTraffic, TrainTask::kOzone,
                      TrainTask::kPhysioNet, TrainTask::kWeather, TrainTask::kText})
    if (task_name(t) == name) return t;
  std::string registered;
  for (int i = kFirstRegisteredTask; const TaskLoader* loader = registered_task(static_cast<TrainTask>(i)); ++i) {
    if (loader->name == name) return static_cast<TrainTask>(i);
    registered += ", " + loader->name;
  }
  fail(source, "task",
       "'" + name + "' unknown; expected occupancy, person_activity, traffic, ozone, physionet2012, weather, text" +
                           registered);
}

Json TrainConfig::to_json() const {
  Json schedule_json = lr_schedule_to_json(schedule);
  schedule_json.erase("lr");
  Json j = {{"task", task_name(task)},
            {"data", data.string()},
            {"model", model},
            {"optimizer", {{"kind", adamw ? "adamw" : "adam"}, {"lr", lr}, {"weight_decay", weight_decay}}},
            {"schedule", schedule_json},
            {"epochs", epochs},
            {"batch_size", batch_size},
            {"seed", seed},
            {"loss", loss_name(loss.kind)},
            {"metric", metric_name(metric)}};
  if (clip_grad_norm) j["clip_grad_norm"] = *clip_grad_norm;
  if (patience > 0) j["early_stopping"] = {{"patience", patience}};
  if (!task_options.empty()) j["task_options"] = task_options;
  if (!loss.class_weights.empty()) j["class_weights"] = loss.class_weights;
  if (loss.pos_weight) j["pos_weight"] = *loss.pos_weight;
  if (loss.kind == LossKind::kHuber) j["huber_delta"] = loss.huber_delta;
  if (max_train_sequences > 0) j["max_train_sequences"] = max_train_sequences;
  if (max_eval_sequences > 0) j["max_eval_sequences"] = max_eval_sequences;
  return j;
}

TrainConfig train_config_from_json(const Json& j, const std::string& source, const std::filesystem::path& base_dir) {
  if (!j.is_object()) throw std::invalid_argument(source + ": expected a JSON object");
  check_keys(j,
             {"task", "data", "model", "optimizer", "schedule", "epochs", "batch_size", "clip_grad_norm", "seed",
              "early_stopping", "loss", "class_weights", "pos_weight", "huber_delta", "metric", "max_train_sequences",
              "max_eval_sequences", "description", "task_options"},
             source, "");
  TrainConfig c;
  c.source = source;
  c.name = std::filesystem::path(source).stem().string();
  for (const char* key : {"task", "data", "model"})
    if (!j.contains(key)) fail(source, key, "missing");
  if (!j["task"].is_string()) fail(source, "task", "expected a string, got " + j["task"].dump());
  c.task = task_from_name(j["task"].get<std::string>(), source);
  if (!j["data"].is_string()) fail(source, "data", "expected a path string, got " + j["data"].dump());
  // Absolute, so a run resumed from another folder sees the same configuration.
  c.data = std::filesystem::absolute(base_dir / j["data"].get<std::string>()).lexically_normal();
  c.model = object_field(j, "model", source, "model");
  if (j.contains("task_options")) {
    c.task_options = object_field(j, "task_options", source, "task_options");
    try {
      check_task_options(c.task, c.task_options);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(source + ": " + e.what());
    }
  }
  const TaskShape shape = task_shape(c.task);
  parse_loss_and_metric(j, shape, c);
  model_config(c.model, shape.inputs, c.loss.outputs(shape), source);  // reports model errors now, not mid-run

  if (j.contains("optimizer")) {
    const Json& o = object_field(j, "optimizer", source, "optimizer");
    check_keys(o, {"kind", "lr", "weight_decay"}, source, "optimizer.");
    const std::string kind = o.value("kind", Json("adam")).is_string() ? o.value("kind", std::string("adam")) : "";
    if (kind != "adam" && kind != "adamw") fail(source, "optimizer.kind", "expected \"adam\" or \"adamw\"");
    c.adamw = kind == "adamw";
    c.lr = number_field(o, "lr", c.lr, 0.0, source, "optimizer.lr");
    c.weight_decay = number_field(o, "weight_decay", c.adamw ? 1e-2 : 0.0, 0.0, source, "optimizer.weight_decay");
  }
  Json schedule = Json{{"kind", "constant"}};
  if (j.contains("schedule")) schedule = object_field(j, "schedule", source, "schedule");
  if (schedule.contains("lr")) fail(source, "schedule.lr", "the base learning rate is optimizer.lr");
  schedule["lr"] = c.lr;
  try {
    c.schedule = lr_schedule_from_json(schedule, source);
  } catch (const std::invalid_argument& e) {
    rethrow_prefixed(e, source, "schedule.");
  }
  c.epochs = int_field(j, "epochs", c.epochs, 1, source, "epochs");
  c.batch_size = int_field(j, "batch_size", c.batch_size, 1, source, "batch_size");
  if (j.contains("clip_grad_norm"))
    c.clip_grad_norm = static_cast<float>(number_field(j, "clip_grad_norm", 0, 1e-12, source, "clip_grad_norm"));
  if (j.contains("seed")) {
    if (!j["seed"].is_number_integer() || j["seed"].get<int64_t>() < 0)
      fail(source, "seed", "expected a non-negative integer");
    c.seed = j["seed"].get<uint64_t>();
  }
  if (j.contains("early_stopping")) {
    const Json& e = object_field(j, "early_stopping", source, "early_stopping");
    check_keys(e, {"patience"}, source, "early_stopping.");
    c.patience = int_field(e, "patience", 0, 0, source, "early_stopping.patience");
  }
  c.max_train_sequences = int_field(j, "max_train_sequences", 0, 0, source, "max_train_sequences");
  c.max_eval_sequences = int_field(j, "max_eval_sequences", 0, 0, source, "max_eval_sequences");
  return c;
}

Json read_json_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  try {
    return Json::parse(in);
  } catch (const Json::exception& e) {
    throw std::invalid_argument(file.string() + ": not valid JSON: " + e.what());
  }
}

TrainConfig load_train_config(const std::filesystem::path& file) {
  return train_config_from_json(read_json_file(file), file.string(), file.parent_path());
}

Model make_model(const TrainConfig& config, const SequenceDataset& data) {
  const TaskShape shape{data.input_size, data.num_classes, data.output_size};
  return Model(model_config(config.model, data.input_size, config.loss.outputs(shape), config.source), config.seed);
}

std::optional<Normalization> read_model_normalization(const SafetensorsFile& file) {
  const auto it = file.metadata().find(kNormalizationKey);
  if (it == file.metadata().end()) return std::nullopt;
  try {
    const Json j = Json::parse(it->second);
    Normalization n{j.at("names").get<std::vector<std::string>>(), j.at("mean").get<std::vector<float>>(),
                    j.at("std").get<std::vector<float>>()};
    if (n.mean.size() != n.names.size() || n.std.size() != n.names.size()) throw std::invalid_argument("sizes");
    return n;
  } catch (const std::exception& e) {
    throw FormatError(file.source_name() + ": __metadata__ '" + kNormalizationKey + "' is malformed: " + e.what());
  }
}

TrainResult train(const TrainConfig& config, const TrainOptions& options) {
  const auto run_start = std::chrono::steady_clock::now();
  auto since = [](auto start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  DatasetSplits splits = load_task_data(config.task, config.data, true, config.task_options);
  splits.train = first_windows(splits.train, config.max_train_sequences);
  const SequenceDataset& train_set = splits.train;
  const TaskShape shape{train_set.input_size, train_set.num_classes, train_set.output_size};
  const bool has_validation = splits.validation.size() > 0;
  // Without a validation split the training loss selects, whatever the metric.
  const Metric metric = has_validation ? config.metric : Metric::kLoss;
  const bool higher = higher_is_better(metric);
  Model model = make_model(config, train_set);
  Model grads = model.zeros_like();
  std::unique_ptr<Optimizer> optimizer;
  if (config.adamw)
    optimizer = std::make_unique<AdamW>(AdamWOptions{.lr = config.lr, .weight_decay = config.weight_decay});
  else
    optimizer = std::make_unique<Adam>(AdamOptions{.lr = config.lr, .weight_decay = config.weight_decay});

  std::filesystem::create_directories(options.out_dir);
  const std::filesystem::path checkpoint_path = options.out_dir / "checkpoint.safetensors";
  const std::filesystem::path model_path = options.out_dir / "model.safetensors";
  TrainResult result;
  int start_epoch = 0, bad_epochs = 0;
  double best_value = higher ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  SafetensorsFile best = model.to_tensors();
  Json config_json = config.to_json();
  config_json.erase("epochs");  // a resumed run may extend the epoch count; nothing else may change

  if (options.resume) {
    const SafetensorsFile ck = SafetensorsFile::read_file(checkpoint_path);
    const std::string source = checkpoint_path.string();
    const Json saved = Json::parse(ck.metadata().at(kConfigKey));
    for (const auto& [key, value] : config_json.items())
      if (!saved.contains(key) || saved[key] != value)
        throw std::invalid_argument(source + ": written with a different configuration (field '" + key + "')");
    model.load_tensors(ck, source, "model.");
    optimizer->load_state(ck, model);
    SafetensorsFile saved_best;
    for (const std::string& name : ck.names())
      if (name.rfind("best.", 0) == 0) saved_best.add_tensor(name.substr(5), ck.tensor(name));
    // Through a Model, so the best model's tensors are checked as any model file's are.
    best = Model::from_tensors(model.config(), saved_best, source).to_tensors();
    const Json state = Json::parse(ck.metadata().at(kStateKey));
    start_epoch = state.at("epoch").get<int>();
    bad_epochs = state.at("bad_epochs").get<int>();
    best_value = state.at("best_value").get<double>();
    result.best_epoch = state.at("best_epoch").get<int>();
    result.stopped_early = state.at("stopped_early").get<bool>();
    for (const Json& h : state.at("history")) result.history.push_back(record_from_json(h));
  }

  const int n = static_cast<int>(train_set.size());
  const int batches = (n + config.batch_size - 1) / config.batch_size;
  Batch batch;
  BpttWorkspace bptt;  // tapes reused by every batch
  for (int epoch = start_epoch; epoch < config.epochs && !result.stopped_early; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    optimizer->set_lr(config.schedule.lr_at(epoch));
    const std::vector<int> order = epoch_order(n, config.seed, epoch);
    double loss_sum = 0, loss_count = 0;
    for (int k = 0; k < batches; ++k) {
      const int first = k * config.batch_size, b = std::min(config.batch_size, n - first);
      gather_batch(train_set, std::span(order).subspan(first, b), config.loss, batch);
      grads.for_each_parameter([](const ParamRef& p) {
        if (p.trainable) p.value->setZero();
      });
      // One forward pass: the loss and its gradient are computed between forward and backward.
      // The model's auxiliary loss (a backbone's MoE load balancing) is part of what is minimised.
      double loss = 0;
      const double aux = model.forward_backward(
          batch.inputs, batch.timespans, b, train_set.steps,
          [&](std::span<const float> outputs, std::span<float> d_outputs) {
            loss = batch_loss(config.loss, batch, outputs, d_outputs);
          },
          grads, options.threads, &bptt);
      loss += aux;
      if (config.clip_grad_norm) clip_grad_norm(grads, *config.clip_grad_norm);
      optimizer->step(model, grads);
      loss_sum += loss * b;
      loss_count += b;
      if (options.on_batch) {
        const double elapsed = since(epoch_start), rate = (first + b) / std::max(elapsed, 1e-9);
        const double remaining = (n - first - b) + static_cast<double>(config.epochs - epoch - 1) * n;
        options.on_batch({epoch + 1, config.epochs, k + 1, batches, loss_sum / loss_count, rate, remaining / rate});
      }
    }
    EpochRecord record;
    record.epoch = epoch + 1;
    record.train_loss = loss_count ? loss_sum / loss_count : 0.0;
    record.lr = optimizer->lr();
    double value = record.train_loss;  // no validation split: select on training loss
    if (has_validation) {
      const EvalResult val = evaluate(model, splits.validation, config.loss, config.max_eval_sequences, options.threads);
      record.val_loss = val.loss, record.val_accuracy = val.accuracy, record.val_f1 = val.f1;
      record.val_auc = val.auc, record.val_mse = val.mse, record.val_mae = val.mae;
      value = metric_value(val, metric);
    } else {
      record.val_loss = record.train_loss;
    }
    if (higher ? value > best_value : value < best_value) {
      best_value = value, bad_epochs = 0, result.best_epoch = record.epoch, record.best = true;
      best = model.to_tensors();
      model_file(model, config, splits).write_file(model_path);
    } else {
      ++bad_epochs;
    }
    result.stopped_early = config.patience > 0 && bad_epochs >= config.patience;
    record.seconds = since(epoch_start);
    result.history.push_back(record);

    SafetensorsFile ck;
    add_prefixed(ck, model.to_tensors(), "model.");
    add_prefixed(ck, best, "best.");
    optimizer->save_state(ck);
    Json history = Json::array();
    for (const EpochRecord& r : result.history) history.push_back(record_to_json(r));
    ck.set_metadata(kStateKey, Json{{"epoch", epoch + 1},
                                    {"bad_epochs", bad_epochs},
                                    {"best_value", best_value},
                                    {"best_epoch", result.best_epoch},
                                    {"stopped_early", result.stopped_early},
                                    {"seed", config.seed},
                                    {"history", history}}
                                   .dump());
    ck.set_metadata(kConfigKey, config_json.dump());
    ck.set_metadata(kNormalizationKey, normalization_to_json(splits.normalization).dump());
    ck.write_file(checkpoint_path);
    write_curve(options.out_dir / "curve.csv", result.history, shape);
    if (options.on_epoch) options.on_epoch(record);
  }

  const Model best_model = Model::from_tensors(model.config(), best, "best model");
  if (!std::filesystem::exists(model_path)) model_file(best_model, config, splits).write_file(model_path);
  if (has_validation)
    result.validation = evaluate(best_model, splits.validation, config.loss, config.max_eval_sequences, options.threads);
  result.test = evaluate(best_model, splits.test, config.loss, config.max_eval_sequences, options.threads);
  result.seconds = since(run_start);
  return result;
}

}  // namespace liquid::lfm
