// Writes a small untrained CfC model file for the gst-launch tests and samples:
//   gst_make_test_model OUT.safetensors INPUTS [CLASS...]
// With class names the file carries "liquid.classes" / "liquid.loss" metadata as `liquid train`
// writes them, so liquidcell gives probabilities and names; without, one raw output.
//   gst_make_test_model --head OUT.safetensors INPUTS CLASS...
// writes a random fusion head file instead (pipeline::read_head_file's format): "weight"
// [classes, INPUTS], "bias", and "liquid.head" {"kind": "classes", "names": [...]}.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lfm/model.h"
#include "pipeline/fusion.h"

static std::string names_json(int n, char** names) {
  std::string json = "[";
  for (int i = 0; i < n; ++i) json += std::string(i ? ",\"" : "\"") + names[i] + "\"";
  return json + "]";
}

int main(int argc, char** argv) {
  if (argc >= 5 && std::string(argv[1]) == "--head") {
    const int inputs = std::atoi(argv[3]);
    std::vector<std::string> names(argv + 4, argv + argc);
    const auto head = liquid::pipeline::LinearHead::random(liquid::pipeline::HeadKind::kClasses, names, inputs, 1);
    liquid::lfm::SafetensorsFile file;
    const Eigen::Matrix<float, -1, -1, Eigen::RowMajor> w = head->weight();
    file.add_tensor("weight", {int(w.rows()), int(w.cols())}, std::span<const float>(w.data(), size_t(w.size())));
    file.add_tensor("bias", {int(w.rows())}, std::span<const float>(head->bias().data(), size_t(w.rows())));
    file.set_metadata("liquid.head", "{\"kind\": \"classes\", \"names\": " + names_json(argc - 4, argv + 4) + "}");
    file.write_file(argv[2]);
    return 0;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT.safetensors INPUTS [CLASS...]\n       %s --head OUT.safetensors INPUTS CLASS...\n", argv[0], argv[0]);
    return 2;
  }
  const int inputs = std::atoi(argv[2]);
  const int classes = argc - 3;
  liquid::lfm::ModelConfig config;
  config.cell = liquid::lfm::CellKind::kCfc;
  config.input_size = inputs;
  config.cfc.input_size = inputs;
  config.cfc.units = 16;
  config.cfc.backbone_units = 32;
  config.proj_size = classes > 0 ? classes : 1;
  auto file = liquid::lfm::Model(config, 1).to_tensors();
  if (classes > 0) {
    file.set_metadata("liquid.classes", names_json(classes, argv + 3));
    file.set_metadata("liquid.loss", "cross_entropy");
  }
  file.write_file(argv[1]);
  return 0;
}
