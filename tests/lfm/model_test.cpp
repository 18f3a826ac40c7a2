// Model files, the LTC's Dormand-Prince option, huge gaps, and the allocation-free step face.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "bench/bench_models.h"
#include "lfm/model.h"
#include "tests/common/allocation_counter.h"

namespace liquid::lfm {
namespace {

using ::testing::HasSubstr;
const std::string kData = LIQUID_TEST_DATA;

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

Model reference_model(const std::string& name) {
  const auto file = SafetensorsFile::read_file(kData + "/" + name + ".safetensors");
  return Model::from_tensors(config_from_json(read_json(kData + "/" + name + ".json"), name), file, name, "param.");
}

std::vector<float> run(const Model& model, const std::vector<float>& x, const std::vector<float>& dt) {
  const int steps = static_cast<int>(dt.size());
  std::vector<float> y(size_t(steps) * model.output_size());
  model.forward(x, dt, 1, steps, y);
  return y;
}

TEST(ModelFile, SavedModelLoadsWithIdenticalWeightsAndOutputs) {
  const auto dir = std::filesystem::temp_directory_path();
  for (const char* name : {"cfc_silu_2layers_proj", "cfc_mixed_memory", "wired_cfc_autoncp", "ltc_ncp"}) {
    const Model model = reference_model(name);
    const auto path = dir / (std::string(name) + "_roundtrip.safetensors");
    model.save(path);
    const Model loaded = Model::load(path);
    EXPECT_EQ(loaded.parameter_count(), model.parameter_count()) << name;
    const std::vector<float> x(size_t(5) * model.input_size(), 0.3f), dt{0.1f, 1.0f, 2.0f, 0.5f, 3.0f};
    EXPECT_EQ(run(loaded, x, dt), run(model, x, dt)) << name;
    std::filesystem::remove(path);
  }
}

TEST(ModelFile, HalfPrecisionFileGivesOutputsCloseToFloat) {
  const Model model = reference_model("cfc_default");
  const auto path = std::filesystem::temp_directory_path() / "cfc_default_f16.safetensors";
  model.save(path, DType::kF16);
  const Model loaded = Model::load(path);
  const std::vector<float> x(size_t(4) * model.input_size(), -0.7f), dt{0.2f, 0.9f, 1.5f, 2.2f};
  const auto a = run(model, x, dt), b = run(loaded, x, dt);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 5e-3);
  std::filesystem::remove(path);
}

TEST(ModelFile, CfcWeightsWithAnLtcConfigAreRefusedNamingTheTensor) {
  const auto cfc = SafetensorsFile::read_file(kData + "/cfc_default.safetensors");
  const ModelConfig ltc = config_from_json(read_json(kData + "/ltc_ncp.json"), "ltc_ncp.json");
  try {
    Model::from_tensors(ltc, cfc, "cfc_default.safetensors", "param.");
    FAIL() << "expected an error";
  } catch (const FormatError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cfc_default.safetensors"));
    EXPECT_THAT(e.what(), HasSubstr("param.rnn_cell."));
    EXPECT_THAT(e.what(), HasSubstr("is not a parameter of this model (LTC"));
  }
}

TEST(ModelFile, MissingTensorIsNamedWithItsExpectedShape) {
  SafetensorsFile empty;
  const ModelConfig config = config_from_json(read_json(kData + "/cfc_default.json"), "cfc_default.json");
  try {
    Model::from_tensors(config, empty, "state.safetensors");
    FAIL() << "expected an error";
  } catch (const FormatError& e) {
    EXPECT_THAT(e.what(), HasSubstr("state.safetensors: tensor 'rnn_cell.backbone.0.weight' is missing"));
    EXPECT_THAT(e.what(), HasSubstr("[16, 13]"));
  }
}

TEST(ModelFile, WrongShapeIsNamedWithBothShapes) {
  auto file = SafetensorsFile::read_file(kData + "/cfc_default.safetensors");
  ModelConfig config = config_from_json(read_json(kData + "/cfc_default.json"), "cfc_default.json");
  config.cfc.backbone_units = 12;  // the file holds 16
  EXPECT_THROW(
      {
        try {
          Model::from_tensors(config, file, "cfc_default.safetensors", "param.");
        } catch (const FormatError& e) {
          EXPECT_THAT(e.what(), HasSubstr("rnn_cell.backbone.0.weight"));
          EXPECT_THAT(e.what(), HasSubstr("[12, 13]"));
          throw;
        }
      },
      FormatError);
}

TEST(ModelConfig, UnknownModeIsRejectedListingTheValidOnes) {
  auto json = read_json(kData + "/cfc_default.json");
  json["mode"] = "gated";
  EXPECT_THAT([&] { config_from_json(json, "c.json"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("'gated' unknown; expected default, no_gate or pure")));
}

TEST(LtcDopri5, AgreesWithTheFusedSolverWithManyUnfolds) {
  Model fused = reference_model("ltc_ncp");
  ModelConfig config = fused.config();
  config.ltc.solver = LtcSolver::kDopri5;
  config.ltc.abs_tol = 1e-7;
  config.ltc.rel_tol = 1e-6;
  Model dopri = Model::from_tensors(config, SafetensorsFile::read_file(kData + "/ltc_ncp.safetensors"), "ltc_ncp", "param.");
  config.ltc.solver = LtcSolver::kFused;
  config.ltc.ode_unfolds = 4000;  // first order: error ~ 1/unfolds
  Model fine = Model::from_tensors(config, SafetensorsFile::read_file(kData + "/ltc_ncp.safetensors"), "ltc_ncp", "param.");
  const std::vector<float> x(size_t(6) * 4, 0.5f), dt{0.05f, 0.4f, 1.3f, 2.5f, 0.8f, 0.1f};
  const auto a = run(dopri, x, dt), b = run(fine, x, dt);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 2e-3) << i;
}

TEST(LtcDopri5, HugeGapStaysFiniteForBothSolvers) {
  for (LtcSolver solver : {LtcSolver::kFused, LtcSolver::kDopri5}) {
    ModelConfig config = reference_model("ltc_fully_connected").config();
    config.ltc.solver = solver;
    const Model model = Model::from_tensors(config, SafetensorsFile::read_file(kData + "/ltc_fully_connected.safetensors"),
                                            "ltc_fully_connected", "param.");
    auto state = model.initial_state();
    auto ws = model.make_workspace();
    std::vector<float> x(model.input_size(), 1.0f), y(model.output_size());
    for (double dt : {1e-6, 1e4, 1e-3, 1e4}) {
      model.step(x.data(), dt, state, y.data(), ws);
      EXPECT_TRUE(state.h.allFinite()) << ltc_solver_name(solver) << " dt " << dt;
      EXPECT_LT(state.h.cwiseAbs().maxCoeff(), 10.0f);  // bounded by the reversal potentials (+-1)
    }
  }
}

TEST(StepFace, TenThousandStepsMakeNoHeapAllocation) {
  for (const auto& bm : bench::bench_models()) {
    const Model model(bm.config, 7);
    auto state = model.initial_state();
    auto ws = model.make_workspace();
    std::vector<float> x(model.input_size(), 0.25f), y(model.output_size());
    model.step(x.data(), 0.1, state, y.data(), ws);  // warm-up
    const auto allocations = testing::allocations_during([&] {
      for (int k = 0; k < 10000; ++k) model.step(x.data(), 0.05 + 0.001 * (k % 100), state, y.data(), ws);
    });
    EXPECT_EQ(allocations, 0u) << bm.name;
  }
}

TEST(StepFace, LtcDopri5StepsMakeNoHeapAllocation) {
  ModelConfig config = reference_model("ltc_ncp").config();
  config.ltc.solver = LtcSolver::kDopri5;
  const Model model(config, 3);
  auto state = model.initial_state();
  auto ws = model.make_workspace();
  std::vector<float> x(model.input_size(), 0.25f), y(model.output_size());
  model.step(x.data(), 0.1, state, y.data(), ws);
  const auto allocations = testing::allocations_during([&] {
    for (int k = 0; k < 1000; ++k) model.step(x.data(), 0.5, state, y.data(), ws);
  });
  EXPECT_EQ(allocations, 0u);
}

TEST(SequenceFace, ThreadCountDoesNotChangeTheNumbers) {
  for (const auto& bm : bench::bench_models()) {
    const Model model(bm.config, 11);
    const int batch = 5, steps = 9;
    std::vector<float> x(size_t(batch) * steps * model.input_size()), dt(size_t(batch) * steps);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * i);
    for (size_t i = 0; i < dt.size(); ++i) dt[i] = 0.05f + 0.2f * (i % 7);
    std::vector<float> one(size_t(batch) * steps * model.output_size()), two(one.size());
    model.forward(x, dt, batch, steps, one, {}, {}, 1);
    model.forward(x, dt, batch, steps, two, {}, {}, 2);
    for (size_t i = 0; i < one.size(); ++i) EXPECT_NEAR(one[i], two[i], 1e-5f * (1 + std::abs(one[i]))) << bm.name;
  }
}


