#include "plot/charts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>

#include "plot/ticks.h"

namespace liquid::plot {

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  for (char ch : line) {
    if (ch == ',')
      fields.emplace_back();
    else if (ch != '\r')
      fields.back() += ch;
  }
  for (std::string& f : fields) {
    const size_t b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  }
  return fields;
}

bool parse_field(const std::string& f, double& out) {
  if (f.empty() || f == "nan" || f == "NaN" || f == "NA" || f == "-nan") {
    out = std::nan("");
    return true;
  }
  const char* begin = f.data() + (f[0] == '+' ? 1 : 0);
  const auto [ptr, ec] = std::from_chars(begin, f.data() + f.size(), out);
  return ec == std::errc() && ptr == f.data() + f.size();
}

std::string pretty(std::string name) {
  std::replace(name.begin(), name.end(), '_', ' ');
  return name;
}

}  // namespace

int CsvTable::find(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

CsvTable read_csv_table(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw PlotError(path.string() + ": cannot open");
  CsvTable table;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    const std::vector<std::string> fields = split_csv_line(line);
    if (table.names.empty()) {
      table.names = fields;
      table.columns.resize(fields.size());
      continue;
    }
    if (fields.size() != table.names.size())
      throw PlotError(path.string() + ":" + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                      " fields; expected " + std::to_string(table.names.size()) + " as in the header");
    for (size_t c = 0; c < fields.size(); ++c) {
      double v;
      if (!parse_field(fields[c], v))
        throw PlotError(path.string() + ":" + std::to_string(line_no) + ": column '" + table.names[c] +
                        "': expected a number, got '" + fields[c] + "'");
      table.columns[c].push_back(v);
    }
  }
  if (table.names.empty()) throw PlotError(path.string() + ": empty; expected a header row and data rows");
  return table;
}

void write_training_curve(const std::filesystem::path& csv_path, const std::filesystem::path& png_path,
                          const std::string& title, int width, int height) {
  const CsvTable table = read_csv_table(csv_path);
  const int epoch_col = table.find("epoch");
  if (epoch_col < 0) throw PlotError(csv_path.string() + ": no 'epoch' column; expected a header naming epoch");
  const std::vector<double>& epochs = table.columns[epoch_col];
  if (epochs.empty()) throw PlotError(csv_path.string() + ": no data rows; expected one row per epoch");

  std::vector<int> losses, metrics;
  for (size_t c = 0; c < table.names.size(); ++c) {
    const std::string& name = table.names[c];
    if (name == "epoch" || name == "lr" || name == "seconds" || name == "best") continue;
    const std::vector<double>& v = table.columns[c];
    if (std::none_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); })) continue;
    (name.find("loss") != std::string::npos ? losses : metrics).push_back(static_cast<int>(c));
  }
  if (losses.empty() && metrics.empty())
    throw PlotError(csv_path.string() + ": no column to plot; expected loss or metric columns beside epoch");

  // The best row: what the trainer marked, else the lowest validation (or first) loss.
  int best = -1;
  if (const int b = table.find("best"); b >= 0) {
    for (size_t i = 0; i < epochs.size(); ++i)
      if (table.columns[b][i] != 0 && std::isfinite(table.columns[b][i])) best = static_cast<int>(i);
  } else if (const int v = table.find("val_loss"); v >= 0 || !losses.empty()) {
    const std::vector<double>& loss = table.columns[v >= 0 ? v : losses[0]];
    for (size_t i = 0; i < loss.size(); ++i)
      if (std::isfinite(loss[i]) && (best < 0 || loss[i] < loss[best])) best = static_cast<int>(i);
  }

  const int panels = (losses.empty() ? 0 : 1) + (metrics.empty() ? 0 : 1);
  Figure fig(width, height, panels, 1);
  fig.set_title(!title.empty()
                    ? title
                    : "training curve: " + (csv_path.has_parent_path() && csv_path.parent_path().has_filename()
                                                ? csv_path.parent_path().filename().string()
                                                : csv_path.filename().string()));
  int panel = 0;
  for (const std::vector<int>* group : {&losses, &metrics}) {
    if (group->empty()) continue;
    Axes& ax = fig.axes(panel++);
    const bool is_loss = group == &losses;
    ax.set_x_label("epoch").set_x_integer().set_y_label(is_loss              ? "loss"
                                                        : group->size() == 1 ? pretty(table.names[(*group)[0]])
                                                                             : "metric");
    double lo = INFINITY, hi = 0;
    for (int c : *group)
      for (double v : table.columns[c])
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (is_loss && lo > 0 && hi / lo > 10) ax.set_log_y(true);  // losses fall by decades
    if (best >= 0) ax.vline(epochs[best], "best: epoch " + format_number(epochs[best], 6));
    std::vector<Series*> lines;
    for (int c : *group) {
      const std::vector<double>& v = table.columns[c];
      std::string label = pretty(table.names[c]);
      if (best >= 0 && std::isfinite(v[best])) label += ": " + format_number(v[best], 4);
      lines.push_back(&ax.line(epochs, v, label));
      if (epochs.size() <= 30) lines.back()->marker_radius = 3;  // few epochs: show the measurements
    }
    if (best < 0) continue;
    for (size_t i = 0; i < group->size(); ++i) {  // after the lines, so the marks take no palette colour
      const double v = table.columns[(*group)[i]][best];
      if (!std::isfinite(v)) continue;
      Series& mark = ax.scatter({epochs[best]}, {v});
      mark.color = lines[i]->color;
      mark.marker_radius = 6;
    }
  }
  fig.save_png(png_path);
}

