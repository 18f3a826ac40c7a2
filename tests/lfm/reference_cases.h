// The ncps reference cases of tests/data (see tests/data/README.md), shared by the parity suites.
#pragma once

#include <gtest/gtest.h>

namespace liquid::lfm::testing {

// Written by ncps v1.0.1 itself (NCPS_REFERENCE.md).
inline const auto kReferenceCases =
    ::testing::Values("cfc_default", "cfc_no_gate", "cfc_pure", "cfc_silu_2layers_proj", "cfc_no_backbone",
                      "cfc_mixed_memory", "wired_cfc_autoncp", "ltc_fully_connected", "ltc_ncp", "ltc_unconstrained");
// Written by ncps through python/export_ncps.py (tests/data/extra/make_cases.py).
inline const auto kExtraCases =
    ::testing::Values("extra/cfc_gelu_2layers_proj", "extra/cfc_relu_no_gate_mixed", "extra/cfc_tanh_pure_mixed",
                      "extra/wired_cfc_ncp_no_gate", "extra/ltc_autoncp_mixed", "extra/ltc_random_linear_clamped");

// Test names without the folder ("extra/x" -> "x").
inline std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  const auto slash = info.param.rfind('/');
  return slash == std::string::npos ? info.param : info.param.substr(slash + 1);
}

}  // namespace liquid::lfm::testing
