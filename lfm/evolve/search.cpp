#include "lfm/evolve/search.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "lfm/model.h"
#include "lfm/model_config.h"

namespace liquid::lfm::evolve {
namespace {

using Json = nlohmann::json;
using backbone::BlockKind;
using backbone::Genome;

[[noreturn]] void fail(const std::string& source, const std::string& field, const std::string& what) {
  throw std::invalid_argument(source + ": field '" + field + "': " + what);
}

int64_t integer(const Json& j, const char* key, int64_t fallback, int64_t min, const std::string& source) {
  const std::string field = std::string("evolve.") + key;
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number_integer()) fail(source, field, "expected an integer, got " + j[key].dump());
  const int64_t v = j[key].get<int64_t>();
  if (v < min) fail(source, field, "expected an integer >= " + std::to_string(min) + ", got " + std::to_string(v));
  return v;
}

double number(const Json& j, const char* key, double fallback, double min, double max, const std::string& source,
              const std::string& field) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number()) fail(source, field, "expected a number, got " + j[key].dump());
  const double v = j[key].get<double>();
  if (!(v >= min && v <= max))
    fail(source, field, "expected a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return v;
}

BlockKind kind_from_name(const std::string& name, const std::string& source, const std::string& field) {
  if (name == "conv") return BlockKind::kConv;
  if (name == "attn") return BlockKind::kAttn;
  if (name == "liquid") return BlockKind::kLiquid;
  if (name == "mlp") return BlockKind::kMlp;
  if (name == "moe") return BlockKind::kMoe;
  fail(source, field, "unknown block kind '" + name + "' (expected conv, attn, liquid, mlp or moe)");
}

std::string kind_name(BlockKind kind) {
  switch (kind) {
    case BlockKind::kConv:
      return "conv";
    case BlockKind::kAttn:
      return "attn";
    case BlockKind::kLiquid:
      return "liquid";
    case BlockKind::kMlp:
      return "mlp";
    case BlockKind::kMoe:
      return "moe";
  }
  return "?";
}

// The whole model a genome makes for the task: what the limits and the CSV count.
struct ModelCounts {
  int64_t parameters = 0, active_parameters = 0, state_bytes = 0;
};
ModelCounts model_counts(const EvolveConfig& config, const Genome& genome) {
  const TaskShape shape = task_shape(config.train.task);
  const Json j = {{"model", "backbone"},
                  {"genome", backbone::to_string(genome)},
                  {"input_size", shape.inputs},
                  {"output_size", config.train.loss.outputs(shape)}};
  const Model model(config_from_json(j, config.source), 0);
  return {model.parameter_count(), model.active_parameter_count(), model.state_bytes(config.context)};
}

bool parameters_fit(const EvolveConfig& config, int64_t parameters) {
  if (config.target_parameters == 0) return true;
  const double ratio = double(parameters) / double(config.target_parameters);
  return std::abs(ratio - 1.0) <= config.tolerance;
}

// The metric columns are named after the configuration's metric (val_mae, test_mae).
std::vector<std::string> csv_header(const std::string& metric) {
  return {"generation",  "id",       "genome",        "parents",        "parameters",   "active_parameters",
          "state_bytes", "val_loss", "val_" + metric, "test_" + metric, "train_seconds"};
}

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  std::ostringstream s;
  s.precision(9);
  s << v;
  return s.str();
}

double parse_number(const std::string& text) {
  if (text == "nan") return std::nan("");
  size_t used = 0;
  const double v = std::stod(text, &used);
  if (used != text.size()) throw std::invalid_argument("not a number: '" + text + "'");
  return v;
}

double as_written(double v) { return parse_number(format_number(v)); }

// One line of candidates.csv; the genome is quoted (it holds commas), parents are "3;5".
std::string csv_row(const Candidate& c) {
  std::ostringstream out;
  out << c.generation << ',' << c.id << ",\"" << c.genome << "\",\"";
  for (size_t i = 0; i < c.parents.size(); ++i) out << (i ? ";" : "") << c.parents[i];
  out << "\"," << c.parameters << ',' << c.active_parameters << ',' << c.state_bytes << ',' << format_number(c.val_loss)
      << ',' << format_number(c.val_metric) << ',' << format_number(c.test_metric) << ','
      << format_number(c.train_seconds) << '\n';
  return out.str();
}

