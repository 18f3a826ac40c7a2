// Writes a small untrained CfC model file for the gst-launch tests and samples:
//   gst_make_test_model OUT.safetensors INPUTS [CLASS...]
// With class names the file carries "liquid.classes" / "liquid.loss" metadata as `liquid train`
// writes them, so liquidcell gives probabilities and names; without, one raw output.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lfm/model.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT.safetensors INPUTS [CLASS...]\n", argv[0]);
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
    std::string json = "[";
    for (int i = 0; i < classes; ++i) json += std::string(i ? ",\"" : "\"") + argv[3 + i] + "\"";
    file.set_metadata("liquid.classes", json + "]");
    file.set_metadata("liquid.loss", "cross_entropy");
  }
  file.write_file(argv[1]);
  return 0;
}
