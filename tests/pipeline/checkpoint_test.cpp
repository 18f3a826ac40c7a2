// Checkpoints: a run stopped and restored from its last checkpoint makes exactly the decisions of
// an unbroken run (engine alone, and the runner stopped mid-stream); another configuration is
// refused with a message naming the difference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "pipeline/checkpoint.h"
#include "pipeline/runner.h"

namespace {

using namespace liquid::pipeline;
using liquid::encoders::FeatureFrame;
using liquid::lfm::Model;

std::shared_ptr<const Model> model_from(const nlohmann::json& j, uint64_t seed) {
  return std::make_shared<const Model>(liquid::lfm::config_from_json(j, "test"), seed);
}

struct Recorded {
  double time;
  std::vector<float> values;
  int argmax;
  uint64_t samples;
  std::vector<int> fresh, stale;
  bool operator==(const Recorded&) const = default;  // floats compared exactly: bit-exact or bust
};

// Four streams over two models (a CfC and a mixed-memory CfC with a projection), a random
// classifier head; `mode` decides when decisions come.
struct Rig {
  std::shared_ptr<const Model> a = model_from({{"model", "CfC"}, {"input_size", 3}, {"units", 6}, {"backbone_layers", 0}}, 1);
  std::shared_ptr<const Model> b = model_from(
      {{"model", "CfC"}, {"input_size", 2}, {"units", 5}, {"mixed_memory", true}, {"proj_size", 2}, {"backbone_layers", 0}}, 2);
  std::vector<Recorded> decisions;

