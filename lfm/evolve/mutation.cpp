#include "lfm/evolve/mutation.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace liquid::lfm::evolve {

using backbone::BlockKind;
using backbone::BlockSpec;
using backbone::Genome;

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Modulo bias is below 2^-40 for the small n used here.
int Rng::below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }

bool Rng::chance(double p) { return double(next() >> 11) * 0x1.0p-53 < p; }

BlockSpec random_block(BlockKind kind, int d, Rng& rng) {
  BlockSpec b;
  b.kind = kind;
  switch (kind) {
    case BlockKind::kConv:
      b.kernel = rng.pick(std::vector<int>{2, 3, 4, 5, 7});
      break;
    case BlockKind::kAttn: {
      // Heads that divide d with an even head dim of at least 4 (rotary pairs; smaller heads are noise).
      std::vector<int> heads;
      for (int h = 1; h <= 8; ++h)
        if (d % h == 0 && (d / h) % 2 == 0 && d / h >= 4) heads.push_back(h);
      if (heads.empty()) heads.push_back(1);  // odd d: one head of head dim 2 rounded below
      b.heads = rng.pick(heads);
      b.head_dim = d % b.heads == 0 && (d / b.heads) % 2 == 0 ? d / b.heads : 2 * std::max(1, d / (2 * b.heads));
      std::vector<int> kv;
      for (int k = 1; k <= b.heads; ++k)
        if (b.heads % k == 0) kv.push_back(k);
      b.kv_heads = rng.pick(kv);
      b.window = rng.pick(std::vector<int>{0, 16, 32, 64, 128, 256, 512});
      break;
    }
    case BlockKind::kLiquid: {
      std::vector<int> units;
      for (int u : {d / 4, d / 2, 3 * d / 4, d, 3 * d / 2, 2 * d})
        if (u >= 1) units.push_back(u);
      b.units = rng.pick(units);
      b.backbone_units = rng.pick(std::vector<int>{0, 0, d / 2, d, 2 * d});
      break;
    }
    case BlockKind::kMlp:
      b.ratio = 1 + rng.below(4);
      break;
    case BlockKind::kMoe:
      b.experts = rng.pick(std::vector<int>{2, 4, 8});
      b.top_k = 1 + rng.below(2);
      b.ratio = 1 + rng.below(2);
      break;
  }
  return b;
}

bool within(const Genome& g, const MutationSpace& space) {
  if (g.d != space.d) return false;
  const int n = static_cast<int>(g.blocks.size());
  if (n < space.min_blocks || n > space.max_blocks) return false;
  return std::all_of(g.blocks.begin(), g.blocks.end(), [&](const BlockSpec& b) {
    return std::find(space.kinds.begin(), space.kinds.end(), b.kind) != space.kinds.end();
  });
}

Genome mutate(const Genome& genome, const MutationSpace& space, Rng& rng) {
  if (space.kinds.empty()) throw std::invalid_argument("mutate: no block kinds allowed");
  enum Op { kArguments, kKind, kInsert, kDelete, kMove };
  // A draw can leave the genome as it was (the same arguments redrawn); redraw until it changes.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    Genome g = genome;
    const int n = static_cast<int>(g.blocks.size());
    std::vector<Op> ops = {kArguments};
    if (space.kinds.size() > 1) ops.push_back(kKind);
    if (n < space.max_blocks) ops.push_back(kInsert);
    if (n > space.min_blocks) ops.push_back(kDelete);
    if (n > 1) ops.push_back(kMove);
    const int at = rng.below(n);
    switch (rng.pick(ops)) {
      case kArguments:
        g.blocks[at] = random_block(g.blocks[at].kind, g.d, rng);
        break;
      case kKind:
        g.blocks[at] = random_block(rng.pick(space.kinds), g.d, rng);
        break;
      case kInsert:
        g.blocks.insert(g.blocks.begin() + rng.below(n + 1), random_block(rng.pick(space.kinds), g.d, rng));
        break;
      case kDelete:
        g.blocks.erase(g.blocks.begin() + at);
        break;
      case kMove: {
        BlockSpec b = g.blocks[at];
        g.blocks.erase(g.blocks.begin() + at);
        g.blocks.insert(g.blocks.begin() + rng.below(n), std::move(b));
        break;
      }
    }
    if (g != genome && within(g, space)) return g;
  }
  return genome;  // nothing in the space differs from it (one kind, one block, one argument choice)
}

Genome recombine(const Genome& a, const Genome& b, const MutationSpace& space, Rng& rng) {
  const int na = static_cast<int>(a.blocks.size()), nb = static_cast<int>(b.blocks.size());
  for (int attempt = 0; attempt < 1000; ++attempt) {
    // a keeps blocks [0, ca), b gives [cb, nb): at least one block from each side when it has any.
    const int ca = 1 + rng.below(na), cb = rng.below(nb);
    Genome child{a.d, {a.blocks.begin(), a.blocks.begin() + ca}};
    child.blocks.insert(child.blocks.end(), b.blocks.begin() + cb, b.blocks.end());
    if (within(child, space)) return child;
  }
  return a;
}

}  // namespace liquid::lfm::evolve
