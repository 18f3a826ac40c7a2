// The trainer on small slices of the shipped occupancy data: the loss falls, runs are reproducible
// to the byte, a resumed run equals an uninterrupted one, and configuration errors name the field.
// Then regression (traffic format), per-step binary (ozone format) and per-sequence binary
// (PhysioNet format) on tiny synthetic files: the loss falls, the metric improves, runs repeat.
#include "lfm/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace liquid::lfm {
namespace {

const std::filesystem::path kOccupancy = std::filesystem::path(LIQUID_TEST_DATA "/../../samples/data/series/occupancy");

nlohmann::json tiny_config() {
  return {
      {"task", "occupancy"},
      {"data", kOccupancy.string()},
      {"model", {{"model", "CfC"}, {"units", 8}, {"mode", "default"}, {"backbone_units", 16}, {"backbone_layers", 1}}},
      {"optimizer", {{"kind", "adamw"}, {"lr", 0.01}, {"weight_decay", 1e-4}}},
      {"schedule", {{"kind", "cosine"}, {"t_max", 4}}},
      {"epochs", 2},
      {"batch_size", 24},
      {"clip_grad_norm", 1.0},
      {"seed", 7},
      {"early_stopping", {{"patience", 3}}},
      {"max_train_sequences", 200},
      {"max_eval_sequences", 200}};
}

TrainConfig parse(const nlohmann::json& j) { return train_config_from_json(j, "tiny.json", "/"); }

std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("liquid_trainer_test_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

std::string bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Trainer, LossDecreasesAndModelLoads) {
  TrainConfig config = parse(tiny_config());
  config.epochs = 3;
  const auto dir = temp_dir("loss");
  int epochs_seen = 0;
  const TrainResult r = train(config, {.out_dir = dir, .on_epoch = [&](const EpochRecord&) { ++epochs_seen; }});
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_EQ(epochs_seen, 3);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
  EXPECT_LT(r.history[r.best_epoch - 1].val_loss, 0.69);  // better than chance (ln 2)
  EXPECT_GT(r.test.accuracy, 0.5);
  EXPECT_EQ(r.test.counted, 200 * 16);

  // The model file runs on its own and carries the normalisation eval needs.
  const Model model = Model::load(dir / "model.safetensors");
  EXPECT_EQ(model.output_size(), 2);
  const auto norm = read_model_normalization(SafetensorsFile::read_file(dir / "model.safetensors"));
  ASSERT_TRUE(norm.has_value());
  EXPECT_EQ(norm->mean.size(), 5u);
  const DatasetSplits splits = load_task_data(TrainTask::kOccupancy, kOccupancy);
  const EvalResult again = evaluate(model, splits.test, {}, 200);
  EXPECT_DOUBLE_EQ(again.accuracy, r.test.accuracy);
  EXPECT_DOUBLE_EQ(again.loss, r.test.loss);

  std::ifstream curve(dir / "curve.csv");
  std::string header;
  std::getline(curve, header);
  EXPECT_EQ(header, "epoch,train_loss,val_loss,val_accuracy,val_f1,val_auc,lr,seconds");
}

TEST(Trainer, SameSeedSameBytes) {
  const TrainConfig config = parse(tiny_config());
  const auto a = temp_dir("det_a"), b = temp_dir("det_b");
  train(config, {.out_dir = a});
  train(config, {.out_dir = b});
  EXPECT_EQ(bytes(a / "model.safetensors"), bytes(b / "model.safetensors"));

  nlohmann::json other = tiny_config();
  other["seed"] = 8;
  const auto c = temp_dir("det_c");
  train(parse(other), {.out_dir = c});
  EXPECT_TRUE(bytes(a / "model.safetensors") != bytes(c / "model.safetensors"));
}

// Data-parallel training: one thread and two write the same model file (checkpoints differ only in
// the wall-clock seconds they record).
TEST(Trainer, ThreadCountDoesNotChangeABit) {
  const TrainConfig config = parse(tiny_config());
  const auto one = temp_dir("threads_1"), two = temp_dir("threads_2");
  train(config, {.out_dir = one, .threads = 1});
  train(config, {.out_dir = two, .threads = 2});
  EXPECT_TRUE(bytes(one / "model.safetensors") == bytes(two / "model.safetensors"));
}

TEST(Trainer, ResumeEqualsUninterrupted) {
  nlohmann::json j = tiny_config();
  j["early_stopping"] = {{"patience", 0}};
  TrainConfig config = parse(j);
  config.epochs = 4;
  const auto straight = temp_dir("straight"), resumed = temp_dir("resumed");
  const TrainResult full = train(config, {.out_dir = straight});

  config.epochs = 2;
  train(config, {.out_dir = resumed});
  config.epochs = 4;
  const TrainResult rest = train(config, {.out_dir = resumed, .resume = true});
  ASSERT_EQ(rest.history.size(), 4u);
  for (int e = 0; e < 4; ++e) EXPECT_EQ(rest.history[e].train_loss, full.history[e].train_loss) << e;
  EXPECT_EQ(rest.best_epoch, full.best_epoch);
  EXPECT_EQ(bytes(straight / "model.safetensors"), bytes(resumed / "model.safetensors"));
  // The live model (not only the best) continues exactly too.
  const auto ck_a = SafetensorsFile::read_file(straight / "checkpoint.safetensors");
  const auto ck_b = SafetensorsFile::read_file(resumed / "checkpoint.safetensors");
  for (const std::string& name : ck_a.names()) EXPECT_EQ(ck_a.tensor(name).data, ck_b.tensor(name).data) << name;

  // A checkpoint of another configuration is refused, naming the field.
  config.batch_size = 8;
  try {
    train(config, {.out_dir = resumed, .resume = true});
    FAIL() << "expected a configuration mismatch";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'batch_size'"), std::string::npos) << e.what();
  }
}

void expect_error(nlohmann::json j, const std::string& needle) {
  try {
    parse(j);
    FAIL() << "expected an error containing " << needle;
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("tiny.json: ", 0), 0u) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  }
}

