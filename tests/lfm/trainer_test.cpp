// The trainer on small slices of the shipped occupancy data: the loss falls, runs are reproducible
// to the byte, a resumed run equals an uninterrupted one, and configuration errors name the field.
#include "lfm/trainer.h"

#include <gtest/gtest.h>

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
      {"batch_size", 16},
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
  EXPECT_EQ(header, "epoch,train_loss,val_loss,val_metric,lr,seconds");
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
  EXPECT_NE(bytes(a / "model.safetensors"), bytes(c / "model.safetensors"));
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
  expect_error(with("task", "weather"), "field 'task'");
  expect_error(with("learning_rate", 0.1), "field 'learning_rate': unknown");
  expect_error(with("optimizer", {{"kind", "sgd"}}), "field 'optimizer.kind'");
  expect_error(with("optimizer", {{"lr", -1}}), "field 'optimizer.lr'");
  expect_error(with("optimizer", {{"momentum", 0.9}}), "field 'optimizer.momentum'");
  expect_error(with("schedule", {{"kind", "cosine"}}), "field 'schedule.t_max'");
  expect_error(with("schedule", {{"kind", "step"}, {"step_size", 2}, {"lr", 0.1}}), "field 'schedule.lr'");
  expect_error(with("early_stopping", {{"patience", -1}}), "field 'early_stopping.patience'");
  expect_error(with("class_weights", {1.0}), "field 'class_weights'");
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

}  // namespace
}  // namespace liquid::lfm
