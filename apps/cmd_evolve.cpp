// liquid evolve CONFIG.json: STAR-style evolutionary search over backbone genomes
// (lfm/evolve/search.h). Each candidate is trained briefly as the configuration says; the Pareto
// front of validation metric, state bytes and parameters goes to OUT/pareto.csv and pareto.png, and
// the best genome to OUT/best.json for `liquid train`. Running it again on OUT resumes.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "apps/commands.h"
#include "lfm/evolve/search.h"

namespace liquid::apps {

Command add_evolve_command(CLI::App& app) {
  struct Options {
    std::string config, out;
    int threads = 0;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("evolve", "Evolve backbone genomes: accuracy vs. state bytes vs. parameters");
  cmd->add_option("config", opt->config,
                  "Search configuration (.json): a train configuration plus \"evolve\"; see samples/evolve/")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", opt->out, "Output folder (default: out/<config name>); an existing one is resumed");
  cmd->add_option("--threads", opt->threads, "Candidates trained at once, one thread each (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  return [opt]() {
    const lfm::evolve::EvolveConfig config = lfm::evolve::load_evolve_config(opt->config);
    lfm::evolve::EvolveOptions options;
    options.out_dir =
        opt->out.empty() ? std::filesystem::path("out") / config.train.name : std::filesystem::path(opt->out);
    options.threads = opt->threads ? opt->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::string metric = lfm::metric_name(config.train.metric);
    options.on_candidate = [&metric](const lfm::evolve::Candidate& c, int done, int total) {
      std::printf("gen %d  %d/%d  #%d  val_%s %.5f  params %lld  state %lld B  %.1f s  %s\n", c.generation, done, total,
                  c.id, metric.c_str(), c.val_metric, static_cast<long long>(c.parameters),
                  static_cast<long long>(c.state_bytes), c.train_seconds, c.genome.c_str());
      std::fflush(stdout);
    };
    options.on_generation = [](int generation, const std::vector<int>& front) {
      std::printf("generation %d done: %zu on the Pareto front\n", generation, front.size());
      std::fflush(stdout);
    };
    std::printf("evolving %s: %d generations x %d candidates, %d at once -> %s\n", config.source.c_str(),
                config.generations, config.population, options.threads, options.out_dir.string().c_str());
    std::fflush(stdout);
    const lfm::evolve::EvolveResult r = lfm::evolve::run_evolution(config, options);
    std::printf("trained %d candidates (%zu from an earlier run); Pareto front (state bytes at %lld samples):\n",
                r.trained, r.candidates.size() - r.trained, static_cast<long long>(config.context));
    for (int i : r.front) {
      const auto& c = r.candidates[i];
      std::printf("  #%-4d val_%s %.5f  state %9lld B  params %7lld  %s%s\n", c.id, metric.c_str(), c.val_metric,
                  static_cast<long long>(c.state_bytes), static_cast<long long>(c.parameters), c.genome.c_str(),
                  i == r.best ? "  <- best.json" : "");
    }
    std::printf("wrote %s, pareto.csv, pareto.png, best.json\n", (options.out_dir / "candidates.csv").string().c_str());
    return 0;
  };
}

}  // namespace liquid::apps
