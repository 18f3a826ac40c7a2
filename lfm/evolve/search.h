// `liquid evolve`: a STAR-style evolutionary search over backbone genomes (Thomas et al. 2024,
// arXiv:2411.17800). Each candidate is trained briefly with a fixed budget (the `liquid train`
// configuration's epochs and caps) and scored on three minimised objectives: its validation metric
// (the configuration's "metric", the one the trainer picks its best epoch by; "loss" = validation
// loss), its streaming state bytes per stream at a long context, and its parameter count.
//
// A configuration is a `liquid train` configuration whose model is a backbone, plus "evolve":
//
//   "evolve": {"population": 8, "generations": 5,
//              "seeds": ["d32 liquid:32 conv:3 attn:h2,w64 conv:3 mlp:2 liquid:32 mlp:2"],
//              "blocks": ["conv", "attn", "liquid", "mlp"], "min_blocks": 2, "max_blocks": 10,
//              "parameters": {"target": 44000, "tolerance": 0.05}, "context": 32768,
//              "selection": "pareto", "crossover": 0.5, "max_mutations": 2, "seed": 1}
//
// Generation 0 is the seeds (their width d is the search's) and mutants of them; each later
// generation is `population` children of parents drawn by binary tournament from the survivors:
// "pareto" keeps the NSGA-II best `population` of everything trained so far and compares by
// (front, crowding distance); "tournament" compares by the validation metric alone. A child is a
// one-point crossover of two parents (with probability "crossover") and/or up to "max_mutations"
// mutations, redrawn until it is new and within the limits (kinds, block count, parameters within
// target ± tolerance, counted on the whole model: input and output projections included).
//
// Candidates train in parallel, one per worker thread, each single-threaded into
// OUT/candidates/<id>/. The genomes drawn depend only on the seed and the results of earlier
// generations, and training is deterministic, so the same configuration gives the same candidates
// and scores on any number of workers (only train_seconds differs).
//
// Files in OUT: evolve.json (the configuration the run started with), candidates.csv (one row per
// trained candidate, appended as each finishes, rewritten in id order after each generation),
// pareto.csv (the current front), pareto.png, best.json (a `liquid train` configuration of the
// front's candidate with the lowest validation metric). Running again on the same OUT resumes:
// rows of candidates.csv are not retrained (a candidate without a row is trained from scratch),
// and the configuration must equal evolve.json except for "evolve.generations", which may grow.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lfm/evolve/mutation.h"
#include "lfm/evolve/pareto.h"
#include "lfm/trainer.h"

namespace liquid::lfm::evolve {

enum class Selection { kPareto, kTournament };

struct EvolveConfig {
  TrainConfig train;    // per-candidate training; its model's genome is replaced by each candidate's
  nlohmann::json json;  // the whole configuration, "data" made absolute (what evolve.json holds)
  std::string source = "<config>";
  int population = 8;
  int generations = 4;
  std::vector<backbone::Genome> seeds;
  MutationSpace space;
  int64_t target_parameters = 0;  // 0: no parameter limit
  double tolerance = 0.05;        // parameters within target x (1 ± tolerance)
  int64_t context = 32768;        // state bytes are counted at this many samples
  Selection selection = Selection::kPareto;
  double crossover = 0.5;
  int max_mutations = 2;
  uint64_t seed = 0;
};

// Errors are std::invalid_argument "<source>: field 'evolve.population': ...". Relative "data"
// paths resolve against base_dir.
EvolveConfig evolve_config_from_json(const nlohmann::json& json, const std::string& source,
                                     const std::filesystem::path& base_dir);
EvolveConfig load_evolve_config(const std::filesystem::path& file);

struct Candidate {
  int generation = 0, id = 0;
  std::string genome;        // canonical text
  std::vector<int> parents;  // ids: the seed a first-generation mutant came from; empty for seeds
  int64_t parameters = 0, active_parameters = 0, state_bytes = 0;
  double val_loss = 0, val_metric = 0, test_metric = 0;  // the configuration's metric
  double train_seconds = 0;
  // (validation metric as minimised, state bytes, parameters); a NaN score counts as +infinity.
  Objectives objectives(bool higher_is_better) const;
};

struct EvolveOptions {
  std::filesystem::path out_dir;
  int threads = 0;  // candidates trained at once (0: one per core)
  // After each candidate trained in this run (from the worker thread, serialised): the candidate,
  // how many of its generation are done, and the generation's size.
  std::function<void(const Candidate&, int done, int total)> on_candidate = nullptr;
  std::function<void(int generation, const std::vector<int>& front)> on_generation = nullptr;
};

struct EvolveResult {
  std::vector<Candidate> candidates;  // every candidate, id order (id == index)
  std::vector<int> front;             // ids on the Pareto front, by state bytes
  int best = -1;                      // id written to best.json
  int trained = 0;                    // candidates trained by this run (the rest came from candidates.csv)
};

EvolveResult run_evolution(const EvolveConfig& config, const EvolveOptions& options);

// candidates.csv and pareto.csv: header, then one row per candidate (genome quoted).
void write_candidates_csv(const std::filesystem::path& path, const std::vector<Candidate>& rows,
                          const std::string& metric);
// Rows of a file written by write_candidates_csv; a last line without its newline (a write cut
// short) is ignored. Errors name the file and line.
std::vector<Candidate> read_candidates_csv(const std::filesystem::path& path);

// Validation metric against state bytes (log scale), every candidate grey, the front highlighted
// and numbered by id.
void write_pareto_png(const std::filesystem::path& path, const std::vector<Candidate>& candidates,
                      const std::vector<int>& front, const std::string& metric, int64_t context);

}  // namespace liquid::lfm::evolve
