// The genome search (lfm/evolve): variation stays within its limits, NSGA-II ranking on hand-made
// points, and a tiny search on the Beijing test slice that writes its files, resumes to the same
// rows and hands its best genome to `liquid train`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "lfm/evolve/mutation.h"
#include "lfm/evolve/pareto.h"
#include "lfm/evolve/search.h"

namespace liquid::lfm::evolve {
namespace {

using backbone::BlockKind;
using backbone::Genome;
using backbone::parse_genome;
using ::testing::HasSubstr;

const std::filesystem::path kFile = LIQUID_TEST_DATA "/series/prsa_beijing_1200h.csv";

TEST(EvolveMutation, ChildrenParseAndStayWithinTheSpace) {
  MutationSpace space;
  space.d = 32;
  space.kinds = {BlockKind::kConv, BlockKind::kAttn, BlockKind::kLiquid, BlockKind::kMlp, BlockKind::kMoe};
  space.min_blocks = 2;
  space.max_blocks = 6;
  Rng rng(7);
  Genome a = parse_genome("d32 liquid:32 conv:3 attn:h2,w64 mlp:2");
  Genome b = parse_genome("d32 conv:4 mlp:3");
  std::set<std::string> distinct;
  for (int i = 0; i < 3000; ++i) {
    const Genome m = mutate(i % 2 ? a : b, space, rng);
    const Genome r = recombine(a, b, space, rng);
    for (const Genome& g : {m, r}) {
      ASSERT_TRUE(within(g, space)) << backbone::to_string(g);
      ASSERT_EQ(parse_genome(backbone::to_string(g)), g) << backbone::to_string(g);  // canonical text round-trips
      distinct.insert(backbone::to_string(g));
    }
    EXPECT_NE(m, i % 2 ? a : b);
    a = m;  // walk, so mutations compound
  }
  EXPECT_GT(distinct.size(), 1000u);

  // Only the allowed kinds appear, and a one-kind, one-block space still mutates arguments.
  MutationSpace convs{.d = 16, .kinds = {BlockKind::kConv}, .min_blocks = 1, .max_blocks = 1};
  const Genome c = parse_genome("d16 conv:3");
  for (int i = 0; i < 50; ++i) {
    const Genome m = mutate(c, convs, rng);
    ASSERT_EQ(m.blocks.size(), 1u);
    EXPECT_EQ(m.blocks[0].kind, BlockKind::kConv);
    EXPECT_NE(m, c);
  }
}

TEST(EvolvePareto, RanksCrowdingAndSurvivors) {
  // (loss, bytes): 0, 1, 2 trade off (front 0); 3 is dominated by 1 only; 4 by everything.
  const std::vector<Objectives> p = {{1, 100}, {2, 10}, {3, 1}, {2.5, 20}, {9, 200}};
  EXPECT_TRUE(dominates(p[1], p[3]));
  EXPECT_FALSE(dominates(p[0], p[1]));
  EXPECT_FALSE(dominates(p[0], p[0]));
  EXPECT_EQ(pareto_ranks(p), (std::vector<int>{0, 0, 0, 1, 2}));
  const std::vector<double> crowd = crowding_distances(p, {0, 1, 2});
  EXPECT_TRUE(std::isinf(crowd[0]));
  EXPECT_TRUE(std::isinf(crowd[2]));
  EXPECT_DOUBLE_EQ(crowd[1], (3.0 - 1.0) / 2.0 + (100.0 - 1.0) / 99.0);
  EXPECT_EQ(select_survivors(p, 4), (std::vector<int>{0, 2, 1, 3}));  // extremes first within front 0
  EXPECT_EQ(select_survivors(p, 9).size(), 5u);
}

nlohmann::json tiny_config() {
  return {{"task", "weather"},
          {"data", kFile.string()},
          {"task_options", {{"context", 48}}},
          {"model", {{"model", "backbone"}, {"genome", "d8 liquid:8 conv:3 mlp:2"}}},
          {"optimizer", {{"kind", "adamw"}, {"lr", 0.005}}},
          {"epochs", 1},
          {"batch_size", 8},
          {"seed", 3},
          {"loss", "mse"},
          {"metric", "mae"},
          {"max_train_sequences", 8},
          {"evolve",
           {{"population", 3},
            {"generations", 2},
            {"seeds", {"d8 liquid:8 conv:3 mlp:2", "d8 attn:h2,w16 mlp:2"}},
            {"blocks", {"conv", "attn", "liquid", "mlp"}},
            {"max_blocks", 4},
            {"parameters", {{"target", 1200}, {"tolerance", 0.5}}},
            {"context", 1024},
            {"seed", 5}}}};
}

// candidates.csv without its last column (train seconds: the only one that may differ between runs).
std::string rows_without_seconds(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

TEST(EvolveSearch, TinySearchWritesItsFilesAndResumesToTheSameRows) {
  const auto dir = std::filesystem::temp_directory_path() / "liquid_evolve_test";
  std::filesystem::remove_all(dir);
  const EvolveConfig config = evolve_config_from_json(tiny_config(), "tiny.json", "/");
  const EvolveResult r = run_evolution(config, {.out_dir = dir, .threads = 2});
  ASSERT_EQ(r.candidates.size(), 6u);
  EXPECT_EQ(r.trained, 6);
  EXPECT_EQ(r.candidates[0].genome, "d8 liquid:8 conv:3 mlp:2");  // the seeds come first
  EXPECT_EQ(r.candidates[1].genome, "d8 attn:h2,kv1,hd4,w16 mlp:2");
  std::set<std::string> genomes;
  for (const Candidate& c : r.candidates) {
    EXPECT_TRUE(genomes.insert(c.genome).second) << "drawn twice: " << c.genome;
    EXPECT_NEAR(double(c.parameters), 1200.0, 600.0) << c.genome;
    EXPECT_TRUE(std::isfinite(c.val_metric)) << c.genome;
    EXPECT_EQ(c.generation, c.id / 3);
  }
  ASSERT_EQ(r.candidates[2].parents.size(), 1u);  // a mutant of a seed
  EXPECT_LT(r.candidates[2].parents[0], 2);
  for (int k = 3; k < 6; ++k) EXPECT_FALSE(r.candidates[k].parents.empty());
  for (const char* f : {"candidates.csv", "pareto.csv", "pareto.png", "best.json", "evolve.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  ASSERT_FALSE(r.front.empty());
  EXPECT_NE(std::find(r.front.begin(), r.front.end(), r.best), r.front.end());
  for (int i : r.front) EXPECT_LE(r.candidates[r.best].val_metric, r.candidates[i].val_metric);

  // best.json is a training configuration of the best genome.
  const TrainConfig best = load_train_config(dir / "best.json");
  EXPECT_EQ(best.model["genome"], r.candidates[r.best].genome);
  EXPECT_EQ(best.epochs, 1);

  // Drop the last generation's rows, and half-write one (an interruption mid-append): a resume on
  // one worker trains them again and writes the same rows.
  const std::string full = rows_without_seconds(dir / "candidates.csv");
  {
    std::ifstream in(dir / "candidates.csv");
    std::string line, kept;
    for (int n = 0; std::getline(in, line) && n < 4; ++n) kept += line + "\n";
    std::ofstream(dir / "candidates.csv") << kept << "1,4,\"d8 conv";
  }
  const EvolveResult again = run_evolution(config, {.out_dir = dir, .threads = 1});
  EXPECT_EQ(again.trained, 3);
  EXPECT_EQ(rows_without_seconds(dir / "candidates.csv"), full);

  // More generations continue the run; any other change is refused.
  nlohmann::json more = tiny_config();
  more["evolve"]["generations"] = 3;
  const EvolveResult longer =
      run_evolution(evolve_config_from_json(more, "tiny.json", "/"), {.out_dir = dir, .threads = 2});
  EXPECT_EQ(longer.trained, 3);
  EXPECT_EQ(longer.candidates.size(), 9u);
  nlohmann::json other = tiny_config();
  other["evolve"]["population"] = 4;
  EXPECT_THAT([&] { run_evolution(evolve_config_from_json(other, "tiny.json", "/"), {.out_dir = dir}); },
              ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("/evolve/population")));
  std::filesystem::remove_all(dir);
}

TEST(EvolveSearch, ConfigurationErrorsNameTheField) {
  auto error_of = [](const nlohmann::json& j) {
    try {
      evolve_config_from_json(j, "tiny.json", "/");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  nlohmann::json j = tiny_config();
  j["evolve"]["population"] = 0;
  EXPECT_THAT(error_of(j), HasSubstr("tiny.json: field 'evolve.population'"));
  j = tiny_config();
  j["evolve"]["blocks"] = {"conv", "rnn"};
  EXPECT_THAT(error_of(j), HasSubstr("field 'evolve.blocks[1]': unknown block kind 'rnn'"));
  j = tiny_config();
  j["evolve"]["seeds"] = {"d8 liquid:8 conv:3 mlp:2", "d8 moe:2x1"};
  EXPECT_THAT(error_of(j), HasSubstr("field 'evolve.seeds[1]': has a moe block"));
  j = tiny_config();
  j["evolve"]["parameters"]["target"] = 100000;
  EXPECT_THAT(error_of(j), HasSubstr("field 'evolve.seeds[0]':"));
  j = tiny_config();
  j["evolve"]["mutation"] = 1;
  EXPECT_THAT(error_of(j), HasSubstr("field 'evolve.mutation': unknown field"));
  j = tiny_config();
  j["model"] = {{"model", "CfC"}, {"units", 8}};
  EXPECT_THAT(error_of(j), HasSubstr("field 'model.model'"));
}

}  // namespace
}  // namespace liquid::lfm::evolve