  std::unique_ptr<Engine> make(DecisionMode mode, const std::string& name1 = "hall", uint64_t head_seed = 9) {
    auto e = std::make_unique<Engine>(EngineConfig{.decisions = {.mode = mode, .period = 0.7, .threshold = 0.01f}});
    e->add_model(a);
    e->add_model(b);
    e->add_stream({.name = "kitchen", .model = 0, .late = LatePolicy::kDrop, .timeout = 2.0});
    e->add_stream({.name = name1, .model = 1, .timeout = 3.0});
    e->add_stream({.name = "porch", .model = 0, .timeout = 1.5, .dt_scale = 0.5});
    e->add_stream({.name = "attic", .model = 1, .first_dt = 0.1});
    e->set_fusion(LinearHead::random(HeadKind::kClasses, {"empty", "one", "many"}, 6 + 2 + 6 + 2, head_seed),
                  [this](const Decision& d) {
                    decisions.push_back({d.time, d.values, d.argmax, d.samples, d.fresh, d.stale});
                  });
    return e;
  }
};

// Irregular frames: random stream, random gaps, some late frames for the dropping stream.
std::vector<FeatureFrame> frames(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> gap(0.01, 1.2);
  std::normal_distribution<float> value(0.0f, 1.0f);
  std::vector<double> t(4, 100.0);
  std::vector<FeatureFrame> out;
  for (int k = 0; k < n; ++k) {
    FeatureFrame f;
    f.stream = static_cast<int>(rng() % 4);
    t[f.stream] += gap(rng);
    f.time = (f.stream == 0 && rng() % 10 == 0) ? t[0] - 5.0 : t[f.stream];  // late: dropped, counted
    f.values.resize(f.stream % 2 == 0 ? 3 : 2);
    for (float& v : f.values) v = value(rng);
    out.push_back(std::move(f));
  }
  return out;
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("liquid_ckpt_" + std::to_string(::getpid()) + "_" + name);
}

void process_in_chunks(Engine& e, std::span<const FeatureFrame> f, size_t chunk) {
  for (size_t pos = 0; pos < f.size(); pos += chunk) e.process(f.subspan(pos, std::min(chunk, f.size() - pos)));
}

TEST(Checkpoint, RestoredRunMakesTheUnbrokenRunsDecisionsInEveryMode) {
  const auto all = frames(600, 7);
  for (DecisionMode mode : {DecisionMode::kPerSample, DecisionMode::kRate, DecisionMode::kOnChange}) {
    Rig unbroken;
    auto u = unbroken.make(mode);
    process_in_chunks(*u, all, 25);

    Rig first, second;
    auto e1 = first.make(mode);
    const size_t cut = 350;  // a multiple of the chunk: the same batches as the unbroken run
    process_in_chunks(*e1, std::span(all).first(cut), 25);
    const auto path = temp_path("modes.safetensors");
    save_checkpoint(*e1, path, {{"note", "test"}});
    e1.reset();  // the "killed" process

    auto e2 = second.make(mode);
    EXPECT_EQ(load_checkpoint(*e2, path).at("note"), "test");
    process_in_chunks(*e2, std::span(all).subspan(cut), 25);

    ASSERT_GT(second.decisions.size(), 5u);
    ASSERT_EQ(first.decisions.size() + second.decisions.size(), unbroken.decisions.size());
    for (size_t k = 0; k < second.decisions.size(); ++k)
      EXPECT_TRUE(second.decisions[k] == unbroken.decisions[first.decisions.size() + k]) << "decision " << k;
    for (int s = 0; s < 4; ++s) {
      EXPECT_EQ(e2->state(s), u->state(s));
      EXPECT_EQ(e2->stats(s).samples, u->stats(s).samples);
      EXPECT_EQ(e2->stats(s).dropped_late, u->stats(s).dropped_late);
      EXPECT_EQ(e2->last_time(s), u->last_time(s));
    }
    EXPECT_GT(e2->stats(0).dropped_late, 0u);
    std::filesystem::remove(path);
  }
}

TEST(Checkpoint, RunnerStoppedMidStreamResumesFromItsLastCheckpoint) {
  // Periodic checkpoints taken by the runner's worker; the run is stopped (queued frames thrown
  // away), a fresh engine restores the last checkpoint and is fed from the first frame it had not
  // applied. Single-model CfC streams: every batch split gives identical numbers.
  const auto all = frames(3000, 11);
  std::vector<FeatureFrame> mono;  // streams 0 and 2 only (model a)
  for (const auto& f : all)
    if (f.stream % 2 == 0) mono.push_back({f.time, f.stream / 2, f.values});
  auto make = [](Rig& s) {
    auto e = std::make_unique<Engine>(EngineConfig{.decisions = {.mode = DecisionMode::kPerSample}});
    e->add_model(s.a);
    e->add_stream({.name = "x", .late = LatePolicy::kDrop});
    e->add_stream({.name = "y", .late = LatePolicy::kDrop});
    e->set_fusion(LinearHead::random(HeadKind::kValues, {"v"}, 12, 3),
                  [&s](const Decision& d) { s.decisions.push_back({d.time, d.values, d.argmax, d.samples, d.fresh, d.stale}); });
    return e;
  };
  Rig unbroken, first, second;
  auto u = make(unbroken);
  u->process(mono);

  const auto path = temp_path("runner.safetensors");
  auto e1 = make(first);
  uint64_t checkpoints = 0;
  {
    Runner runner(*e1, {.max_batch_frames = 64, .after_batch = [&](Engine& e) {
                          save_checkpoint(e, path, {{"applied", e.samples()}});  // every batch
                          ++checkpoints;
                        }});
    Input& in = runner.add_input({.name = "in", .capacity = 128});
    runner.start();
    for (size_t k = 0; k < mono.size() / 2; ++k) {
      FeatureFrame f = mono[k];
      ASSERT_TRUE(in.push(f));
    }
    runner.stop(CloseMode::kDiscard);  // stopped mid-stream
  }
  ASSERT_GT(checkpoints, 0u);
  auto e2 = make(second);
  load_checkpoint(*e2, path);
  // Frames applied or dropped as late: the processed prefix is every frame up to the last one
  // counted (samples + dropped_late per stream, in order).
  const uint64_t done = e2->stats(0).samples + e2->stats(0).dropped_late + e2->stats(1).samples + e2->stats(1).dropped_late;
  ASSERT_GT(done, 0u);
  e2->process(std::span(mono).subspan(done));
  const size_t before = unbroken.decisions.size() - second.decisions.size();
  for (size_t k = 0; k < second.decisions.size(); ++k)
    ASSERT_TRUE(second.decisions[k] == unbroken.decisions[before + k]) << "decision " << k;
  EXPECT_EQ(unbroken.decisions[before].samples, e2->samples() - second.decisions.size() + 1);
  EXPECT_EQ(e2->state(0), u->state(0));
  EXPECT_EQ(e2->state(1), u->state(1));
  std::filesystem::remove(path);
}

std::string load_error(Engine& e, const std::filesystem::path& path) {
  try {
    load_checkpoint(e, path);
  } catch (const CheckpointError& err) {
    return err.what();
  }
  return "(no error)";
}

TEST(Checkpoint, AnotherConfigurationIsRefusedNamingTheDifference) {
  Rig s;
  auto e = s.make(DecisionMode::kPerSample);
  const auto some = frames(40, 3);
  e->process(some);
  const auto path = temp_path("refuse.safetensors");
  save_checkpoint(*e, path);

  auto renamed = s.make(DecisionMode::kPerSample, "garage");
  std::string msg = load_error(*renamed, path);
  EXPECT_NE(msg.find("streams[1].name"), std::string::npos) << msg;
  EXPECT_NE(msg.find("garage"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_EQ(renamed->samples(), 0u);  // untouched

  EXPECT_NE(load_error(*s.make(DecisionMode::kRate), path).find("decisions.mode"), std::string::npos);

  Rig other_weights;
  other_weights.a = model_from({{"model", "CfC"}, {"input_size", 3}, {"units", 6}, {"backbone_layers", 0}}, 99);
  msg = load_error(*other_weights.make(DecisionMode::kPerSample), path);
  EXPECT_NE(msg.find("models[0].weights_fnv1a"), std::string::npos) << msg;

  Rig bigger;
  bigger.a = model_from({{"model", "CfC"}, {"input_size", 3}, {"units", 7}, {"backbone_layers", 0}}, 1);
  auto eb = std::make_unique<Engine>(EngineConfig{.decisions = {.mode = DecisionMode::kPerSample}});
  eb->add_model(bigger.a);
  eb->add_stream({.name = "kitchen"});
  msg = load_error(*eb, path);
  EXPECT_NE(msg.find("models"), std::string::npos) << msg;

  // Not a checkpoint at all: a model file.
  const auto model_path = temp_path("model.safetensors");
  s.a->save(model_path);
  msg = load_error(*s.make(DecisionMode::kPerSample), model_path);
  EXPECT_NE(msg.find("not an engine checkpoint"), std::string::npos) << msg;
  EXPECT_NE(load_error(*s.make(DecisionMode::kPerSample), temp_path("missing")).find("missing"), std::string::npos);
  std::filesystem::remove(path);
  std::filesystem::remove(model_path);
}

}  // namespace
