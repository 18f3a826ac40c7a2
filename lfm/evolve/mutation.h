// Variation operators of the genome search (lfm/evolve/search.h), after STAR (Thomas et al. 2024,
// arXiv:2411.17800): a genome is a list of blocks of one width d; mutation changes one block's kind
// or an argument, inserts, deletes or moves a block; recombination is one-point crossover of two
// block lists (each parent cut at its own point, so lengths can change). Every result parses, has
// only allowed kinds and a block count within the space's limits; size limits that need the whole
// model (parameters) are the caller's, which redraws until they hold.
//
// Randomness comes from SplitMix64 and plain modulo draws, not <random>'s distributions, whose
// algorithms differ between standard libraries: a seed gives the same genomes everywhere.
#pragma once

#include <cstdint>
#include <vector>

#include "lfm/backbone/genome.h"

namespace liquid::lfm::evolve {

// SplitMix64 (Steele et al. 2014): tiny, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  int below(int n);       // uniform in [0, n), n >= 1
  bool chance(double p);  // true with probability p
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(static_cast<int>(v.size()))];
  }

 private:
  uint64_t state_;
};

// What the search may build.
struct MutationSpace {
  int d = 32;
  std::vector<backbone::BlockKind> kinds = {backbone::BlockKind::kConv, backbone::BlockKind::kAttn,
                                            backbone::BlockKind::kLiquid, backbone::BlockKind::kMlp};
  int min_blocks = 1, max_blocks = 12;
};

// A block of `kind` with arguments drawn from the space's menus (conv kernels 2..7, attention
// heads that divide d with an even head dim and windows 16..512 or full, liquid units d/4..2d,
// SwiGLU ratios 1..4, MoE 2..8 experts).
backbone::BlockSpec random_block(backbone::BlockKind kind, int d, Rng& rng);

// One random change that keeps the genome within the space (kinds, block count, width).
backbone::Genome mutate(const backbone::Genome& genome, const MutationSpace& space, Rng& rng);
// One-point crossover: a's blocks before its cut, then b's from its cut; cuts are redrawn until
// the child's block count is within the space.
backbone::Genome recombine(const backbone::Genome& a, const backbone::Genome& b, const MutationSpace& space, Rng& rng);

// True if the genome has the space's width, only its kinds and a block count within its limits.
bool within(const backbone::Genome& genome, const MutationSpace& space);

}  // namespace liquid::lfm::evolve
