// The backbone as a model kind: its configuration and file, both faces, the gradient through the
// projections and the backbone, thread identity, the MoE auxiliary loss, and training through the
// unchanged trainer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "lfm/model.h"
#include "lfm/trainer.h"
#include "tests/common/allocation_counter.h"

namespace liquid::lfm {
namespace {

using ::testing::HasSubstr;

// Every block kind, full and windowed attention, and a liquid block that reads the real gaps.
constexpr const char* kGenome = "d16 liquid:8 conv:3 attn:h2,w4 mlp:2 attn:h2 moe:4x2";

Model backbone_model(const std::string& genome = kGenome, int inputs = 3, int outputs = 2, uint64_t seed = 5) {
  const nlohmann::json j = {{"model", "backbone"}, {"input_size", inputs}, {"genome", genome}, {"output_size", outputs}};
  return Model(config_from_json(j, "test.json"), seed);
}

struct Data {
  int batch, steps;
  std::vector<float> x, dt;
};

Data make_data(const Model& model, int batch, int steps) {
  Data d{batch, steps, std::vector<float>(size_t(batch) * steps * model.input_size()), std::vector<float>(size_t(batch) * steps)};
  for (size_t i = 0; i < d.x.size(); ++i) d.x[i] = std::sin(0.37f * i) + 0.1f * std::cos(1.3f * i);
  for (size_t i = 0; i < d.dt.size(); ++i) d.dt[i] = 0.05f + 0.4f * ((i * 7) % 5);  // irregular gaps
  return d;
}

std::vector<float> run(const Model& model, const Data& d, int threads = 1) {
  std::vector<float> y(size_t(d.batch) * d.steps * model.output_size());
  model.forward(d.x, d.dt, d.batch, d.steps, y, {}, {}, threads);
  return y;
}

TEST(BackboneModel, ConfigKeepsTheCanonicalGenomeAndErrorsNameTheField) {
  const Model model = backbone_model();
  const nlohmann::json j = config_to_json(model.config());
  EXPECT_EQ(j["model"], "backbone");
  EXPECT_EQ(j["genome"], "d16 liquid:8 conv:3 attn:h2,kv1,hd8,w4 mlp:2 attn:h2,kv1,hd8 moe:4x2,f1");
  EXPECT_EQ(config_from_json(j, "again").genome, model.config().genome);
  EXPECT_EQ(model.state_size(), 0);
  EXPECT_THAT(model.config().describe(), HasSubstr("LFM backbone d16"));
  // Parameters: the projections plus the genome's own count; the MoE's inactive experts are not active.
  const backbone::GenomeCounts counts = backbone::count(model.config().genome, 1024);
  EXPECT_EQ(model.parameter_count(), counts.parameters + 3 * 16 + 16 + 16 * 2 + 2);
  EXPECT_EQ(model.parameter_count() - model.active_parameter_count(), counts.parameters - counts.active_parameters);
  EXPECT_GT(model.parameter_count(), model.active_parameter_count());
  EXPECT_EQ(model.state_bytes(1024), counts.state_bytes);
  EXPECT_GT(model.state_bytes(32768), model.state_bytes(1024));  // the full-attention cache grows

  auto error = [](const nlohmann::json& bad) {
    try {
      config_from_json(bad, "m.json");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error({{"model", "backbone"}, {"input_size", 3}, {"genome", "d16 conv:3 blob"}, {"output_size", 2}}),
              HasSubstr("m.json: field 'genome': "));
  EXPECT_THAT(error({{"model", "backbone"}, {"input_size", 3}, {"output_size", 2}}),
              HasSubstr("m.json: field 'genome': missing"));
  EXPECT_THAT(error({{"model", "backbone"}, {"input_size", 3}, {"genome", kGenome}}),
              HasSubstr("m.json: field 'output_size'"));
  EXPECT_THAT(error({{"model", "backbone"}, {"input_size", 3}, {"genome", kGenome}, {"output_size", 2}, {"units", 4}}),
              HasSubstr("m.json: field 'units': unknown for a backbone model"));
}

TEST(BackboneModel, SaveLoadGivesIdenticalOutputs) {
  const Model model = backbone_model();
  const auto path = std::filesystem::temp_directory_path() / "liquid_backbone_model_roundtrip.safetensors";
  model.save(path);
  const SafetensorsFile file = SafetensorsFile::read_file(path);
  EXPECT_THAT(file.metadata().at("liquid.config"), HasSubstr("\"genome\":\"d16 liquid:8 conv:3"));
  EXPECT_TRUE(file.contains("backbone.blocks.2.attn.q_proj.weight"));
  EXPECT_TRUE(file.contains("in_proj.weight"));
  const Model loaded = Model::load(path);
  const Data d = make_data(model, 3, 11);
  EXPECT_EQ(run(loaded, d), run(model, d));
  std::filesystem::remove(path);
}

TEST(BackboneModel, StepFaceEqualsSequenceFaceAndTheGapsMatter) {
  const Model model = backbone_model();
  const Data d = make_data(model, 2, 13);
  const std::vector<float> seq = run(model, d);
  const int n_out = model.output_size(), n_in = model.input_size();
  auto ws = model.make_workspace();
  std::vector<float> y(n_out);
  for (int b = 0; b < d.batch; ++b) {
    ModelState state = model.initial_state(d.steps);
    for (int t = 0; t < d.steps; ++t) {
      const size_t row = size_t(b) * d.steps + t;
      model.step(d.x.data() + row * n_in, d.dt[row], state, y.data(), ws);
      for (int o = 0; o < n_out; ++o) EXPECT_NEAR(y[o], seq[row * n_out + o], 1e-5) << "b " << b << " t " << t;
    }
  }
  // The real elapsed time reaches the liquid block.
  Data longer = d;
  for (float& g : longer.dt) g *= 3.0f;
  EXPECT_NE(run(model, longer), seq);
  // Step face: no heap allocation once the state exists.
  ModelState state = model.initial_state(20000);
  model.step(d.x.data(), 0.1, state, y.data(), ws);
  const auto allocations = testing::allocations_during([&] {
    for (int k = 0; k < 10000; ++k) model.step(d.x.data() + (k % 20) * n_in, 0.05 + 0.01 * (k % 7), state, y.data(), ws);
  });
  EXPECT_EQ(allocations, 0u);
}

// d/dε of Σ output ⊙ w along a random parameter direction, against forward_backward's gradient.
TEST(BackboneModel, GradientMatchesFiniteDifferences) {
  // Without MoE: its top-k routing is not differentiable where the choice flips.
  Model model = backbone_model("d8 liquid:6 conv:3 attn:h2 mlp:2", 2, 2, 9);
  const Data d = make_data(model, 2, 6);
  std::vector<float> w(size_t(d.batch) * d.steps * model.output_size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(0.7f * i);
  Model grads = model.zeros_like();
  model.forward_backward(d.x, d.dt, d.batch, d.steps, w, grads);
  auto objective = [&](const Model& m) {
    const std::vector<float> y = run(m, d);
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * w[i];
    return s;
  };
  std::vector<Eigen::MatrixXf> direction;
  double analytic = 0;
  int k = 0;
  grads.for_each_parameter([&](const ParamRef& p) {
    Eigen::MatrixXf dir(p.value->rows(), p.value->cols());
    for (Eigen::Index i = 0; i < dir.size(); ++i) dir.data()[i] = std::sin(1.7f * float(i + 31 * k));
    analytic += double(p.value->cwiseProduct(dir).sum());
    direction.push_back(std::move(dir));
    ++k;
  });
  auto shifted = [&](float eps) {
    Model m = model;
    size_t i = 0;
    m.for_each_parameter([&](const ParamRef& p) { *p.value += eps * direction[i++]; });
    m.prepare();
    return objective(m);
  };
  const float eps = 1e-3f;
  const double numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
  EXPECT_GT(std::abs(analytic), 0.1);
  EXPECT_NEAR(numeric, analytic, 2e-2 * std::abs(analytic) + 1e-3);
}

TEST(BackboneModel, ThreadCountGivesIdenticalBytesAndTheMoeAuxLossIsReturned) {
  const Model model = backbone_model();
  const int batch = 2 * Model::kBpttShardColumns + 3, steps = 5;  // two full shards and a partial one
  const Data d = make_data(model, batch, steps);
  std::vector<float> d_y(size_t(batch) * steps * model.output_size());
  for (size_t i = 0; i < d_y.size(); ++i) d_y[i] = std::cos(0.11f * i);
  Model one = model.zeros_like(), two = model.zeros_like();
  std::vector<float> y_one(d_y.size()), y_two(d_y.size());
  const double aux_one = model.forward_backward(d.x, d.dt, batch, steps, d_y, one, y_one, 1);
  const double aux_two = model.forward_backward(d.x, d.dt, batch, steps, d_y, two, y_two, 2);
  EXPECT_GT(aux_one, 0.0);
  EXPECT_EQ(aux_one, aux_two);
  EXPECT_EQ(y_one, y_two);
  std::vector<const Eigen::MatrixXf*> a, b;
  one.for_each_parameter([&](const ParamRef& p) { a.push_back(p.value); });
  two.for_each_parameter([&](const ParamRef& p) { b.push_back(p.value); });
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(0, std::memcmp(a[i]->data(), b[i]->data(), a[i]->size() * sizeof(float))) << "tensor " << i;
  // The sequence face's threads agree too (blocks of other widths may round the products differently).
  const std::vector<float> seq_one = run(model, d, 1), seq_two = run(model, d, 2);
  for (size_t i = 0; i < seq_one.size(); ++i) EXPECT_NEAR(seq_one[i], seq_two[i], 1e-5f * (1 + std::abs(seq_one[i])));

  // With no loss on the outputs, the router still gets the aux term's gradient.
  Model aux_only = model.zeros_like();
  const std::vector<float> zero(d_y.size(), 0.0f);
  model.forward_backward(d.x, d.dt, batch, steps, zero, aux_only);
  float router = 0;
  aux_only.for_each_parameter([&](const ParamRef& p) {
    if (p.name.find("moe.router") != std::string::npos) router += p.value->cwiseAbs().sum();
  });
  EXPECT_GT(router, 0.0f);
}

TEST(BackboneModel, TrainsThroughTheTrainerAndLoads) {
  const nlohmann::json j = {
      {"task", "occupancy"},
      {"data", LIQUID_TEST_DATA "/../../samples/data/series/occupancy"},
      {"model", {{"model", "backbone"}, {"genome", "d16 liquid:16 conv:3 attn:h2,w8 moe:4x2"}}},
      {"optimizer", {{"kind", "adamw"}, {"lr", 0.005}, {"weight_decay", 1e-4}}},
      {"epochs", 3},
      {"batch_size", 24},
      {"clip_grad_norm", 1.0},
      {"seed", 3},
      {"max_train_sequences", 240},
      {"max_eval_sequences", 200}};
  const TrainConfig config = train_config_from_json(j, "backbone.json", "/");
  const auto dir = std::filesystem::temp_directory_path() / "liquid_backbone_model_test_train";
  std::filesystem::remove_all(dir);
  const TrainResult r = train(config, {.out_dir = dir, .threads = 2});
  ASSERT_EQ(r.history.size(), 3u);
  for (const EpochRecord& e : r.history) std::printf("epoch %d train loss %.4f val loss %.4f\n", e.epoch, e.train_loss, e.val_loss);
  EXPECT_LT(r.history.back().train_loss, 0.8 * r.history.front().train_loss);
  const Model loaded = Model::load(dir / "model.safetensors");
  EXPECT_TRUE(loaded.config().backbone());
  EXPECT_EQ(loaded.output_size(), 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace liquid::lfm
