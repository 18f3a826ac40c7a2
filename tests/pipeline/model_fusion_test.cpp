// pipeline/model_fusion.h: a model file's network (here a backbone) as the engine's fusion model:
// each decision one token of every stream's latest output, stepped across the real gap, the state
// carried across decisions and through a checkpoint; and "head": "model" in a stream configuration.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "lfm/safetensors.h"
#include "pipeline/engine.h"
#include "pipeline/model_fusion.h"
#include "pipeline/stream_assembly.h"

namespace {

using namespace liquid::pipeline;
using liquid::lfm::Model;
namespace fs = std::filesystem;

// Liquid, conv, windowed and full attention: every unit that keeps a state.
std::shared_ptr<const Model> backbone(int inputs, int outputs, uint64_t seed = 3) {
  const nlohmann::json j = {{"model", "backbone"}, {"input_size", inputs},
                            {"genome", "d8 liquid:8 conv:3 attn:h2,w4 attn:h2 mlp:2"}, {"output_size", outputs}};
  return std::make_shared<const Model>(liquid::lfm::config_from_json(j, "test.json"), seed);
}

std::vector<float> token(int k, int width) {
  std::vector<float> x(static_cast<size_t>(width));
  for (int i = 0; i < width; ++i) x[size_t(i)] = std::sin(0.7f * float(k) + 0.3f * float(i));
  return x;
}

TEST(ModelFusion, EachDecisionIsOneStepOfTheModelAcrossTheRealGap) {
  const auto model = backbone(5, 3);
  ModelFusion fusion(model, HeadKind::kClasses, {"a", "b", "c"}, 64);
  auto state = model->initial_state(64);
  auto ws = model->make_workspace(1);
  std::vector<float> y(3), out(3);
  const std::vector<unsigned char> fresh(2, 1);
  const double times[] = {10.0, 10.5, 12.0, 12.0, 19.25};
  for (int k = 0; k < 5; ++k) {
    const auto x = token(k, 5);
    fusion.evaluate(times[k], x, fresh, out);
    model->step(x.data(), k == 0 ? 0.0 : times[k] - times[k - 1], state, y.data(), ws);
    float sum = 0;
    for (float v : y) sum += std::exp(v);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(out[size_t(i)], std::exp(y[size_t(i)]) / sum, 1e-6) << k << " " << i;
  }
  EXPECT_EQ(fusion.steps(), 5);
}

TEST(ModelFusion, ItsStateGoesThroughACheckpointAndABadOneChangesNothing) {
  const auto model = backbone(4, 2);
  ModelFusion a(model, HeadKind::kValues, {}, 32), b(model, HeadKind::kValues, {}, 32);
  EXPECT_EQ(a.names(), (std::vector<std::string>{"y0", "y1"}));
  std::vector<float> out_a(2), out_b(2);
  for (int k = 0; k < 7; ++k) a.evaluate(k * 0.5, token(k, 4), {}, out_a);
  b.set_state(a.state());
  for (int k = 7; k < 12; ++k) {
    a.evaluate(k * 0.5, token(k, 4), {}, out_a);
    b.evaluate(k * 0.5, token(k, 4), {}, out_b);
    EXPECT_EQ(out_a, out_b) << k;
  }
  std::vector<double> cut = a.state();
  cut.pop_back();
  const std::vector<double> before = b.state();
  EXPECT_THROW(b.set_state(cut), std::invalid_argument);
  EXPECT_EQ(b.state(), before);
}

TEST(ModelFusion, AFullAttentionBackbonePastItsContextSaysSo) {
  ModelFusion fusion(backbone(2, 1), HeadKind::kValues, {}, 3);
  std::vector<float> out(1);
  for (int k = 0; k < 3; ++k) fusion.evaluate(k, token(k, 2), {}, out);
  try {
    fusion.evaluate(3, token(3, 2), {}, out);
    FAIL() << "a fourth decision fitted a 3-token cache";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("max_context = 3"), std::string::npos) << e.what();
  }
}

// Two CSV streams of the same room model, fused by a backbone file: `liquid stream`'s assembly.
TEST(ModelFusion, AStreamConfigurationFusesItsStreamsWithABackboneFile) {
  const fs::path dir = fs::temp_directory_path() / ("liquid_model_fusion_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.csv") << "time,x\n0,1\n1,2\n2.5,0\n4,1\n";
  std::ofstream(dir / "b.csv") << "time,x\n0.5,3\n3,1\n";
  Model(liquid::lfm::config_from_json({{"model", "CfC"}, {"input_size", 1}, {"units", 3}}, "cell"), 1)
      .save(dir / "cell.safetensors");
  backbone(6, 2)->save(dir / "fusion.safetensors");
  backbone(5, 2)->save(dir / "narrow.safetensors");
  const std::string config = R"({"models": {"cell": "cell.safetensors"},
      "streams": [{"name": "a", "model": "cell", "source": {"kind": "csv", "path": "a.csv"}, "encoder": {"kind": "series"}},
                  {"name": "b", "model": "cell", "source": {"kind": "csv", "path": "b.csv"}, "encoder": {"kind": "series"}}],
      "fusion": {"head": "model", "path": "PATH", "context": 16, "names": ["off", "on"], "kind": "classes"}})";
  auto setup_for = [&](const std::string& file) {
    std::string text = config;
    text.replace(text.find("PATH"), 4, file);
    return parse_stream_config_text(text, dir / "home.json");
  };
  {
    const StreamSetup setup = setup_for("fusion.safetensors");
    const auto models = load_models(setup);
    Engine engine(setup.engine);
    add_streams(setup, models, engine);
    auto fusion = make_fusion(setup, models, engine);
    ASSERT_NE(dynamic_cast<ModelFusion*>(fusion.get()), nullptr);
    EXPECT_EQ(fusion->names(), (std::vector<std::string>{"off", "on"}));
    int decisions = 0;
    engine.set_fusion(std::move(fusion), [&](const Decision& d) {
      ++decisions;
      EXPECT_NEAR(d.values[0] + d.values[1], 1.0f, 1e-6);
    });
    std::vector<liquid::encoders::FeatureFrame> frames;
    const double rows[][3] = {{0, 0, 1}, {0.5, 1, 3}, {1, 0, 2}, {2.5, 0, 0}, {3, 1, 1}, {4, 0, 1}};
    for (const auto& r : rows) {
      frames.assign(1, {});
      frames[0].time = r[0];
      frames[0].stream = int(r[1]);
      frames[0].values = {float(r[2])};
      engine.process(frames);
    }
    EXPECT_EQ(decisions, 6);
  }
  {
    const StreamSetup setup = setup_for("narrow.safetensors");
    const auto models = load_models(setup);
    Engine engine(setup.engine);
    add_streams(setup, models, engine);
    try {
      make_fusion(setup, models, engine);
      FAIL() << "a fusion model of 5 inputs took 6";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find("home.json: fusion.path: "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("takes 5 inputs, but the streams' outputs concatenated are 6 wide"),
                std::string::npos)
          << e.what();
    }
  }
  fs::remove_all(dir);
}

}  // namespace
