// liquid: liquid neural networks on irregular streams. Subcommands live one per file (cmd_*.cpp).
#include <cstdio>
#include <exception>
#include <vector>

#include "apps/commands.h"
#include "tasks/fsdd.h"
#include "tasks/seattle_weather.h"
#include "tasks/stocks.h"

int main(int argc, char** argv) {
  // Tasks whose loaders live above lfm (tasks/) join the trainer's built-in ones.
  liquid::tasks::register_fsdd_task();
  liquid::tasks::register_stocks_task();
  liquid::tasks::register_seattle_weather_task();
  CLI::App app{"liquid: liquid time-constant and closed-form continuous-time networks on irregular streams"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, liquid::apps::Command>> commands;
  for (auto add : {liquid::apps::add_info_command, liquid::apps::add_run_command, liquid::apps::add_import_command,
                    liquid::apps::add_export_command, liquid::apps::add_train_command,
                    liquid::apps::add_eval_command, liquid::apps::add_features_command,
                    liquid::apps::add_stream_command, liquid::apps::add_evolve_command}) {
    auto command = add(app);
    commands.emplace_back(app.get_subcommands({}).back(), command);
  }
  CLI11_PARSE(app, argc, argv);
  try {
    for (auto& [sub, run] : commands)
      if (sub->parsed()) return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "liquid: %s\n", e.what());
    return 1;
  }
  return 0;
}