// Data-parallel training must not change a single bit: the shards depend on the batch alone.
TEST(TrainingFace, ThreadCountGivesIdenticalGradientBytes) {
  for (const auto& bm : bench::bench_models()) {
    const Model model(bm.config, 13);
    const int batch = 2 * Model::kBpttShardColumns + 3, steps = 7;  // two full shards and a partial one
    std::vector<float> x(size_t(batch) * steps * model.input_size()), dt(size_t(batch) * steps);
    std::vector<float> d_y(size_t(batch) * steps * model.output_size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * i);
    for (size_t i = 0; i < dt.size(); ++i) dt[i] = 0.05f + 0.2f * (i % 7);
    for (size_t i = 0; i < d_y.size(); ++i) d_y[i] = std::cos(0.11f * i);
    Model one = model.zeros_like(), two = model.zeros_like();
    std::vector<float> y_one(d_y.size()), y_two(d_y.size());
    model.forward_backward(x, dt, batch, steps, d_y, one, y_one, 1);
    model.forward_backward(x, dt, batch, steps, d_y, two, y_two, 2);
    EXPECT_EQ(y_one, y_two) << bm.name;
    std::vector<const Eigen::MatrixXf*> a, b;
    one.for_each_parameter([&](const ParamRef& p) { a.push_back(p.value); });
    two.for_each_parameter([&](const ParamRef& p) { b.push_back(p.value); });
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i]->size(), b[i]->size());
      EXPECT_EQ(0, std::memcmp(a[i]->data(), b[i]->data(), a[i]->size() * sizeof(float))) << bm.name << " tensor " << i;
    }
  }
}
}  // namespace
}  // namespace liquid::lfm

