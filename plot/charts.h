// Ready-made liquid::plot figures for the command-line tools: a training curve from the trainer's
// curve.csv, a heat map (spectrogram, features or neuron states over time) and a confusion matrix.
// Each is a one-call PNG writer, plus the panel-filling function behind it for multi-panel figures.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "plot/figure.h"

namespace liquid::plot {

// A CSV file with a header row, as numeric columns. Empty fields and nan/NaN/NA read as NaN;
// anything else that is not a number is an error naming the file, line and column.
struct CsvTable {
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;  // columns[i] holds names[i]'s values
  // The index of the column `name`, or -1.
  int find(const std::string& name) const;
};
CsvTable read_csv_table(const std::filesystem::path& path);

// curve.csv (epoch, then any columns; lr, seconds and best are not drawn) to a PNG: columns whose
// name contains "loss" in the top panel (log y when they span more than a decade), the others
// (metrics) below, the best epoch marked in both: the row where a "best" column is non-zero, else
// the lowest val_loss, else the lowest first loss. Throws PlotError without an epoch column.
void write_training_curve(const std::filesystem::path& csv_path, const std::filesystem::path& png_path,
                          const std::string& title = "", int width = 1200, int height = 800);

struct ChartText {
  std::string title, x_label, y_label;
  std::vector<std::string> row_names;  // optional y tick labels for a heat map's rows
};

// A heat map with its colour bar in one panel.
void plot_heatmap(Axes& axes, HeatMap map, const ChartText& text = {});
void write_heatmap(const std::filesystem::path& png_path, HeatMap map, const ChartText& text = {}, int width = 1200,
                   int height = 800);

// counts[true_class][predicted_class]. Cells are coloured by the fraction of their row (so a rare
// class's errors show as clearly as a common one's) and show the count and that percentage; the
// title gets the overall accuracy. class_names may be empty (then 0, 1, ...).
void plot_confusion(Axes& axes, const std::vector<std::vector<std::int64_t>>& counts,
                    const std::vector<std::string>& class_names, const std::string& title = "confusion matrix");
void write_confusion(const std::filesystem::path& png_path, const std::vector<std::vector<std::int64_t>>& counts,
                     const std::vector<std::string>& class_names, const std::string& title = "confusion matrix",
                     int width = 1000, int height = 860);

}  // namespace liquid::plot