// Fields of one CSV line; double quotes protect commas (genomes hold them).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      fields.emplace_back();
    else
      fields.back().push_back(c);
  }
  return fields;
}

// Binary tournament among `pool` (candidate indices): the better of two drawn at random.
int tournament(const std::vector<int>& pool, const std::function<bool(int, int)>& better, Rng& rng) {
  const int a = rng.pick(pool), b = rng.pick(pool);
  return better(b, a) ? b : a;
}

// What a generation is to train: its genomes and parents, drawn deterministically.
struct Draw {
  Genome genome;
  std::vector<int> parents;
};

class Search {
 public:
  Search(const EvolveConfig& config, const EvolveOptions& options) : config_(config), options_(options) {}

  EvolveResult run();

 private:
  std::vector<Draw> draw_generation(int generation);
  bool acceptable(const Genome& g) const {
    return within(g, config_.space) && !seen_.contains(backbone::to_string(g)) &&
           parameters_fit(config_, model_counts(config_, g).parameters);
  }
  void train_generation(int generation, const std::vector<Draw>& draws);
  void write_outputs(EvolveResult& result) const;
  Objectives objectives(const Candidate& c) const { return c.objectives(higher_is_better(config_.train.metric)); }

  const EvolveConfig& config_;
  const EvolveOptions& options_;
  std::vector<Candidate> done_;      // id order
  std::map<int, Candidate> cached_;  // rows of an earlier run's candidates.csv
  std::set<std::string> seen_;       // every genome drawn so far
  std::mutex mutex_;                 // guards the append to candidates.csv and the callbacks
  int trained_ = 0;
};

std::vector<Draw> Search::draw_generation(int generation) {
  Rng rng(config_.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(generation) + 1);
  std::vector<Draw> draws;
  auto accept = [&](Draw d) {
    seen_.insert(backbone::to_string(d.genome));
    draws.push_back(std::move(d));
  };
  constexpr int kAttempts = 20000;
  if (generation == 0) {
    for (const Genome& s : config_.seeds)
      if (!seen_.contains(backbone::to_string(s)) && static_cast<int>(draws.size()) < config_.population)
        accept({s, {}});
    for (int attempt = 0; static_cast<int>(draws.size()) < config_.population; ++attempt) {
      if (attempt == kAttempts)
        throw std::runtime_error(config_.source + ": found no new genome within the limits after " +
                                 std::to_string(kAttempts) +
                                 " mutants of the seeds; widen evolve.parameters or max_blocks");
      const int seed = rng.below(static_cast<int>(config_.seeds.size()));
      Genome g = config_.seeds[seed];
      // The seed's id: its place among the draws (a seed listed twice was drawn once).
      const auto parent = std::find_if(draws.begin(), draws.end(), [&](const Draw& d) { return d.genome == g; });
      const int mutations = 1 + rng.below(config_.max_mutations);
      for (int m = 0; m < mutations; ++m) g = mutate(g, config_.space, rng);
      if (acceptable(g)) accept({g, {static_cast<int>(parent - draws.begin())}});
    }
    return draws;
  }
  // Parents: the survivors of everything trained so far.
  std::vector<Objectives> points;
  for (const Candidate& c : done_) points.push_back(objectives(c));
  std::vector<int> pool;
  std::function<bool(int, int)> better;
  std::vector<RankKey> keys;
  if (config_.selection == Selection::kPareto) {
    pool = select_survivors(points, config_.population);
    std::vector<Objectives> pool_points;
    for (int i : pool) pool_points.push_back(points[i]);
    const std::vector<RankKey> pool_keys = rank_keys(pool_points);
    keys.assign(points.size(), RankKey{std::numeric_limits<int>::max(), 0});
    for (size_t k = 0; k < pool.size(); ++k) keys[pool[k]] = pool_keys[k];
    better = [&keys](int a, int b) { return keys[a].better_than(keys[b]); };
  } else {
    for (int i = 0; i < static_cast<int>(points.size()); ++i) pool.push_back(i);
    better = [&points](int a, int b) { return points[a][0] < points[b][0]; };
  }
  for (int attempt = 0; static_cast<int>(draws.size()) < config_.population; ++attempt) {
    if (attempt == kAttempts)
      throw std::runtime_error(config_.source + ": generation " + std::to_string(generation) +
                               ": found no new genome within the limits after " + std::to_string(kAttempts) +
                               " children; widen evolve.parameters or max_blocks");
    const int a = tournament(pool, better, rng);
    Draw d{backbone::parse_genome(done_[a].genome), {done_[a].id}};
    int mutations = 1 + rng.below(config_.max_mutations);
    if (rng.chance(config_.crossover)) {
      const int b = tournament(pool, better, rng);
      if (b != a) {
        d.genome = recombine(d.genome, backbone::parse_genome(done_[b].genome), config_.space, rng);
        d.parents.push_back(done_[b].id);
        mutations = rng.below(config_.max_mutations + 1);  // crossover alone is a change
      }
    }
    for (int m = 0; m < mutations; ++m) d.genome = mutate(d.genome, config_.space, rng);
    if (acceptable(d.genome)) accept(std::move(d));
  }
  return draws;
}

