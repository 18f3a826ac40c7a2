// Multi-objective ranking as in NSGA-II (Deb et al. 2002), which STAR's selection follows: fast
// non-dominated sorting into fronts, crowding distance within a front, and survivor selection by
// (front, crowding). Every objective is minimised; a point dominates another when it is no worse
// in every objective and better in one.
#pragma once

#include <vector>

namespace liquid::lfm::evolve {

using Objectives = std::vector<double>;  // one value per objective, all minimised

bool dominates(const Objectives& a, const Objectives& b);

// The front of each point: 0 for the non-dominated ones, 1 for those dominated only by front 0, ...
std::vector<int> pareto_ranks(const std::vector<Objectives>& points);

// Crowding distance of `members` (indices into points, one front): the sum over objectives of the
// normalised gap between each member's neighbours; the extremes of each objective get infinity.
// Returned in the order of `members`.
std::vector<double> crowding_distances(const std::vector<Objectives>& points, const std::vector<int>& members);

// NSGA-II survivors: `count` indices of points, whole fronts first, the last front cut by largest
// crowding distance; ties keep the lower index, so the choice is deterministic.
std::vector<int> select_survivors(const std::vector<Objectives>& points, int count);

// Per point, its (front, -crowding) rank key over all points, for tournaments: lower is better.
struct RankKey {
  int front = 0;
  double crowding = 0;
  bool better_than(const RankKey& other) const {
    return front != other.front ? front < other.front : crowding > other.crowding;
  }
};
std::vector<RankKey> rank_keys(const std::vector<Objectives>& points);

}  // namespace liquid::lfm::evolve
