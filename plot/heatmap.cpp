// Heat map cells and their colour bar. Cells are resampled straight into the plot area: a pixel
// showing several cells shows their area-weighted mean (a 40 x 5000 spectrogram in 1000 px stays
// faithful), a cell covering many pixels is a flat block with crisp edges, and the extent may run
// either way (y0 > y1 puts row 0 at the top, as a confusion matrix wants).
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "plot/axes_layout.h"
#include "plot/ticks.h"

namespace liquid::plot {

using detail::scaled;
using detail::style;

cv::Vec3b detail::viridis(double t) {
  static const cv::Mat lut = [] {
    cv::Mat levels(1, 256, CV_8UC1);
    for (int i = 0; i < 256; ++i) levels.at<uchar>(0, i) = static_cast<uchar>(i);
    cv::Mat colors;
    cv::applyColorMap(levels, colors, cv::COLORMAP_VIRIDIS);
    return colors;
  }();
  if (std::isnan(t)) return {kMissing.b, kMissing.g, kMissing.r};
  return lut.at<cv::Vec3b>(0, static_cast<int>(std::lround(std::clamp(t, 0.0, 1.0) * 255)));
}

namespace {

// The cells one pixel shows along one axis: [first, last), with the fraction of the first and
// last cell that falls inside the pixel (area weights, so regular fine stripes average out instead
// of aliasing into coarse ones). A pixel inside a single cell shows just that cell.
struct Span {
  int first = 0, last = 0;
  double w_first = 1, w_last = 1;
  double weight(int c) const { return c == first ? w_first : c == last - 1 ? w_last : 1.0; }
};

// `e0`, `e1`: the pixel-edge coordinates of the extent's two ends (cell 0 starts at e0).
std::vector<Span> cell_spans(int pixel0, int pixels, double e0, double e1, int cells) {
  std::vector<Span> spans(pixels);
  const double per_pixel = cells / (e1 - e0);  // cells per pixel, signed
  for (int i = 0; i < pixels; ++i) {
    const double edge = pixel0 + i;
    const double ua = (edge - e0) * per_pixel, ub = (edge + 1 - e0) * per_pixel;
    const double lo = std::clamp(std::min(ua, ub), 0.0, double(cells)),
                 hi = std::clamp(std::max(ua, ub), 0.0, double(cells));
    Span& span = spans[i];
    if (std::fabs(per_pixel) <= 1.0 || hi - lo < 1.0) {  // the nearest cell, for crisp cell edges
      span.first = std::clamp(static_cast<int>(std::floor((lo + hi) / 2)), 0, cells - 1);
      span.last = span.first + 1;
      continue;
    }
    span.first = static_cast<int>(std::floor(lo));
    span.last = std::min(cells, static_cast<int>(std::ceil(hi)));
    span.w_first = std::min(1.0, span.first + 1 - lo);
    span.w_last = span.last - 1 == span.first ? span.w_first : std::min(1.0, hi - (span.last - 1));
  }
  return spans;
}

}  // namespace

void Axes::draw_heatmap(cv::Mat& image, double s) const {
  const HeatMap& m = *heatmap_;
  if (log_y_) throw PlotError("heatmap on axes '" + title_ + "': a log y axis is not supported");
  const Transform& t = transform_;
  const double ex0 = t.px(m.x0) + 0.5, ex1 = t.px(m.x1) + 0.5, ey0 = t.py(m.y0) + 0.5, ey1 = t.py(m.y1) + 0.5;
  const cv::Rect extent(
      cv::Point(static_cast<int>(std::lround(std::min(ex0, ex1))), static_cast<int>(std::lround(std::min(ey0, ey1)))),
      cv::Point(static_cast<int>(std::lround(std::max(ex0, ex1))), static_cast<int>(std::lround(std::max(ey0, ey1)))));
  const cv::Rect target = extent & t.area;
  if (target.empty()) return;
  const std::vector<Span> cols = cell_spans(target.x, target.width, ex0, ex1, m.cols);
  const std::vector<Span> rows = cell_spans(target.y, target.height, ey0, ey1, m.rows);
  const double span = m.v_max - m.v_min;
  for (int y = 0; y < target.height; ++y) {
    cv::Vec3b* out = image.ptr<cv::Vec3b>(target.y + y) + target.x;
    for (int x = 0; x < target.width; ++x) {
      double sum = 0, weight = 0;
      for (int r = rows[y].first; r < rows[y].last; ++r)
        for (int c = cols[x].first; c < cols[x].last; ++c)
          if (const double v = m.at(r, c); std::isfinite(v)) {
            const double w = rows[y].weight(r) * cols[x].weight(c);
            sum += w * v, weight += w;
          }
      out[x] = detail::viridis(weight > 0 ? (sum / weight - m.v_min) / span : std::nan(""));
    }
  }
  if (m.cell_text.empty()) return;

  // One font for every cell (mixed sizes look like mixed importance): the largest, up to the label
  // size, with which every text fits in 85 % of a cell. None if even a small one does not.
  std::vector<std::vector<std::string>> texts(m.cell_text.size());  // '\n' separates lines
  size_t max_lines = 1;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& text = m.cell_text[i];
    for (size_t a = 0, b; a < text.size(); a = b + 1) {
      b = std::min(text.find('\n', a), text.size());
      texts[i].push_back(text.substr(a, b - a));
    }
    max_lines = std::max(max_lines, texts[i].size());
  }
  const Fonts fonts;
  const double cell_w = std::fabs(ex1 - ex0) / m.cols, cell_h = std::fabs(ey1 - ey0) / m.rows;
  TextStyle st;
  int line_h = 0;
  bool fits = false;
  for (double f = fonts.label; f >= 0.3 && !fits; f -= 0.02) {
    st = style(f, s);
    line_h = text_size("0", st).height + scaled(3, s);
    fits = line_h * static_cast<int>(max_lines) <= cell_h * 0.85;
    for (size_t i = 0; i < texts.size() && fits; ++i)
      for (const std::string& line : texts[i]) fits = fits && text_size(line, st).width <= cell_w * 0.85;
  }
  if (!fits) return;
  for (int r = 0; r < m.rows; ++r) {
    for (int c = 0; c < m.cols; ++c) {
      const std::vector<std::string>& lines = texts[static_cast<size_t>(r) * m.cols + c];
      const double v = m.at(r, c);
      const cv::Vec3b bg = detail::viridis(std::isfinite(v) ? (v - m.v_min) / span : std::nan(""));
      const double luminance = 0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2];
      st.color = luminance > 140 ? kText : kBackground;  // dark text on the yellow end, white on the blue
      const double cx = ex0 + (c + 0.5) * (ex1 - ex0) / m.cols, cy = ey0 + (r + 0.5) * (ey1 - ey0) / m.rows;
      const int top = static_cast<int>(std::lround(cy - line_h * lines.size() / 2.0));
      for (size_t i = 0; i < lines.size(); ++i)
        draw_text(image, lines[i], {static_cast<int>(std::lround(cx)), top + static_cast<int>(i) * line_h + line_h / 2},
                  st, Align::kCenter, Align::kCenter);
    }
  }
}