void Search::train_generation(int generation, const std::vector<Draw>& draws) {
  const int first_id = static_cast<int>(done_.size());
  std::vector<Candidate> rows(draws.size());
  std::vector<int> pending;
  for (size_t k = 0; k < draws.size(); ++k) {
    Candidate& c = rows[k];
    c.generation = generation;
    c.id = first_id + static_cast<int>(k);
    c.genome = backbone::to_string(draws[k].genome);
    c.parents = draws[k].parents;
    if (const auto it = cached_.find(c.id); it != cached_.end()) {
      const Candidate& old = it->second;
      if (old.genome != c.genome || old.generation != generation)
        throw std::runtime_error((options_.out_dir / "candidates.csv").string() + ": candidate " +
                                 std::to_string(c.id) + " is '" + old.genome + "' (generation " +
                                 std::to_string(old.generation) + ") but this search draws '" + c.genome +
                                 "' (generation " + std::to_string(generation) +
                                 "); the run was made by another program version or configuration");
      const std::vector<int> parents = c.parents;  // what this version of the search records
      c = old;
      c.parents = parents;
      continue;
    }
    const ModelCounts counts = model_counts(config_, draws[k].genome);
    c.parameters = counts.parameters;
    c.active_parameters = counts.active_parameters;
    c.state_bytes = counts.state_bytes;
    pending.push_back(static_cast<int>(k));
  }

  const int workers = std::max(
      1,
      std::min<int>(static_cast<int>(pending.size()),
                    options_.threads > 0 ? options_.threads : static_cast<int>(std::thread::hardware_concurrency())));
  std::atomic<size_t> next{0};
  std::vector<std::exception_ptr> errors(rows.size());
  int finished = static_cast<int>(draws.size() - pending.size());
  auto work = [&] {
    for (size_t p; (p = next.fetch_add(1)) < pending.size();) {
      Candidate& c = rows[pending[p]];
      try {
        TrainConfig tc = config_.train;
        tc.model["genome"] = c.genome;
        const std::filesystem::path dir = options_.out_dir / "candidates" / std::to_string(c.id);
        std::filesystem::remove_all(dir);  // a candidate cut short starts over
        const TrainResult r = train(tc, {.out_dir = dir, .threads = 1});
        // Kept as candidates.csv holds them, so a resumed search selects from exactly the same numbers.
        c.val_loss = as_written(r.validation.loss);
        c.val_metric = as_written(metric_value(r.validation, tc.metric));
        c.test_metric = as_written(metric_value(r.test, tc.metric));
        c.train_seconds = r.seconds;
        const std::lock_guard lock(mutex_);
        std::ofstream out(options_.out_dir / "candidates.csv", std::ios::app);
        out << csv_row(c) << std::flush;
        ++trained_;
        ++finished;
        if (options_.on_candidate) options_.on_candidate(c, finished, static_cast<int>(rows.size()));
      } catch (...) {
        errors[pending[p]] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);  // the lowest id's error, whatever the thread count
  done_.insert(done_.end(), rows.begin(), rows.end());
}

void Search::write_outputs(EvolveResult& result) const {
  const std::string metric = metric_name(config_.train.metric);
  result.candidates = done_;
  std::vector<Objectives> points;
  for (const Candidate& c : done_) points.push_back(objectives(c));
  const std::vector<int> rank = pareto_ranks(points);
  result.front.clear();
  for (size_t i = 0; i < rank.size(); ++i)
    if (rank[i] == 0) result.front.push_back(static_cast<int>(i));
  std::stable_sort(result.front.begin(), result.front.end(), [&](int a, int b) {
    return done_[a].state_bytes != done_[b].state_bytes ? done_[a].state_bytes < done_[b].state_bytes
                                                        : points[a][0] < points[b][0];
  });
  // Best: the front's lowest validation metric; ties to fewer parameters, then the lower id.
  result.best = *std::min_element(result.front.begin(), result.front.end(), [&](int a, int b) {
    return std::tie(points[a][0], points[a][2], a) < std::tie(points[b][0], points[b][2], b);
  });

  const std::filesystem::path dir = options_.out_dir;
  // Rewritten whole through a temporary, so an interruption never leaves half a file.
  write_candidates_csv(dir / "candidates.csv.tmp", done_, metric);
  std::filesystem::rename(dir / "candidates.csv.tmp", dir / "candidates.csv");
  std::vector<Candidate> front;
  for (int i : result.front) front.push_back(done_[i]);
  write_candidates_csv(dir / "pareto.csv", front, metric);
  write_pareto_png(dir / "pareto.png", done_, result.front, metric, config_.context);

  Json best = config_.train.to_json();
  best["model"]["genome"] = done_[result.best].genome;
  best["description"] = "liquid evolve " + config_.source + ": candidate " + std::to_string(result.best) +
                        " (generation " + std::to_string(done_[result.best].generation) + "), validation " + metric +
                        " " + format_number(done_[result.best].val_metric) + " after the search's budget";
  std::ofstream(dir / "best.json") << best.dump(2) << '\n';
}

EvolveResult Search::run() {
  const std::filesystem::path dir = options_.out_dir;
  std::filesystem::create_directories(dir);
  // The configuration the run started with; a resume must match it but may add generations.
  const std::filesystem::path stored_path = dir / "evolve.json";
  auto comparable = [](Json j) {
    j["evolve"].erase("generations");
    j.erase("description");
    return j;
  };
  if (std::filesystem::exists(stored_path)) {
    const Json stored = read_json_file(stored_path);
    if (comparable(stored) != comparable(config_.json)) {
      const Json diff = Json::diff(comparable(stored), comparable(config_.json));
      throw std::runtime_error(config_.source + ": differs from the configuration " + stored_path.string() +
                               " was started with (at " + diff.at(0).value("path", std::string("?")) +
                               "); give another --out to start a new search");
    }
    if (std::filesystem::exists(dir / "candidates.csv"))
      for (Candidate& c : read_candidates_csv(dir / "candidates.csv")) cached_[c.id] = std::move(c);
  } else if (std::filesystem::exists(dir / "candidates.csv")) {
    throw std::runtime_error((dir / "candidates.csv").string() + " exists without evolve.json; give another --out");
  }
  std::ofstream(stored_path) << config_.json.dump(2) << '\n';
  // Rows are appended as candidates finish: start from the complete rows read (a line cut short
  // by an interruption would otherwise run into the next row).
  std::vector<Candidate> kept;
  for (const auto& [id, c] : cached_) kept.push_back(c);
  write_candidates_csv(dir / "candidates.csv.tmp", kept, metric_name(config_.train.metric));
  std::filesystem::rename(dir / "candidates.csv.tmp", dir / "candidates.csv");

  EvolveResult result;
  for (int g = 0; g < config_.generations; ++g) {
    train_generation(g, draw_generation(g));
    write_outputs(result);
    if (options_.on_generation) options_.on_generation(g, result.front);
  }
  result.trained = trained_;
  return result;
}

}  // namespace

Objectives Candidate::objectives(bool higher) const {
  double score = higher ? -val_metric : val_metric;
  if (std::isnan(score)) score = std::numeric_limits<double>::infinity();
  return {score, double(state_bytes), double(parameters)};
}

EvolveConfig evolve_config_from_json(const Json& json, const std::string& source,
                                     const std::filesystem::path& base_dir) {
  if (!json.is_object()) throw std::invalid_argument(source + ": expected a JSON object");
  if (!json.contains("evolve")) fail(source, "evolve", "missing (the search's settings; see lfm/evolve/search.h)");
  const Json& e = json["evolve"];
  if (!e.is_object()) fail(source, "evolve", "expected an object, got " + e.dump());
  for (const auto& [key, value] : e.items())
    if (!std::set<std::string>{"population", "generations", "seeds", "blocks", "min_blocks", "max_blocks", "parameters",
                               "context", "selection", "crossover", "max_mutations", "seed"}
             .contains(key))
      fail(source, "evolve." + key, "unknown field");
  Json train_json = json;
  train_json.erase("evolve");

  EvolveConfig c;
  c.source = source;
  c.train = train_config_from_json(train_json, source, base_dir);
  if (c.train.model.value("model", std::string()) != "backbone")
    fail(source, "model.model", "the search evolves backbones: expected \"backbone\"");
  c.json = json;
  c.json["data"] = c.train.data.string();

  c.population = static_cast<int>(integer(e, "population", c.population, 1, source));
  c.generations = static_cast<int>(integer(e, "generations", c.generations, 1, source));
  c.space.min_blocks = static_cast<int>(integer(e, "min_blocks", 1, 1, source));
  c.space.max_blocks = static_cast<int>(integer(e, "max_blocks", 12, c.space.min_blocks, source));
  c.context = integer(e, "context", c.context, 1, source);
  c.max_mutations = static_cast<int>(integer(e, "max_mutations", c.max_mutations, 1, source));
  c.crossover = number(e, "crossover", c.crossover, 0, 1, source, "evolve.crossover");
  c.seed = static_cast<uint64_t>(integer(e, "seed", 0, 0, source));
  if (e.contains("selection")) {
    const std::string s = e["selection"].is_string() ? e["selection"].get<std::string>() : "";
    if (s == "pareto")
      c.selection = Selection::kPareto;
    else if (s == "tournament")
      c.selection = Selection::kTournament;
    else
      fail(source, "evolve.selection", "expected \"pareto\" or \"tournament\", got " + e["selection"].dump());
  }
  if (e.contains("blocks")) {
    if (!e["blocks"].is_array() || e["blocks"].empty())
      fail(source, "evolve.blocks", "expected a non-empty list of block kinds, got " + e["blocks"].dump());
    c.space.kinds.clear();
    for (size_t i = 0; i < e["blocks"].size(); ++i) {
      const std::string field = "evolve.blocks[" + std::to_string(i) + "]";
      if (!e["blocks"][i].is_string()) fail(source, field, "expected a block kind string");
      c.space.kinds.push_back(kind_from_name(e["blocks"][i].get<std::string>(), source, field));
    }
  }
  if (e.contains("parameters")) {
    const Json& p = e["parameters"];
    if (!p.is_object()) fail(source, "evolve.parameters", "expected {\"target\": N, \"tolerance\": 0.05}");
    for (const auto& [key, value] : p.items())
      if (key != "target" && key != "tolerance") fail(source, "evolve.parameters." + key, "unknown field");
    if (!p.contains("target") || !p["target"].is_number_integer() || p["target"].get<int64_t>() < 1)
      fail(source, "evolve.parameters.target", "expected a positive integer");
    c.target_parameters = p["target"].get<int64_t>();
    c.tolerance = number(p, "tolerance", c.tolerance, 0, 1, source, "evolve.parameters.tolerance");
  }

  // Seeds: the listed genomes, else the model's own; the first one's width is the search's.
  Json seeds = e.value("seeds", Json::array());
  if (!seeds.is_array()) fail(source, "evolve.seeds", "expected a list of genome texts");
  if (seeds.empty()) {
    if (!c.train.model.contains("genome")) fail(source, "evolve.seeds", "missing, and the model has no genome");
    seeds.push_back(c.train.model["genome"]);
  }
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::string field = "evolve.seeds[" + std::to_string(i) + "]";
    if (!seeds[i].is_string()) fail(source, field, "expected a genome text, got " + seeds[i].dump());
    Genome g;
    try {
      g = backbone::parse_genome(seeds[i].get<std::string>(), c.seeds.empty() ? 0 : c.seeds[0].d);
    } catch (const std::invalid_argument& ex) {
      fail(source, field, ex.what());
    }
    if (c.seeds.empty()) c.space.d = g.d;
    for (const auto& b : g.blocks)
      if (std::find(c.space.kinds.begin(), c.space.kinds.end(), b.kind) == c.space.kinds.end())
        fail(source, field, "has a " + kind_name(b.kind) + " block, which evolve.blocks does not allow");
    const int n = static_cast<int>(g.blocks.size());
    if (n < c.space.min_blocks || n > c.space.max_blocks)
      fail(source, field, std::to_string(n) + " blocks, outside evolve.min_blocks .. max_blocks");
    c.seeds.push_back(g);
    const int64_t parameters = model_counts(c, g).parameters;
    if (!parameters_fit(c, parameters))
      fail(source, field,
           std::to_string(parameters) + " parameters, outside evolve.parameters (target " +
               std::to_string(c.target_parameters) + " ± " + format_number(100 * c.tolerance) + " %)");
  }
  return c;
}

