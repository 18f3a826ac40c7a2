// Gradients against ncps: every reference case's `grad.NAME` is autograd's gradient of
// sum(output * loss_weights) over the whole sequence; Model::forward_backward must match it.
#include <gtest/gtest.h>

#include <fstream>

#include "lfm/model.h"
#include "tests/lfm/reference_cases.h"

namespace liquid::lfm {
namespace {

const std::string kData = LIQUID_TEST_DATA;

class GradientParity : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientParity, BackpropagationThroughTimeMatchesNcpsAutograd) {
  const std::string name = GetParam();
  std::ifstream in(kData + "/" + name + ".json");
  const nlohmann::json json = nlohmann::json::parse(in);
  const auto file = SafetensorsFile::read_file(kData + "/" + name + ".safetensors");
  const Model model = Model::from_tensors(config_from_json(json, name), file, name, "param.");
  const int batch = json["batch"], steps = json["seq"];
  Model grads = model.zeros_like();
  std::vector<float> output(file.as_float("expected_output").size());
  model.forward_backward(file.as_float("input"), file.as_float("timespans"), batch, steps,
                         file.as_float("loss_weights"), grads, output);

  int checked = 0;
  grads.for_each_parameter([&](const ParamRef& p) {
    if (!p.trainable) return;
    const std::string ref = "grad." + p.name;
    ASSERT_TRUE(file.contains(ref)) << ref;
    const auto want = file.as_float(ref);
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> got = *p.value;  // torch layout
    ASSERT_EQ(static_cast<size_t>(got.size()), want.size()) << p.name;
    double max_diff = 0, max_ref = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(double(got.data()[i]) - want[i]));
      max_ref = std::max(max_ref, std::abs(double(want[i])));
    }
    EXPECT_LE(max_diff, 1e-4 * std::max(max_ref, 1e-6)) << p.name << ": max |diff| " << max_diff << ", max |ref| " << max_ref;
    ++checked;
  });
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(AllReferenceCases, GradientParity, testing::kReferenceCases, testing::case_name);
INSTANTIATE_TEST_SUITE_P(ExtraCases, GradientParity, testing::kExtraCases, testing::case_name);

}  // namespace
}  // namespace liquid::lfm