TEST(TrainConfig, ErrorsNameTheField) {
  auto with = [](const char* key, nlohmann::json value) {
    nlohmann::json j = tiny_config();
    j[key] = std::move(value);
    return j;
  };
  expect_error(with("epochs", 0), "field 'epochs'");
  expect_error(with("epochs", "ten"), "field 'epochs'");
  expect_error(with("batch_size", -3), "field 'batch_size'");
  expect_error(with("task", "blizzard"), "field 'task'");
  expect_error(with("learning_rate", 0.1), "field 'learning_rate': unknown");
  expect_error(with("optimizer", {{"kind", "sgd"}}), "field 'optimizer.kind'");
  expect_error(with("optimizer", {{"lr", -1}}), "field 'optimizer.lr'");
  expect_error(with("optimizer", {{"momentum", 0.9}}), "field 'optimizer.momentum'");
  expect_error(with("schedule", {{"kind", "cosine"}}), "field 'schedule.t_max'");
  expect_error(with("schedule", {{"kind", "step"}, {"step_size", 2}, {"lr", 0.1}}), "field 'schedule.lr'");
  expect_error(with("early_stopping", {{"patience", -1}}), "field 'early_stopping.patience'");
  expect_error(with("class_weights", {1.0}), "field 'class_weights'");
  expect_error(with("loss", "mse"), "field 'loss': 'mse' is for regression");
  expect_error(with("loss", "hinge"), "field 'loss': 'hinge' unknown");
  expect_error(with("loss", 3), "field 'loss': expected a string");
  expect_error(with("metric", "mae"), "field 'metric': 'mae' needs a regression task");
  expect_error(with("metric", "recall"), "field 'metric': 'recall' unknown");
  expect_error(with("pos_weight", 2.0), "field 'pos_weight': only for the bce loss");
  expect_error(with("huber_delta", 2.0), "field 'huber_delta': only for the huber loss");
  nlohmann::json bce = with("loss", "bce");
  bce["class_weights"] = {1.0, 2.0};
  expect_error(bce, "field 'class_weights': only for the cross_entropy loss");
  bce.erase("class_weights");
  bce["pos_weight"] = -1;
  expect_error(bce, "field 'pos_weight'");
  nlohmann::json person = with("task", "person_activity");
  person["metric"] = "auc";
  expect_error(person, "field 'metric': 'auc' needs a binary task");
  person["metric"] = "accuracy";
  person["loss"] = "bce";
  expect_error(person, "field 'loss': 'bce' needs two classes");
  nlohmann::json traffic = with("task", "traffic");
  const TrainConfig regression = parse(with("task", "traffic"));  // a CfC gets proj_size 1 and MSE
  EXPECT_EQ(regression.loss.kind, LossKind::kMse);
  EXPECT_EQ(regression.metric, Metric::kLoss);
  traffic["loss"] = "cross_entropy";
  expect_error(traffic, "field 'loss': 'cross_entropy' needs classes");
  traffic["loss"] = "huber";
  traffic["metric"] = "f1";
  expect_error(traffic, "field 'metric': 'f1' needs a binary task");
  expect_error(with("model", {{"model", "CfC"}, {"units", 8}, {"mode", "sideways"}}), "field 'model': ");
  expect_error(with("model", {{"model", "CfC"}, {"units", 8}, {"input_size", 3}}), "field 'model.input_size'");
  nlohmann::json missing = tiny_config();
  missing.erase("data");
  expect_error(missing, "field 'data': missing");
  // An LTC whose motor neurons do not match the classes.
  expect_error(with("model", {{"model", "LTC"}, {"wiring", {{"class", "AutoNCP"}, {"units", 12}, {"output_dim", 3}}}}),
               "field 'model'");
}

