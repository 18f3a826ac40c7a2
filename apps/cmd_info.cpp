// liquid info MODEL | GENOME: what a model file holds, or what a backbone genome costs.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "lfm/backbone/genome.h"
#include "lfm/model.h"

namespace liquid::apps {

Command add_info_command(CLI::App& app) {
  struct Options {
    std::string model;
    bool tensors = false;
    bool dot = false;
    std::vector<int64_t> contexts;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("info", "Print a model's architecture, parameter count, state size and wiring");
  cmd->add_option("model", opt->model,
                  "Model file (.safetensors), or a backbone genome in quotes (\"d64 liquid:64 conv:3 attn:w512 moe:8x2\")")
      ->required();
  cmd->add_option("--context", opt->contexts, "Samples per stream the state bytes are counted at (default 1k, 8k, 32k)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--tensors", opt->tensors, "Also list every tensor with its shape");
  cmd->add_flag("--dot", opt->dot, "Print the wiring as a Graphviz graph instead (render with: dot -Tpng)");
  return [opt]() {
    const std::vector<int64_t> contexts = opt->contexts.empty() ? std::vector<int64_t>{1024, 8192, 32768} : opt->contexts;
    if (!std::filesystem::exists(opt->model)) {  // a genome: counted without building it
      if (opt->model.find(' ') == std::string::npos &&
          (opt->model.find('/') != std::string::npos || opt->model.ends_with(".safetensors")))
        throw std::runtime_error("model file '" + opt->model + "' does not exist");
      lfm::backbone::Genome genome;
      try {
        genome = lfm::backbone::parse_genome(opt->model);
      } catch (const std::exception& e) {
        throw std::runtime_error("'" + opt->model + "' is not a model file, nor a genome: " + e.what());
      }
      const lfm::backbone::GenomeCounts counts = lfm::backbone::count(genome, contexts.front());
      std::printf("genome:      %s\n", lfm::backbone::to_string(genome).c_str());
      std::printf("blocks:      %zu, width %d\n", genome.blocks.size(), genome.d);
      std::printf("parameters:  %lld, %lld active per token (the backbone alone: no input or output projection)\n",
                  static_cast<long long>(counts.parameters), static_cast<long long>(counts.active_parameters));
      for (int64_t context : contexts)
        std::printf("state:       %lld bytes per stream at a context of %lld samples\n",
                    static_cast<long long>(lfm::backbone::count(genome, context).state_bytes),
                    static_cast<long long>(context));
      return 0;
    }
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
      for (int64_t context : contexts)
        std::printf("state:       %lld bytes per stream at a context of %lld samples\n",
                    static_cast<long long>(model.state_bytes(context)), static_cast<long long>(context));
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
