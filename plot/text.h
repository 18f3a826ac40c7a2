// Text drawing for liquid::plot on top of cv::putText (Hershey simplex, anti-aliased). Everything
// is positioned by its measured box so labels can be laid out before drawing and never overlap the
// plot area; rotated text (y labels, long class names) is drawn into a patch and turned 90 degrees,
// since Hershey text itself cannot rotate.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "plot/style.h"

namespace liquid::plot {

// Where the anchor point sits on the text's box.
enum class Align { kStart, kCenter, kEnd };

struct TextStyle {
  double scale = 0.5;
  int thickness = 1;
  Color color = kText;
};

// The box of `text` drawn horizontally: width, and height including descenders.
cv::Size text_size(const std::string& text, const TextStyle& style);

// Draws `text` so that the point `anchor` sits at the (h, v) alignment of its box; returns the box.
cv::Rect draw_text(cv::Mat& image, const std::string& text, cv::Point anchor, const TextStyle& style,
                   Align h = Align::kStart, Align v = Align::kStart);

// The same, rotated 90 degrees counter-clockwise (reads bottom to top); the box is tall and thin.
cv::Rect draw_text_vertical(cv::Mat& image, const std::string& text, cv::Point anchor, const TextStyle& style,
                            Align h = Align::kCenter, Align v = Align::kCenter);

// `text` cut to at most `max_width` pixels, ending in ".." when cut.
std::string fit_text(const std::string& text, int max_width, const TextStyle& style);

}  // namespace liquid::plot