TEST(TrainConfig, DefaultsAndRelativeData) {
  const TrainConfig c = train_config_from_json(
      {{"task", "person_activity"}, {"data", "d/p.txt"}, {"model", {{"model", "CfC"}, {"units", 8}}}}, "/cfg/p.json",
      "/cfg");
  EXPECT_EQ(c.data, std::filesystem::path("/cfg/d/p.txt"));
  EXPECT_EQ(c.name, "p");
  EXPECT_FALSE(c.adamw);
  EXPECT_FALSE(c.clip_grad_norm.has_value());
  EXPECT_EQ(c.schedule.lr, c.lr);
  // The JSON form reads back to the same configuration.
  const TrainConfig back = train_config_from_json(c.to_json(), "/cfg/p.json", "/");
  EXPECT_EQ(back.to_json(), c.to_json());
}

// ------------------------------------------------------------- regression and binary tasks

// A temporary folder of synthetic data, removed at the end of the test.
class DataDir {
 public:
  explicit DataDir(const std::string& name) : path_(temp_dir("data_" + name)) {
    std::filesystem::create_directories(path_);
  }
  ~DataDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

nlohmann::json small_config(const std::string& task, const std::filesystem::path& data) {
  return {{"task", task},
          {"data", data.string()},
          {"model", {{"model", "CfC"}, {"units", 8}, {"mode", "default"}, {"backbone_units", 16}, {"backbone_layers", 1}}},
          {"optimizer", {{"kind", "adam"}, {"lr", 0.01}}},
          {"epochs", 6},
          {"batch_size", 8},
          {"seed", 3}};
}

// Traffic volume that follows the hour of day, which the "noon" input carries.
std::string traffic_file(int rows) {
  std::string text =
      "holiday,temp,rain_1h,snow_1h,clouds_all,weather_main,weather_description,date_time,traffic_volume\n";
  for (int h = 0; h < rows; ++h) {
    char line[200];
    const int volume = static_cast<int>(3000 + 2000 * std::sin(3.14159265 * (h % 24) / 24.0)) + 37 * (h % 5);
    std::snprintf(line, sizeof line, "None,%.1f,0.0,0.0,%d,Clouds,c,2013-%02d-%02d %02d:00:00,%d\n",
                  280.0 + h % 7, 10 * (h % 9), 1 + h / (24 * 28), 1 + (h / 24) % 28, h % 24, volume);
    text += line;
  }
  return text;
}

TEST(TrainerTasks, RegressionLearnsAndRepeats) {
  DataDir data("traffic");
  const auto file = data.write("traffic.csv", traffic_file(480));
  nlohmann::json j = small_config("traffic", file);
  j["metric"] = "mae";
  const TrainConfig config = parse(j);
  const auto a = temp_dir("reg_a"), b = temp_dir("reg_b");
  const TrainResult r = train(config, {.out_dir = a});
  ASSERT_EQ(r.history.size(), 6u);
  EXPECT_LT(r.history.back().train_loss, 0.5 * r.history.front().train_loss);
  EXPECT_LT(r.history[r.best_epoch - 1].val_mae, r.history.front().val_mae);
  EXPECT_LT(r.test.mse, 0.5);  // the target is z-scored: predicting its mean scores 1
  EXPECT_TRUE(std::isnan(r.test.accuracy));
  EXPECT_NEAR(r.test.loss, r.test.mse, 1e-9);  // MSE is the loss
  std::ifstream curve(a / "curve.csv");
  std::string header;
  std::getline(curve, header);
  EXPECT_EQ(header, "epoch,train_loss,val_loss,val_mse,val_mae,lr,seconds");
  // The model file evaluates to the same figures.
  const DatasetSplits splits = load_task_data(TrainTask::kTraffic, file);
  const EvalResult again = evaluate(Model::load(a / "model.safetensors"), splits.test, config.loss);
  EXPECT_DOUBLE_EQ(again.mse, r.test.mse);
  EXPECT_DOUBLE_EQ(again.mae, r.test.mae);

  train(config, {.out_dir = b});
  EXPECT_TRUE(bytes(a / "model.safetensors") == bytes(b / "model.safetensors"));

  // Huber trains too, and writes another model.
  j["loss"] = "huber";
  j["huber_delta"] = 0.5;
  const auto c = temp_dir("reg_c");
  const TrainResult h = train(parse(j), {.out_dir = c});
  EXPECT_LT(h.history.back().train_loss, h.history.front().train_loss);
  EXPECT_TRUE(bytes(a / "model.safetensors") != bytes(c / "model.safetensors"));
}

// Ozone-format days whose label is 1 when the first feature is high (about a quarter of them).
std::string ozone_file(int rows) {
  std::string text;
  for (int i = 0; i < rows; ++i) {
    const double x = ((i * 37) % 100) / 10.0;
    char line[64];
    std::snprintf(line, sizeof line, "%d/%d/%d,%.1f", 1 + (i / 28) % 12, 1 + i % 28, 1998 + i / 336, x);
    text += line;
    for (int f = 2; f <= 72; ++f) {
      std::snprintf(line, sizeof line, f == 9 && i % 11 == 0 ? ",?" : ",%d", (i * f) % 13);
      text += line;
    }
    text += x > 7.4 ? ",1.0\n" : ",0.0\n";
  }
  return text;
}

TEST(TrainerTasks, BinaryLearnsAndRepeats) {
  DataDir data("ozone");
  const auto file = data.write("eighthr.data", ozone_file(480));
  for (const char* loss : {"bce", "cross_entropy"}) {
    SCOPED_TRACE(loss);
    nlohmann::json j = small_config("ozone", data.path());
    j["loss"] = loss;
    j["metric"] = std::string(loss) == "bce" ? "auc" : "f1";
    if (std::string(loss) == "bce") j["pos_weight"] = 2.0;
    else j["class_weights"] = {0.5, 1.5};
    const TrainConfig config = parse(j);
    const auto a = temp_dir(std::string("bin_a_") + loss), b = temp_dir(std::string("bin_b_") + loss);
    const TrainResult r = train(config, {.out_dir = a});
    EXPECT_LT(r.history.back().train_loss, 0.7 * r.history.front().train_loss);
    const EpochRecord& best = r.history[r.best_epoch - 1];
    if (config.metric == Metric::kAuc) {
      EXPECT_GT(best.val_auc, r.history.front().val_auc);
    } else {
      EXPECT_GE(best.val_f1, r.history.front().val_f1);
    }
    EXPECT_GT(r.test.auc, 0.95);
    EXPECT_GT(r.test.f1, 0.8);
    EXPECT_EQ(r.test.confusion.size(), 4u);
    EXPECT_EQ(Model::load(a / "model.safetensors").output_size(), std::string(loss) == "bce" ? 1 : 2);
    train(config, {.out_dir = b});
    EXPECT_TRUE(bytes(a / "model.safetensors") == bytes(b / "model.safetensors"));
  }
}

// PhysioNet-format stays: death when the heart rate ever exceeds 110. One label per stay, read at
// its last time point.
TEST(TrainerTasks, SequenceLabelLearnsAndRepeats) {
  DataDir data("physionet");
  std::string outcomes = "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n";
  for (int id = 1; id <= 120; ++id) {
    std::string text = "Time,Parameter,Value\n00:00,RecordID," + std::to_string(id) + "\n00:00,Age,60\n";
    const int points = 3 + id % 7;
    bool high = false;
    for (int p = 1; p <= points; ++p) {
      const int hr = 70 + (id * 13 + p * 7) % 50;
      high = high || hr > 110;
      char line[64];
      std::snprintf(line, sizeof line, "%02d:%02d,HR,%d\n", p, (id * p) % 60, hr);
      text += line;
    }
    data.write("set-a/" + std::to_string(100000 + id) + ".txt", text);
    outcomes += std::to_string(100000 + id) + ",1,1,1,-1," + (high ? "1" : "0") + "\n";
  }
  data.write("Outcomes-a.txt", outcomes);
  nlohmann::json j = small_config("physionet2012", data.path());
  j["epochs"] = 8;
  j["class_weights"] = {1.0, 2.0};
  const TrainConfig config = parse(j);
  const auto a = temp_dir("seq_a"), b = temp_dir("seq_b");
  const TrainResult r = train(config, {.out_dir = a});
  EXPECT_LT(r.history.back().train_loss, 0.8 * r.history.front().train_loss);
  EXPECT_EQ(r.test.counted, 24);  // one step per test stay
  EXPECT_GT(r.test.auc, 0.8);
  train(config, {.out_dir = b});
  EXPECT_TRUE(bytes(a / "model.safetensors") == bytes(b / "model.safetensors"));
}

}  // namespace
}  // namespace liquid::lfm
