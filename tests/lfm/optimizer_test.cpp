// Adam / AdamW against hand-computed torch updates, resuming from saved state bit for bit,
// clip_grad_norm against a hand-computed norm, and the learning-rate schedules against torch's
// closed forms.
#include "lfm/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "lfm/loss.h"
#include "lfm/model.h"
#include "lfm/model_config.h"

namespace liquid::lfm {
namespace {

// The tiny model of the brief: CfC, 2 inputs, 3 units, no backbone: four 3x5 heads with biases,
// 4 * (15 + 3) = 72 trainable scalars.
ModelConfig tiny_config(int units = 3) {
  ModelConfig config;
  config.cell = CellKind::kCfc;
  config.input_size = 2;
  config.cfc.input_size = 2;
  config.cfc.units = units;
  config.cfc.backbone_layers = 0;
  return config;
}

std::vector<float*> trainable_entries(Model& model) {
  std::vector<float*> out;
  model.for_each_parameter([&](const ParamRef& p) {
    if (!p.trainable) return;
    for (Eigen::Index i = 0; i < p.value->size(); ++i) out.push_back(p.value->data() + i);
  });
  return out;
}

void fill(Model& model, float value) {
  for (float* x : trainable_entries(model)) *x = value;
  model.prepare();
}

std::vector<float> values(Model& model) {
  std::vector<float> out;
  for (float* x : trainable_entries(model)) out.push_back(*x);
  return out;
}

// One scalar through three steps, lr 0.1, betas (0.9, 0.999), eps 1e-8, p0 = 0.5, gradients
// 1, -2, 0.5 (torch's update: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
// p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)):
//   t=1: m = 0.1, v = 0.001; m^ = 1, v^ = 1           -> p = 0.5 - 0.1 * 1/(1 + 1e-8)  = 0.400000001
//   t=2: m = -0.11, v = 0.004999; m^ = -0.11/0.19 = -0.5789474, v^ = 0.004999/0.001999 = 2.5007504,
//        sqrt = 1.5813761                         -> p = 0.4 + 0.1 * 0.5789474/1.5813761 = 0.4366104
//   t=3: m = -0.049, v = 0.005244001; m^ = -0.049/0.271 = -0.1808118, v^ = 0.005244001/0.002997001
//        = 1.7497495, sqrt = 1.3227810          -> p = 0.4366104 + 0.1 * 0.1808118/1.3227810 = 0.4502794
constexpr float kGrads[3] = {1.0f, -2.0f, 0.5f};

template <class Opt>
std::vector<float> three_steps(Opt& opt) {
  Model model(tiny_config(), 1);
  fill(model, 0.5f);
  Model grads = model.zeros_like();
  for (float g : kGrads) {
    fill(grads, g);
    opt.step(model, grads);
  }
  EXPECT_EQ(opt.step_count(), 3);
  return values(model);
}

TEST(Adam, DefaultsAreTorchs) {
  const AdamOptions adam;
  EXPECT_EQ(adam.lr, 1e-3);
  EXPECT_EQ(adam.beta1, 0.9);
  EXPECT_EQ(adam.beta2, 0.999);
  EXPECT_EQ(adam.eps, 1e-8);
  EXPECT_EQ(adam.weight_decay, 0.0);
  EXPECT_EQ(AdamWOptions{}.weight_decay, 1e-2);
  EXPECT_THROW(Adam({.lr = -1}), std::invalid_argument);
  EXPECT_THROW(AdamW({.beta2 = 1.0}), std::invalid_argument);
}

TEST(Adam, ThreeHandComputedSteps) {
  Adam opt({.lr = 0.1});
  const std::vector<float> p = three_steps(opt);
  ASSERT_EQ(p.size(), 72u);
  for (float x : p) EXPECT_NEAR(x, 0.45027942, 2e-7);
}

TEST(Adam, L2WeightDecayAddsToTheGradient) {
  // weight_decay 0.1: g' = g + 0.1 p, so the gradients become 1.05, -1.96, 0.5433972 and (same
  // recursion as above) p = 0.4000000, 0.4339722, 0.4443071.
  Adam opt({.lr = 0.1, .weight_decay = 0.1});
  for (float x : three_steps(opt)) EXPECT_NEAR(x, 0.44430712, 2e-7);
}

TEST(AdamW, DecoupledWeightDecayShrinksTheParameterFirst) {
  // p *= 1 - lr wd = 0.99 before each update; the moments see the raw gradients, so the steps are
  // those of plain Adam: 0.5 * 0.99 - 0.1 = 0.395, 0.395 * 0.99 + 0.0366104 = 0.4276604,
  // 0.4276604 * 0.99 + 0.0136691 = 0.4370528.
  AdamW opt({.lr = 0.1, .weight_decay = 0.1});
  for (float x : three_steps(opt)) EXPECT_NEAR(x, 0.43705282, 2e-7);
}

// Different gradients per entry and per step against the torch recursion in double.
TEST(AdamW, MatchesTheRecursionEntryByEntry) {
  const double lr = 0.01, b1 = 0.8, b2 = 0.99, eps = 1e-6, wd = 0.05;
  AdamW opt({.lr = lr, .beta1 = b1, .beta2 = b2, .eps = eps, .weight_decay = wd});
  Model model(tiny_config(), 7);
  Model grads = model.zeros_like();
  std::vector<double> p, m, v;
  for (float* x : trainable_entries(model)) p.push_back(*x);
  m.assign(p.size(), 0.0);
  v.assign(p.size(), 0.0);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (int t = 1; t <= 3; ++t) {
    std::vector<float*> g = trainable_entries(grads);
    for (float* x : g) *x = normal(rng);
    opt.step(model, grads);
    for (size_t i = 0; i < p.size(); ++i) {
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * *g[i];
      v[i] = b2 * v[i] + (1 - b2) * *g[i] * *g[i];
      p[i] -= lr * (m[i] / (1 - std::pow(b1, t))) / (std::sqrt(v[i] / (1 - std::pow(b2, t))) + eps);
    }
  }
  const std::vector<float> got = values(model);
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(got[i], p[i], 1e-6) << i;
}

TEST(Adam, RejectsGradientsOfAnotherModel) {
  Model model(tiny_config(), 1);
  const Model other(tiny_config(4), 1);
  const std::vector<float> before = values(model);
  Adam opt;
  EXPECT_THROW(opt.step(model, other.zeros_like()), std::invalid_argument);
  EXPECT_EQ(values(model), before);
  EXPECT_EQ(opt.step_count(), 0);
}

TEST(Adam, SetLr) {
  Adam opt;
  opt.set_lr(0.25);
  EXPECT_EQ(opt.lr(), 0.25);
}

// One training step of the real pipeline: forward_backward with an MSE loss on fixed data.
void train_step(Model& model, Optimizer& opt, const LrSchedule& schedule) {
  constexpr int kBatch = 2, kSteps = 4;
  std::vector<float> input(kBatch * kSteps * 2), target(kBatch * kSteps * 3), ts(kBatch * kSteps, 1.0f);
  for (size_t i = 0; i < input.size(); ++i) input[i] = std::sin(0.7f * float(i));
  for (size_t i = 0; i < target.size(); ++i) target[i] = std::cos(0.3f * float(i));
  std::vector<float> output(target.size()), d_output(target.size());
  model.forward(input, ts, kBatch, kSteps, output, {}, {}, 1);
  mse_loss(output, target, kBatch, kSteps, d_output);
  Model grads = model.zeros_like();
  model.forward_backward(input, ts, kBatch, kSteps, d_output, grads);
  clip_grad_norm(grads, 0.5f);
  opt.set_lr(schedule.lr_at(opt.step_count()));
  opt.step(model, grads);
}

TEST(AdamW, ResumedRunIsBitIdentical) {
  LrSchedule schedule;
  schedule.kind = LrScheduleKind::kCosine;
  schedule.lr = 0.05;
  schedule.t_max = 10;
  schedule.warmup = 2;

  Model straight(tiny_config(), 5);
  AdamW straight_opt({.weight_decay = 0.02});
  for (int i = 0; i < 10; ++i) train_step(straight, straight_opt, schedule);

  Model resumed(tiny_config(), 5);
  std::vector<std::byte> checkpoint;
  {
    AdamW first({.weight_decay = 0.02});
    for (int i = 0; i < 5; ++i) train_step(resumed, first, schedule);
    // One checkpoint: the model under "model." (Model::load_tensors refuses unknown names under
    // its prefix, so the optimizer's tensors must sit outside it) and the optimizer state.
    const SafetensorsFile weights = resumed.to_tensors();
    SafetensorsFile state;
    for (const std::string& name : weights.names()) state.add_tensor("model." + name, weights.tensor(name));
    first.save_state(state);
    checkpoint = state.write_memory();
  }
  const SafetensorsFile state = SafetensorsFile::read_memory(checkpoint, "checkpoint");
  EXPECT_EQ(state.metadata().at("optimizer.step"), "5");
  EXPECT_TRUE(state.contains("optimizer.m.rnn_cell.ff1.weight"));
  EXPECT_TRUE(state.contains("optimizer.v.rnn_cell.time_b.bias"));
  Model reloaded = Model::from_tensors(tiny_config(), state, "checkpoint", "model.");
  AdamW second;  // other hyperparameters: load_state must restore the saved ones
  second.load_state(state, reloaded);
  EXPECT_EQ(second.step_count(), 5);
  EXPECT_EQ(second.weight_decay(), 0.02);
  for (int i = 0; i < 5; ++i) train_step(reloaded, second, schedule);

  const std::vector<float> a = values(straight), b = values(reloaded);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

TEST(Adam, LoadStateRejectsForeignState) {
  Model model(tiny_config(), 1);
  Model grads = model.zeros_like();
  fill(grads, 1.0f);
  AdamW adamw;
  adamw.step(model, grads);
  SafetensorsFile saved;
  adamw.save_state(saved);

  Adam adam;
  EXPECT_THROW(adam.load_state(saved, model), FormatError);  // kind adamw, not adam
  AdamW other;
  const Model bigger(tiny_config(4), 1);
  EXPECT_THROW(other.load_state(saved, bigger), FormatError);  // shapes differ
  EXPECT_EQ(other.step_count(), 0);
  SafetensorsFile no_step;
  EXPECT_THROW(other.load_state(no_step, model), FormatError);
}

TEST(ClipGradNorm, HandComputedNorm) {
  Model grads = Model(tiny_config(), 1).zeros_like();
  ASSERT_EQ(grads.parameter_count(), 72);
  // 72 entries of 0.5: norm = 0.5 sqrt(72) = 4.2426407.
  fill(grads, 0.5f);
  EXPECT_NEAR(clip_grad_norm(grads, 10.0f), 4.2426407, 1e-6);
  for (float x : values(grads)) EXPECT_EQ(x, 0.5f);  // below max_norm: untouched
  // max_norm 1: scale 1 / (4.2426407 + 1e-6) = 0.2357022, each entry 0.1178511; norm after ~1.
  EXPECT_NEAR(clip_grad_norm(grads, 1.0f), 4.2426407, 1e-6);
  for (float x : values(grads)) EXPECT_NEAR(x, 0.11785111, 1e-7);
  EXPECT_NEAR(clip_grad_norm(grads, 100.0f), 1.0, 1e-6);
  // Two entries 3 and 4, the rest 0: norm 5.
  fill(grads, 0.0f);
  std::vector<float*> e = trainable_entries(grads);
  *e[0] = 3.0f;
  *e.back() = -4.0f;
  EXPECT_NEAR(clip_grad_norm(grads, 2.5f), 5.0, 1e-6);
  EXPECT_NEAR(*e[0], 1.5f, 1e-6);
  EXPECT_NEAR(*e.back(), -2.0f, 1e-6);
}

TEST(LrSchedule, Constant) {
  LrSchedule s;
  s.lr = 0.01;
  EXPECT_EQ(s.lr_at(0), 0.01);
  EXPECT_EQ(s.lr_at(1000), 0.01);
  EXPECT_THROW(s.lr_at(-1), std::invalid_argument);
}

TEST(LrSchedule, StepLR) {
  // lr * gamma^(epoch // step_size), lr 0.1, step_size 3, gamma 0.5:
  // 0.1 0.1 0.1 0.05 0.05 0.05 0.025 0.025
  LrSchedule s;
  s.kind = LrScheduleKind::kStep;
  s.lr = 0.1;
  s.step_size = 3;
  s.gamma = 0.5;
  const double expected[] = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
  for (int e = 0; e < 8; ++e) EXPECT_NEAR(s.lr_at(e), expected[e], 1e-15) << e;
}

TEST(LrSchedule, CosineAnnealingWithWarmup) {
  // eta_min + (lr - eta_min) (1 + cos(pi e / T_max)) / 2, lr 0.1, eta_min 0.001, T_max 10:
  //   e=0: 0.1; e=2: 0.001 + 0.099 * (1 + cos(0.2 pi)) / 2 = 0.0905463; e=5: 0.0505; e=10: 0.001.
  LrSchedule s;
  s.kind = LrScheduleKind::kCosine;
  s.lr = 0.1;
  s.t_max = 10;
  s.eta_min = 0.001;
  EXPECT_NEAR(s.lr_at(0), 0.1, 1e-15);
  EXPECT_NEAR(s.lr_at(2), 0.0905463412, 1e-10);
  EXPECT_NEAR(s.lr_at(5), 0.0505, 1e-15);
  EXPECT_NEAR(s.lr_at(10), 0.001, 1e-15);
  // Warmup 4 from factor 0.25: lr (0.25 + 0.75 e / 4) = 0.025, 0.04375, 0.0625, 0.08125; then the
  // cosine from its epoch 0: e=4 -> 0.1, e=9 -> 0.0505.
  s.warmup = 4;
  s.warmup_start_factor = 0.25;
  const double warm[] = {0.025, 0.04375, 0.0625, 0.08125, 0.1};
  for (int e = 0; e < 5; ++e) EXPECT_NEAR(s.lr_at(e), warm[e], 1e-15) << e;
  EXPECT_NEAR(s.lr_at(9), 0.0505, 1e-15);
}

TEST(LrSchedule, FromJson) {
  const LrSchedule s = lr_schedule_from_json(
      nlohmann::json::parse(R"({"kind": "cosine", "lr": 0.02, "t_max": 50, "eta_min": 1e-4, "warmup": 3})"), "t.json");
  EXPECT_EQ(s.kind, LrScheduleKind::kCosine);
  EXPECT_EQ(s.lr, 0.02);
  EXPECT_EQ(s.t_max, 50);
  EXPECT_EQ(s.eta_min, 1e-4);
  EXPECT_EQ(s.warmup, 3);
  const LrSchedule round = lr_schedule_from_json(lr_schedule_to_json(s), "round");
  EXPECT_EQ(round.lr_at(20), s.lr_at(20));

  const LrSchedule step = lr_schedule_from_json(nlohmann::json::parse(R"({"kind": "step", "step_size": 7})"), "t");
  EXPECT_EQ(step.step_size, 7);
  EXPECT_EQ(step.gamma, 0.1);

  auto error = [](const char* text) {
    try {
      lr_schedule_from_json(nlohmann::json::parse(text), "t.json");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error(R"({"kind": "cosine"})").find("field 't_max'"), std::string::npos);
  EXPECT_NE(error(R"({"kind": "step", "step_size": 2, "gama": 0.5})").find("field 'gama'"), std::string::npos);
  EXPECT_NE(error(R"({"kind": "constant", "lr": "fast"})").find("field 'lr'"), std::string::npos);
  EXPECT_NE(error(R"({"kind": "linear"})").find("field 'kind'"), std::string::npos);
  EXPECT_NE(error(R"({"lr": 0.1})").find("field 'kind'"), std::string::npos);
  EXPECT_NE(error(R"({"kind": "step", "step_size": 0})").find("field 'step_size'"), std::string::npos);
  EXPECT_NE(error(R"({"kind": "cosine", "t_max": 2.5})").find("t.json: field 't_max'"), std::string::npos);
  EXPECT_NE(error(R"({"kind": "constant", "warmup_start_factor": 0})").find("field 'warmup_start_factor'"),
            std::string::npos);
}

}  // namespace
}  // namespace liquid::lfm
