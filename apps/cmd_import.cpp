// liquid import --ncps STATE --config CONFIG -o MODEL: an ncps state_dict into a liquid model file.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "lfm/model.h"

namespace liquid::apps {

Command add_import_command(CLI::App& app) {
  struct Options {
    std::string state, config, output, dtype = "f32";
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Convert an ncps model (state_dict saved with safetensors + its config JSON) into a liquid model");
  cmd->add_option("--ncps", opt->state, "ncps state_dict: safetensors.torch.save_file(model.state_dict(), STATE)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", opt->config, "Configuration JSON, as python/export_ncps.py writes it")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", opt->output, "Model file to write")->required();
  cmd->add_option("--dtype", opt->dtype, "Storage type of the weights")
      ->check(CLI::IsMember({"f32", "f16", "bf16", "f64"}))
      ->capture_default_str();
  return [opt]() {
    std::ifstream in(opt->config);
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(opt->config + ": not valid JSON: " + e.what());
    }
    lfm::ModelConfig config = lfm::config_from_json(json, opt->config);
    const lfm::SafetensorsFile state = lfm::SafetensorsFile::read_file(opt->state);
    // ncps's state_dict keys have no prefix; the reference cases prefix them with "param.".
    const bool prefixed = !state.contains("rnn_cell.ff1.weight") && !state.contains("rnn_cell.gleak") &&
                          !state.contains("rnn_cell.layer_0.ff1.weight") &&
                          (state.contains("param.rnn_cell.ff1.weight") || state.contains("param.rnn_cell.gleak") ||
                           state.contains("param.rnn_cell.layer_0.ff1.weight"));
    const lfm::Model model = lfm::Model::from_tensors(config, state, opt->state, prefixed ? "param." : "");
    const lfm::DType dtype = opt->dtype == "f16"    ? lfm::DType::kF16
                             : opt->dtype == "bf16" ? lfm::DType::kBF16
                             : opt->dtype == "f64"  ? lfm::DType::kF64
                                                    : lfm::DType::kF32;
    model.save(opt->output, dtype);
    std::printf("%s: %s, %lld parameters\n", opt->output.c_str(), model.config().describe().c_str(),
                static_cast<long long>(model.parameter_count()));
    return 0;
  };
}

}  // namespace liquid::apps
