// The `liquid` command line: each subcommand registers itself on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace liquid::apps {

// Adds the subcommand; returns the function to run if it was chosen (exit code).
using Command = std::function<int()>;
Command add_info_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_import_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_stream_command(CLI::App& app);
Command add_features_command(CLI::App& app);
Command add_evolve_command(CLI::App& app);

}  // namespace liquid::apps