void Axes::draw_colorbar(cv::Mat& image, const Layout& layout, double s) const {
  const HeatMap& m = *heatmap_;
  const cv::Rect bar = layout.colorbar & cv::Rect(0, 0, image.cols, image.rows);
  if (bar.empty()) return;
  for (int y = 0; y < bar.height; ++y)
    image(cv::Rect(bar.x, bar.y + y, bar.width, 1)) = cv::Scalar(detail::viridis(1.0 - (y + 0.5) / bar.height));
  cv::rectangle(image, {bar.x - 1, bar.y - 1}, {bar.x + bar.width, bar.y + bar.height}, kAxis.bgr(), 1);
  const Fonts fonts;
  const TextStyle tick_style = style(fonts.tick, s), label_style = style(fonts.label, s);
  const int target = std::clamp(bar.height / 70, 2, 8);
  const double step = nice_step(m.v_min, m.v_max, target);
  const std::vector<double> ticks = ticks_at(m.v_min, m.v_max, step);
  const std::vector<std::string> labels = format_ticks(ticks, step);
  int label_w = 0;
  for (size_t i = 0; i < ticks.size(); ++i) {
    const int y = static_cast<int>(std::lround(bar.y - 0.5 + (m.v_max - ticks[i]) / (m.v_max - m.v_min) * bar.height));
    const int x = bar.x + bar.width;
    cv::line(image, {x, y}, {x + layout.tick_len, y}, kAxis.bgr(), 1);
    const cv::Rect box = draw_text(image, labels[i], {x + layout.tick_len + layout.pad / 2, y}, tick_style,
                                   Align::kStart, Align::kCenter);
    label_w = std::max(label_w, box.width);
  }
  if (!m.colorbar_label.empty())
    draw_text_vertical(image, fit_text(m.colorbar_label, bar.height, label_style),
                       {bar.x + bar.width + layout.tick_len + layout.pad + label_w, bar.y + bar.height / 2},
                       label_style, Align::kStart, Align::kCenter);
}

}  // namespace liquid::plot