EvolveConfig load_evolve_config(const std::filesystem::path& file) {
  return evolve_config_from_json(read_json_file(file), file.string(), file.parent_path());
}

EvolveResult run_evolution(const EvolveConfig& config, const EvolveOptions& options) {
  return Search(config, options).run();
}

void write_candidates_csv(const std::filesystem::path& path, const std::vector<Candidate>& rows,
                          const std::string& metric) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
  const auto header = csv_header(metric);
  for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
  out << '\n';
  for (const Candidate& c : rows) out << csv_row(c);
}

std::vector<Candidate> read_candidates_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Candidate> rows;
  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // a row cut short by an interruption: trained again
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (++line_no == 1) continue;  // header
    const std::vector<std::string> f = split_csv(line);
    const std::string where = path.string() + ": line " + std::to_string(line_no);
    if (f.size() != 11) throw std::runtime_error(where + ": expected 11 fields, got " + std::to_string(f.size()));
    try {
      Candidate c;
      c.generation = std::stoi(f[0]);
      c.id = std::stoi(f[1]);
      c.genome = f[2];
      for (size_t at = 0; at < f[3].size();) {
        const size_t semi = std::min(f[3].find(';', at), f[3].size());
        c.parents.push_back(std::stoi(f[3].substr(at, semi - at)));
        at = semi + 1;
      }
      c.parameters = std::stoll(f[4]);
      c.active_parameters = std::stoll(f[5]);
      c.state_bytes = std::stoll(f[6]);
      c.val_loss = parse_number(f[7]);
      c.val_metric = parse_number(f[8]);
      c.test_metric = parse_number(f[9]);
      c.train_seconds = parse_number(f[10]);
      rows.push_back(std::move(c));
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
  }
  return rows;
}

}  // namespace liquid::lfm::evolve
