// Parity with ncps: every reference case of tests/data (written by ncps v1.0.1 itself, see
// NCPS_REFERENCE.md) and of tests/data/extra (more modes, activations and wirings, written by
// ncps through python/export_ncps.py, see make_cases.py there) through both faces.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "lfm/model.h"
#include "tests/lfm/reference_cases.h"

namespace liquid::lfm {
namespace {

const std::string kData = LIQUID_TEST_DATA;

struct Case {
  Model model;
  SafetensorsFile file;
  int batch, steps;
};

Case load_case(const std::string& name) {
  const std::string json_path = kData + "/" + name + ".json";
  std::ifstream in(json_path);
  const nlohmann::json json = nlohmann::json::parse(in);
  SafetensorsFile file = SafetensorsFile::read_file(kData + "/" + name + ".safetensors");
  Model model = Model::from_tensors(config_from_json(json, json_path), file, name, "param.");
  return {std::move(model), std::move(file), json["batch"].get<int>(), json["seq"].get<int>()};
}

// Largest absolute difference relative to the reference tensor's largest magnitude.
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  EXPECT_EQ(got.size(), want.size());
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(double(got[i]) - double(want[i])));
    max_ref = std::max(max_ref, std::abs(double(want[i])));
  }
  return max_diff / std::max(max_ref, 1e-30);
}

constexpr double kTolerance = 1e-5;

class NcpsParity : public ::testing::TestWithParam<std::string> {};

TEST_P(NcpsParity, SequenceFaceMatchesNcpsOutputsAndFinalStates) {
  const Case c = load_case(GetParam());
  const auto input = c.file.as_float("input");
  const auto timespans = c.file.as_float("timespans");
  const auto expected_output = c.file.as_float("expected_output");
  const auto expected_state = c.file.as_float("expected_state");
  std::vector<float> output(expected_output.size()), final_h(expected_state.size()), final_c;
  if (c.file.contains("expected_cell_state")) final_c.resize(expected_state.size());
  c.model.forward(input, timespans, c.batch, c.steps, output, final_h, final_c);
  EXPECT_LE(relative_error(output, expected_output), kTolerance);
  EXPECT_LE(relative_error(final_h, expected_state), kTolerance);
  if (!final_c.empty()) {
    EXPECT_LE(relative_error(final_c, c.file.as_float("expected_cell_state")), kTolerance);
  }
}

// Runs every sample of the case through the step face, one stream at a time.
struct Stepped {
  std::vector<float> output, final_h, final_c;
};
Stepped run_step_face(const Case& c) {
  const auto input = c.file.as_float("input");
  const auto timespans = c.file.as_float("timespans");
  const int n_in = c.model.input_size(), n_out = c.model.output_size(), n_state = c.model.state_size();
  Stepped r;
  r.output.resize(size_t(c.batch) * c.steps * n_out);
  r.final_h.resize(size_t(c.batch) * n_state);
  r.final_c.resize(size_t(c.batch) * n_state);
  ModelWorkspace ws = c.model.make_workspace();
  for (int b = 0; b < c.batch; ++b) {
    ModelState state = c.model.initial_state();
    for (int t = 0; t < c.steps; ++t) {
      const size_t bt = size_t(b) * c.steps + t;
      c.model.step(&input[bt * n_in], timespans[bt], state, &r.output[bt * n_out], ws);
    }
    std::copy(state.h.begin(), state.h.end(), r.final_h.begin() + size_t(b) * n_state);
    if (state.c.size()) std::copy(state.c.begin(), state.c.end(), r.final_c.begin() + size_t(b) * n_state);
  }
  return r;
}

TEST_P(NcpsParity, StepFaceMatchesNcpsSampleBySample) {
  const Case c = load_case(GetParam());
  const Stepped r = run_step_face(c);
  EXPECT_LE(relative_error(r.output, c.file.as_float("expected_output")), kTolerance);
  EXPECT_LE(relative_error(r.final_h, c.file.as_float("expected_state")), kTolerance);
  if (c.file.contains("expected_cell_state")) {
    EXPECT_LE(relative_error(r.final_c, c.file.as_float("expected_cell_state")), kTolerance);
  }
}

TEST_P(NcpsParity, StepAndSequenceFacesGiveTheSameNumbers) {
  const Case c = load_case(GetParam());
  std::vector<float> sequence(size_t(c.batch) * c.steps * c.model.output_size());
  c.model.forward(c.file.as_float("input"), c.file.as_float("timespans"), c.batch, c.steps, sequence);
  // The same kernel runs both; only the matrix-product blocking (GEMV vs GEMM) may round apart.
  EXPECT_LE(relative_error(run_step_face(c).output, sequence), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(AllReferenceCases, NcpsParity, testing::kReferenceCases, testing::case_name);
INSTANTIATE_TEST_SUITE_P(ExtraCases, NcpsParity, testing::kExtraCases, testing::case_name);

}  // namespace
}  // namespace liquid::lfm
