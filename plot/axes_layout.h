// Internal to liquid::plot: what Axes::draw works out before drawing (where the plot area, ticks
// and colour bar go, and the text styles at this figure's scale), shared by the files that draw.
#pragma once

#include <cmath>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "plot/figure.h"
#include "plot/text.h"

namespace liquid::plot {

struct Axes::Layout {
  cv::Rect area;      // the plot area
  cv::Rect colorbar;  // empty without a heat map colour bar
  Ticks x_ticks, y_ticks;
  bool x_labels_vertical = false;
  int x_label_extent = 0;  // height of the x tick labels (their width when vertical)
  int pad = 10, tick_len = 5;
};

namespace detail {

inline int scaled(double px, double scale) { return std::max(1, static_cast<int>(std::lround(px * scale))); }

inline TextStyle style(double base, double scale, Color color = kText) {
  return TextStyle{base * scale, scale >= 1.6 ? 2 : 1, color};
}

// The colormap's colour for a normalised value in [0, 1] (clamped), as cv::applyColorMap would
// give for the 8-bit level round(t * 255).
cv::Vec3b viridis(double t);

// Line segment a-b clipped to `box` (Liang-Barsky); false when nothing of it is inside.
bool clip_segment(cv::Point2d& a, cv::Point2d& b, const cv::Rect2d& box);

}  // namespace detail
}  // namespace liquid::plot
