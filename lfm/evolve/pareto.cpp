#include "lfm/evolve/pareto.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace liquid::lfm::evolve {

bool dominates(const Objectives& a, const Objectives& b) {
  bool better = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) better = true;
  }
  return better;
}

std::vector<int> pareto_ranks(const std::vector<Objectives>& points) {
  const int n = static_cast<int>(points.size());
  std::vector<std::vector<int>> dominated(n);  // whom each point dominates
  std::vector<int> dominators(n, 0), rank(n, -1), current;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (dominates(points[i], points[j]))
        dominated[i].push_back(j);
      else if (dominates(points[j], points[i]))
        ++dominators[i];
  for (int i = 0; i < n; ++i)
    if (dominators[i] == 0) rank[i] = 0, current.push_back(i);
  for (int front = 0; !current.empty(); ++front) {
    std::vector<int> next;
    for (int i : current)
      for (int j : dominated[i])
        if (--dominators[j] == 0) rank[j] = front + 1, next.push_back(j);
    current = std::move(next);
  }
  return rank;
}

std::vector<double> crowding_distances(const std::vector<Objectives>& points, const std::vector<int>& members) {
  const size_t m = members.size();
  std::vector<double> distance(m, 0.0);
  if (m == 0) return distance;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<size_t> order(m);
  for (size_t k = 0; k < points[members[0]].size(); ++k) {
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return points[members[a]][k] < points[members[b]][k]; });
    const double lo = points[members[order.front()]][k], hi = points[members[order.back()]][k];
    distance[order.front()] = distance[order.back()] = inf;
    if (hi <= lo) continue;
    for (size_t r = 1; r + 1 < m; ++r)
      distance[order[r]] += (points[members[order[r + 1]]][k] - points[members[order[r - 1]]][k]) / (hi - lo);
  }
  return distance;
}

std::vector<RankKey> rank_keys(const std::vector<Objectives>& points) {
  const std::vector<int> rank = pareto_ranks(points);
  std::vector<RankKey> keys(points.size());
  const int fronts = rank.empty() ? 0 : *std::max_element(rank.begin(), rank.end()) + 1;
  for (int f = 0; f < fronts; ++f) {
    std::vector<int> members;
    for (int i = 0; i < static_cast<int>(rank.size()); ++i)
      if (rank[i] == f) members.push_back(i);
    const std::vector<double> crowding = crowding_distances(points, members);
    for (size_t r = 0; r < members.size(); ++r) keys[members[r]] = {f, crowding[r]};
  }
  return keys;
}

std::vector<int> select_survivors(const std::vector<Objectives>& points, int count) {
  const std::vector<RankKey> keys = rank_keys(points);
  std::vector<int> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return keys[a].better_than(keys[b]); });
  order.resize(std::min<size_t>(order.size(), static_cast<size_t>(std::max(0, count))));
  return order;
}

}  // namespace liquid::lfm::evolve
