// liquid export --ncps MODEL -o STATE --config CONFIG: a liquid model back into ncps.
#include <cstdio>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "lfm/model.h"

namespace liquid::apps {

Command add_export_command(CLI::App& app) {
  struct Options {
    std::string model, state, config;
    bool ncps = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a liquid model as an ncps state_dict (safetensors) and its configuration JSON");
  cmd->add_option("model", opt->model, "Model file (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--ncps", opt->ncps, "Export for ncps (the only format so far)")->required();
  cmd->add_option("-o,--output", opt->state,
                  "State file: in Python, model.load_state_dict(safetensors.torch.load_file(STATE))")
      ->required();
  cmd->add_option("--config", opt->config, "Configuration JSON to write (the CfC/LTC arguments and the wiring)")
      ->required();
  return [opt]() {
    const lfm::Model model = lfm::Model::load(opt->model);
    model.export_ncps(opt->state, opt->config);
    std::printf("%s, %s: %s\n", opt->state.c_str(), opt->config.c_str(), model.config().describe().c_str());
    return 0;
  };
}

}  // namespace liquid::apps
