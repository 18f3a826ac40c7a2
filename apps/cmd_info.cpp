// liquid info MODEL: what a model file holds.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "lfm/model.h"

namespace liquid::apps {

Command add_info_command(CLI::App& app) {
  struct Options {
    std::string model;
    bool tensors = false;
    bool dot = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("info", "Print a model's architecture, parameter count, state size and wiring");
  cmd->add_option("model", opt->model, "Model file (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--tensors", opt->tensors, "Also list every tensor with its shape");
  cmd->add_flag("--dot", opt->dot, "Print the wiring as a Graphviz graph instead (render with: dot -Tpng)");
  return [opt]() {
    const lfm::Model model = lfm::Model::load(opt->model);
    const lfm::ModelConfig& c = model.config();
    if (opt->dot) {
      if (!c.wiring) throw std::runtime_error(opt->model + ": a dense CfC has no wiring to draw");
      std::cout << lfm::to_dot(*c.wiring);
      return 0;
    }
    std::printf("model:       %s\n", opt->model.c_str());
    std::printf("cell:        %s\n", c.backbone() ? "LFM backbone between an input and an output projection"
                                                     : c.describe().c_str());
    if (c.backbone()) std::printf("genome:      %s\n", lfm::backbone::to_string(c.genome).c_str());
    std::printf("inputs:      %d\n", model.input_size());
    std::printf("outputs:     %d\n", model.output_size());
    if (c.backbone()) {
      std::printf("parameters:  %lld trainable, %lld active per sample\n",
                  static_cast<long long>(model.parameter_count()), static_cast<long long>(model.active_parameter_count()));
      std::printf("state:       %lld / %lld / %lld bytes per stream at a context of 1k / 8k / 32k samples\n",
                  static_cast<long long>(model.state_bytes(1024)), static_cast<long long>(model.state_bytes(8192)),
                  static_cast<long long>(model.state_bytes(32768)));
    } else {
      std::printf("state:       %d neurons%s, %lld bytes per stream\n", model.state_size(),
                  c.mixed_memory ? " (+ LSTM memory)" : "", static_cast<long long>(model.state_bytes()));
      std::printf("parameters:  %lld trainable\n", static_cast<long long>(model.parameter_count()));
    }
    if (c.wiring) std::printf("wiring:      %s\n", lfm::summary(*c.wiring).c_str());
    if (opt->tensors) {
      model.for_each_parameter([](const lfm::ParamRef& p) {
        std::printf("  %-36s %-12s%s\n", p.name.c_str(), lfm::shape_to_string(p.shape).c_str(),
                    p.trainable ? "" : "  (fixed)");
      });
    }
    return 0;
  };
}

}  // namespace liquid::apps