void plot_heatmap(Axes& axes, HeatMap map, const ChartText& text) {
  const int rows = map.rows;
  HeatMap& m = axes.heatmap(std::move(map));
  axes.set_title(text.title).set_x_label(text.x_label).set_y_label(text.y_label);
  if (text.row_names.empty()) return;
  if (static_cast<int>(text.row_names.size()) != rows)
    throw PlotError("heatmap: " + std::to_string(text.row_names.size()) + " row names for " + std::to_string(rows) +
                    " rows; expected one per row or none");
  // Name at most about 32 rows; with more, every k-th.
  const int every = std::max(1, (rows + 31) / 32);
  std::vector<double> at;
  std::vector<std::string> labels;
  for (int r = 0; r < rows; r += every) {
    at.push_back(m.y0 + (r + 0.5) * (m.y1 - m.y0) / rows);
    labels.push_back(text.row_names[r]);
  }
  axes.set_y_ticks(at, labels);
}

void write_heatmap(const std::filesystem::path& png_path, HeatMap map, const ChartText& text, int width, int height) {
  Figure fig(width, height);
  plot_heatmap(fig.axes(), std::move(map), text);
  fig.save_png(png_path);
}

void plot_confusion(Axes& axes, const std::vector<std::vector<std::int64_t>>& counts,
                    const std::vector<std::string>& class_names, const std::string& title) {
  const int n = static_cast<int>(counts.size());
  if (n == 0) throw PlotError("confusion matrix: no classes; expected an n x n matrix of counts");
  if (!class_names.empty() && static_cast<int>(class_names.size()) != n)
    throw PlotError("confusion matrix: " + std::to_string(class_names.size()) + " class names for " +
                    std::to_string(n) + " rows; expected one per class");
  HeatMap m;
  m.rows = m.cols = n;
  m.x0 = -0.5, m.x1 = n - 0.5;
  m.y0 = n - 0.5, m.y1 = -0.5;  // true class 0 in the top row
  m.v_min = 0, m.v_max = 1;
  m.colorbar_label = "fraction of true class";
  std::int64_t total = 0, correct = 0;
  for (int r = 0; r < n; ++r) {
    if (static_cast<int>(counts[r].size()) != n)
      throw PlotError("confusion matrix: row " + std::to_string(r) + " has " + std::to_string(counts[r].size()) +
                      " counts; expected " + std::to_string(n));
    std::int64_t row_total = 0;
    for (std::int64_t c : counts[r]) {
      if (c < 0) throw PlotError("confusion matrix: row " + std::to_string(r) + " has a negative count");
      row_total += c;
    }
    total += row_total;
    correct += counts[r][r];
    for (int c = 0; c < n; ++c) {
      const double fraction = row_total > 0 ? double(counts[r][c]) / row_total : std::nan("");
      m.values.push_back(fraction);
      // Whole percents read faster than 9.83%; zeros stay a bare 0 so the errors stand out.
      std::string text = std::to_string(counts[r][c]);
      if (counts[r][c] > 0) {
        const double percent = 100 * fraction;
        text.append("\n").append(percent < 1 ? "<1" : format_number(std::round(percent), 3)).append("%");
      }
      m.cell_text.push_back(text);
    }
  }
  // Row r is drawn centred at y = n-1-r: the top row holds class 0.
  std::vector<double> x_at, y_at;
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    x_at.push_back(i);
    y_at.push_back(n - 1 - i);
    names.push_back(class_names.empty() ? std::to_string(i) : class_names[i]);
  }
  axes.heatmap(std::move(m));
  axes.set_x_ticks(x_at, names).set_y_ticks(y_at, names).set_x_label("predicted").set_y_label("true");
  axes.set_title(title + (total > 0 ? "  (accuracy " + format_number(100.0 * correct / total, 4) +
                                          "%, n = " + std::to_string(total) + ")"
                                    : ""));
}

void write_confusion(const std::filesystem::path& png_path, const std::vector<std::vector<std::int64_t>>& counts,
                     const std::vector<std::string>& class_names, const std::string& title, int width, int height) {
  Figure fig(width, height);
  plot_confusion(fig.axes(), counts, class_names, title);
  fig.save_png(png_path);
}

}  // namespace liquid::plot
