// liquid::plot: small PNG figures (training curves, heat maps, confusion matrices, forecasts,
// labelled scatters) drawn with OpenCV, because Debian has no C++ plotting library worth a
// dependency and OpenCV already draws anti-aliased lines and text and writes PNG.
//
//   plot::Figure fig(1200, 800, 2, 1);             // two panels stacked
//   fig.axes(0).set_title("loss").set_log_y(true);
//   fig.axes(0).line(epochs, train_loss, "train");
//   fig.axes(1).hline(0.9463, "paper 94.63 %");
//   fig.save_png("out/curve.png");
//
// Axes collect what to draw; Figure::render lays every panel out (margins measured from the
// actual tick and label text, so text never overlaps a plot area) and draws it.
#pragma once

#include <deque>
#include <filesystem>
#include <limits>
#include <opencv2/core.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plot/style.h"

namespace liquid::plot {

struct PlotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr double kAuto = std::numeric_limits<double>::quiet_NaN();

// Data coordinates to image coordinates of one plot area. x_lo maps to the left edge of the area's
// first pixel column and x_hi to the right edge of its last; pixel (i, j) has its centre at (i, j),
// so std::lround(px(x)) is the column that contains x. Valid after Figure::render().
struct Transform {
  cv::Rect area;
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  bool log_y = false;
  double px(double x) const;
  double py(double y) const;  // NaN for y <= 0 on a log axis
  cv::Point2d to_pixel(double x, double y) const { return {px(x), py(y)}; }
};

// A line and/or markers. Returned by reference from Axes so the caller can adjust it.
struct Series {
  std::string label;  // legend entry; empty keeps it out of the legend
  std::vector<double> x, y;
  Color color;
  int line_width = 2;  // pixels at the default figure size; 0 draws no line
  bool dashed = false;
  int marker_radius = 0;                  // 0 draws no markers
  std::vector<std::string> point_labels;  // empty, or one per point (empty strings allowed)
};

// A horizontal (y = value) or vertical (x = value) dashed reference line with its text.
struct RefLine {
  bool horizontal = true;
  double value = 0;
  std::string label;
  Color color = kAxis;
};

// A matrix drawn as coloured cells with the viridis colormap.
struct HeatMap {
  int rows = 0, cols = 0;
  std::vector<double> values;  // row-major rows x cols; NaN is drawn grey
  // Data coordinates of the outer cell edges: column c spans x0 + c*(x1-x0)/cols to the next edge,
  // row r likewise from y0. Defaults: x 0..cols, y 0..rows (row 0 at the bottom). y0 > y1 puts
  // row 0 at the top.
  double x0 = kAuto, x1 = kAuto, y0 = kAuto, y1 = kAuto;
  double v_min = kAuto, v_max = kAuto;  // colour range; default the finite data's range
  bool colorbar = true;
  std::string colorbar_label;
  std::vector<std::string> cell_text;  // empty, or rows*cols strings written in the cells
  double at(int r, int c) const { return values[static_cast<size_t>(r) * cols + c]; }
};

enum class LegendPlace { kAuto, kTopRight, kTopLeft, kBottomRight, kBottomLeft, kNone };

class Axes {
 public:
  Axes& set_title(std::string title);
  Axes& set_x_label(std::string label);
  Axes& set_y_label(std::string label);
  Axes& set_log_y(bool on = true);
  Axes& set_x_limits(double lo, double hi);  // kAuto for either end keeps it automatic
  Axes& set_y_limits(double lo, double hi);
  // Explicit ticks (e.g. class names); labels empty means formatted values. Long x labels are
  // turned vertical, and any label is shortened with ".." if it would take too much room.
  Axes& set_x_ticks(std::vector<double> at, std::vector<std::string> labels = {});
  Axes& set_y_ticks(std::vector<double> at, std::vector<std::string> labels = {});
  Axes& set_legend(LegendPlace place);
  // Only whole-number x ticks (epochs, counts): no "2.5" between epoch 2 and 3.
  Axes& set_x_integer(bool on = true);

  // Throws PlotError on empty data or x/y of different lengths. NaN in y breaks a line.
  Series& line(std::vector<double> x, std::vector<double> y, std::string label = "");
  Series& scatter(std::vector<double> x, std::vector<double> y, std::string label = "",
                  std::vector<std::string> point_labels = {});
  RefLine& hline(double y, std::string label = "");
  RefLine& vline(double x, std::string label = "");
  // Replaces any earlier heat map of these axes; throws PlotError if values.size() != rows*cols.
  HeatMap& heatmap(HeatMap map);

  const Transform& transform() const { return transform_; }

  struct Ticks {
    std::vector<double> at;
    std::vector<std::string> labels;
  };

 private:
  friend class Figure;
  struct Layout;
  void resolve_limits() const;  // sets transform_ limits from the data and set_*_limits
  Ticks make_ticks(bool x_axis, int length_px) const;
  void draw(cv::Mat& image, cv::Rect cell, double scale) const;
  // `occupied` (image-sized, 8-bit) gets every data pixel, so text can be put where it hides least.
  void draw_series(cv::Mat& image, double scale, std::vector<cv::Rect>& taken, cv::Mat& occupied) const;
  void draw_heatmap(cv::Mat& image, double scale) const;
  void draw_legend(cv::Mat& image, double scale, const std::vector<cv::Rect>& taken, const cv::Mat& occupied) const;
  void draw_colorbar(cv::Mat& image, const Layout& layout, double scale) const;

  std::string title_, x_label_, y_label_;
  bool log_y_ = false;
  bool x_integer_ = false;
  double x_min_ = kAuto, x_max_ = kAuto, y_min_ = kAuto, y_max_ = kAuto;  // as set by the caller
  std::optional<Ticks> x_ticks_, y_ticks_;
  LegendPlace legend_ = LegendPlace::kAuto;
  std::deque<Series> series_;  // a deque keeps returned references valid
  std::deque<RefLine> refs_;
  std::optional<HeatMap> heatmap_;
  int next_color_ = 0;
  mutable Transform transform_;
};

class Figure {
 public:
  // A width x height image split into rows x cols panels of equal size.
  explicit Figure(int width = 1200, int height = 800, int rows = 1, int cols = 1);

  Axes& axes(int row = 0, int col = 0);
  Figure& set_title(std::string title);

  // Lays out and draws every panel; the image stays valid until the next render().
  const cv::Mat& render();
  // Renders and writes a PNG, creating missing parent directories. Throws PlotError naming the
  // path if it cannot be written.
  void save_png(const std::filesystem::path& path);

  // Text and line sizes relative to the default 1200 x 800 figure.
  double scale() const { return scale_; }

 private:
  int width_, height_, rows_, cols_;
  double scale_;
  std::string title_;
  std::vector<Axes> axes_;
  cv::Mat image_;
};

}  // namespace liquid::plot