namespace liquid::lfm {
namespace {

TEST(NcpsExport, ImportedNcpsTensorsExportBitForBitWithAConfigThatRebuildsTheModel) {
  const auto dir = std::filesystem::temp_directory_path();
  for (const char* name : {"cfc_silu_2layers_proj", "cfc_mixed_memory", "wired_cfc_autoncp", "ltc_ncp",
                           "ltc_unconstrained"}) {
    const auto reference = SafetensorsFile::read_file(kData + "/" + name + ".safetensors");
    const Model model = reference_model(name);
    const auto state_path = dir / (std::string(name) + "_export.safetensors");
    const auto config_path = dir / (std::string(name) + "_export.json");
    model.export_ncps(state_path, config_path);
    const auto exported = SafetensorsFile::read_file(state_path);
    int compared = 0;
    for (const std::string& ref_name : reference.names()) {
      if (ref_name.rfind("param.", 0) != 0) continue;
      const std::string state_name = ref_name.substr(6);
      ASSERT_TRUE(exported.contains(state_name)) << name << ": " << state_name;
      EXPECT_EQ(exported.tensor(state_name).shape, reference.tensor(ref_name).shape) << state_name;
      EXPECT_EQ(exported.as_float(state_name), reference.as_float(ref_name)) << name << ": " << state_name;
      ++compared;
    }
    EXPECT_EQ(static_cast<size_t>(compared), exported.names().size()) << name << ": extra tensors in the export";
    const Model rebuilt = Model::from_tensors(config_from_json(read_json(config_path.string()), config_path.string()),
                                              exported, state_path.string());
    const std::vector<float> x(size_t(3) * model.input_size(), 0.4f), dt{0.3f, 1.1f, 2.0f};
    EXPECT_EQ(run(rebuilt, x, dt), run(model, x, dt)) << name;
    std::filesystem::remove(state_path);
    std::filesystem::remove(config_path);
  }
}

}  // namespace
}  // namespace liquid::lfm
