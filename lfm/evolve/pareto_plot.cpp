// pareto.png of a search (lfm/evolve/search.h), drawn with liquid::plot.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "lfm/evolve/search.h"
#include "plot/figure.h"

namespace liquid::lfm::evolve {
namespace {

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes >= 1024 && u < 3) bytes /= 1024, ++u;
  char text[32];
  std::snprintf(text, sizeof text, "%g %s", bytes, units[u]);
  return text;
}

}  // namespace

void write_pareto_png(const std::filesystem::path& path, const std::vector<Candidate>& candidates,
                      const std::vector<int>& front, const std::string& metric, int64_t context) {
  // The axes have no log x: x is log2 of the bytes, with ticks at powers of two labelled in bytes.
  auto x_of = [](const Candidate& c) { return std::log2(std::max<double>(1, double(c.state_bytes))); };
  std::vector<double> x, y, fx, fy;
  std::vector<std::string> labels;
  double lo = INFINITY, hi = -INFINITY;
  for (const Candidate& c : candidates) {
    if (!std::isfinite(c.val_metric)) continue;
    x.push_back(x_of(c));
    y.push_back(c.val_metric);
    lo = std::min(lo, x.back()), hi = std::max(hi, x.back());
  }
  for (int i : front) {
    if (!std::isfinite(candidates[i].val_metric)) continue;
    fx.push_back(x_of(candidates[i]));
    fy.push_back(candidates[i].val_metric);
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329) on "lit" + string.
    labels.emplace_back(1, '#');
    labels.back().append(std::to_string(candidates[i].id));
  }
  plot::Figure fig(1200, 800);
  plot::Axes& ax = fig.axes();
  ax.set_title("evolved genomes: validation " + metric + " vs. state per stream at " + std::to_string(context) +
               " samples")
      .set_x_label("state bytes per stream (log scale)")
      .set_y_label("validation " + metric);
  if (!x.empty()) {
    const int first = static_cast<int>(std::floor(lo)), last = static_cast<int>(std::ceil(hi));
    const int step = std::max(1, (last - first + 7) / 8);  // at most about eight ticks
    std::vector<double> at;
    std::vector<std::string> names;
    for (int e = first; e <= last; e += step) at.push_back(e), names.push_back(bytes_text(std::ldexp(1.0, e)));
    ax.set_x_limits(first - 0.3, std::max<double>(last, first + 1) + 0.3).set_x_ticks(at, names);
    plot::Series& all = ax.scatter(x, y, "candidates");
    all.color = plot::kMissing;
    all.line_width = 0;
    all.marker_radius = 5;
  }
  if (!fx.empty()) {
    // Markers only: the front is over three objectives (parameters too), so joining its points in
    // this plane would draw a trade-off curve that is not there.
    plot::Series& f =
        ax.scatter(fx, fy, "Pareto front over (" + metric + ", state, parameters); #id as in pareto.csv", labels);
    f.color = plot::kVermillion;
    f.line_width = 0;
    f.marker_radius = 7;
  }
  if (x.empty()) ax.hline(0, "no candidate has a finite validation " + metric);
  fig.save_png(path);
}

}  // namespace liquid::lfm::evolve
