// Axes: collecting what to plot, resolving limits and ticks, laying out the margins from measured
// text, and drawing the frame, grid, ticks, labels and title. Series, legend and heat map drawing
// live in series.cpp and heatmap.cpp.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "plot/axes_layout.h"
#include "plot/ticks.h"

namespace liquid::plot {

using detail::scaled;
using detail::style;

double Transform::px(double x) const { return area.x - 0.5 + (x - x_lo) / (x_hi - x_lo) * area.width; }

double Transform::py(double y) const {
  if (log_y) {
    if (!(y > 0)) return std::nan("");
    return area.y - 0.5 + (std::log10(y_hi) - std::log10(y)) / (std::log10(y_hi) - std::log10(y_lo)) * area.height;
  }
  return area.y - 0.5 + (y_hi - y) / (y_hi - y_lo) * area.height;
}

Axes& Axes::set_title(std::string title) {
  title_ = std::move(title);
  return *this;
}

Axes& Axes::set_x_label(std::string label) {
  x_label_ = std::move(label);
  return *this;
}

Axes& Axes::set_y_label(std::string label) {
  y_label_ = std::move(label);
  return *this;
}

Axes& Axes::set_log_y(bool on) {
  log_y_ = on;
  return *this;
}

Axes& Axes::set_legend(LegendPlace place) {
  legend_ = place;
  return *this;
}

Axes& Axes::set_x_integer(bool on) {
  x_integer_ = on;
  return *this;
}

Axes& Axes::set_x_limits(double lo, double hi) {
  x_min_ = lo;
  x_max_ = hi;
  return *this;
}

Axes& Axes::set_y_limits(double lo, double hi) {
  y_min_ = lo;
  y_max_ = hi;
  return *this;
}

static Axes::Ticks explicit_ticks(std::vector<double> at, std::vector<std::string> labels, const char* axis) {
  if (!labels.empty() && labels.size() != at.size())
    throw PlotError(std::string("set_") + axis + "_ticks: " + std::to_string(labels.size()) + " labels for " +
                    std::to_string(at.size()) + " ticks; expected one label per tick or none");
  return {std::move(at), std::move(labels)};
}

Axes& Axes::set_x_ticks(std::vector<double> at, std::vector<std::string> labels) {
  x_ticks_ = explicit_ticks(std::move(at), std::move(labels), "x");
  return *this;
}

Axes& Axes::set_y_ticks(std::vector<double> at, std::vector<std::string> labels) {
  y_ticks_ = explicit_ticks(std::move(at), std::move(labels), "y");
  return *this;
}

static void check_xy(const std::vector<double>& x, const std::vector<double>& y, const std::string& what,
                     const std::string& label) {
  const std::string name = what + (label.empty() ? "" : " '" + label + "'");
  if (x.empty() || y.empty()) throw PlotError(name + ": empty data; expected at least one point");
  if (x.size() != y.size())
    throw PlotError(name + ": " + std::to_string(x.size()) + " x values but " + std::to_string(y.size()) +
                    " y values; expected the same number");
}

Series& Axes::line(std::vector<double> x, std::vector<double> y, std::string label) {
  check_xy(x, y, "line", label);
  Series& s = series_.emplace_back();
  s.label = std::move(label);
  s.x = std::move(x);
  s.y = std::move(y);
  s.color = palette(next_color_++);
  return s;
}

Series& Axes::scatter(std::vector<double> x, std::vector<double> y, std::string label,
                      std::vector<std::string> point_labels) {
  check_xy(x, y, "scatter", label);
  if (!point_labels.empty() && point_labels.size() != x.size())
    throw PlotError("scatter" + (label.empty() ? "" : " '" + label + "'") + ": " + std::to_string(point_labels.size()) +
                    " point labels for " + std::to_string(x.size()) + " points; expected one per point or none");
  Series& s = series_.emplace_back();
  s.label = std::move(label);
  s.x = std::move(x);
  s.y = std::move(y);
  s.color = palette(next_color_++);
  s.line_width = 0;
  s.marker_radius = 5;
  s.point_labels = std::move(point_labels);
  return s;
}

RefLine& Axes::hline(double y, std::string label) {
  if (!std::isfinite(y)) throw PlotError("hline '" + label + "': expected a finite y, got " + std::to_string(y));
  return refs_.emplace_back(RefLine{true, y, std::move(label), kAxis});
}

RefLine& Axes::vline(double x, std::string label) {
  if (!std::isfinite(x)) throw PlotError("vline '" + label + "': expected a finite x, got " + std::to_string(x));
  return refs_.emplace_back(RefLine{false, x, std::move(label), kAxis});
}

HeatMap& Axes::heatmap(HeatMap map) {
  if (map.rows <= 0 || map.cols <= 0)
    throw PlotError("heatmap: expected rows and cols > 0, got " + std::to_string(map.rows) + " x " +
                    std::to_string(map.cols));
  if (map.values.size() != static_cast<size_t>(map.rows) * map.cols)
    throw PlotError("heatmap: " + std::to_string(map.values.size()) +
                    " values; expected rows*cols = " + std::to_string(map.rows) + "*" + std::to_string(map.cols));
  if (!map.cell_text.empty() && map.cell_text.size() != map.values.size())
    throw PlotError("heatmap: " + std::to_string(map.cell_text.size()) + " cell texts; expected none or " +
                    std::to_string(map.values.size()));
  if (std::isnan(map.x0)) map.x0 = 0;
  if (std::isnan(map.x1)) map.x1 = map.cols;
  if (std::isnan(map.y0)) map.y0 = 0;
  if (std::isnan(map.y1)) map.y1 = map.rows;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : map.values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (std::isnan(map.v_min)) map.v_min = std::isfinite(lo) ? lo : 0.0;
  if (std::isnan(map.v_max)) map.v_max = std::isfinite(hi) ? hi : 1.0;
  if (!(map.v_max > map.v_min)) map.v_max = map.v_min + 1.0;  // a constant matrix still gets a bar
  heatmap_ = std::move(map);
  return *heatmap_;
}

namespace {

// Widens [lo, hi] by `fraction` of its span on each side (in log space for a log axis), and makes a
// zero span usable.
void pad_range(double& lo, double& hi, double fraction, bool log) {
  if (log) {
    double a = std::log10(lo), b = std::log10(hi);
    if (b - a < 1e-12) a -= 0.5, b += 0.5;
    const double d = (b - a) * fraction;
    lo = std::pow(10.0, a - d);
    hi = std::pow(10.0, b + d);
    return;
  }
  if (hi - lo <= 1e-12 * std::max(1.0, std::fabs(lo))) {
    const double d = std::max(std::fabs(lo) * 0.1, 0.5);
    lo -= d, hi += d;
    return;
  }
  const double d = (hi - lo) * fraction;
  lo -= d, hi += d;
}

}  // namespace

void Axes::resolve_limits() const {
  double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
  auto add_x = [&](double x) {
    if (std::isfinite(x)) xl = std::min(xl, x), xh = std::max(xh, x);
  };
  auto add_y = [&](double y) {
    if (std::isfinite(y) && (!log_y_ || y > 0)) yl = std::min(yl, y), yh = std::max(yh, y);
  };
  for (const Series& s : series_)
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]) && (!log_y_ || s.y[i] > 0)) add_x(s.x[i]), add_y(s.y[i]);
  for (const RefLine& r : refs_) r.horizontal ? add_y(r.value) : add_x(r.value);
  const double pad = heatmap_ ? 0.0 : 0.04;  // a heat map fills its axes exactly
  if (heatmap_) add_x(heatmap_->x0), add_x(heatmap_->x1), add_y(heatmap_->y0), add_y(heatmap_->y1);
  if (!std::isfinite(xl)) xl = 0, xh = 1;
  if (!std::isfinite(yl)) yl = log_y_ ? 0.1 : 0.0, yh = log_y_ ? 10.0 : 1.0;
  pad_range(xl, xh, pad, false);
  pad_range(yl, yh, pad, log_y_);
  Transform& t = transform_;
  t.x_lo = std::isfinite(x_min_) ? x_min_ : xl;
  t.x_hi = std::isfinite(x_max_) ? x_max_ : xh;
  t.y_lo = std::isfinite(y_min_) ? y_min_ : yl;
  t.y_hi = std::isfinite(y_max_) ? y_max_ : yh;
  t.log_y = log_y_;
  if (!(t.x_lo < t.x_hi))
    throw PlotError("axes '" + title_ + "': x limits [" + std::to_string(t.x_lo) + ", " + std::to_string(t.x_hi) +
                    "]; expected lo < hi");
  if (!(t.y_lo < t.y_hi) || (log_y_ && !(t.y_lo > 0)))
    throw PlotError("axes '" + title_ + "': y limits [" + std::to_string(t.y_lo) + ", " + std::to_string(t.y_hi) +
                    "]; expected lo < hi" + (log_y_ ? " and lo > 0 on a log axis" : ""));
}

Axes::Ticks Axes::make_ticks(bool x_axis, int length_px) const {
  const Transform& t = transform_;
  const double lo = x_axis ? t.x_lo : t.y_lo, hi = x_axis ? t.x_hi : t.y_hi;
  const std::optional<Ticks>& fixed = x_axis ? x_ticks_ : y_ticks_;
  Ticks ticks;
  if (fixed) {
    const double eps = (hi - lo) * 1e-9;
    for (size_t i = 0; i < fixed->at.size(); ++i) {
      if (fixed->at[i] < lo - eps || fixed->at[i] > hi + eps) continue;
      ticks.at.push_back(fixed->at[i]);
      ticks.labels.push_back(fixed->labels.empty() ? format_number(fixed->at[i]) : fixed->labels[i]);
    }
    return ticks;
  }
  if (!x_axis && log_y_) {
    ticks.at = log_ticks(lo, hi);
    ticks.labels = format_ticks(ticks.at, 0);
    return ticks;
  }
  // About one tick per 110 px across and 70 px up: enough to read values, few enough to stay calm;
  // but at least three, or a short axis may show a single value.
  const bool integer = x_axis ? x_integer_ : false;
  int target = std::clamp(length_px / (x_axis ? 110 : 70), 3, 10);
  while (target < 12 && nice_ticks(lo, hi, target).size() < 3) ++target;
  const double step = integer ? std::max(1.0, nice_step(lo, hi, target)) : nice_step(lo, hi, target);
  ticks.at = ticks_at(lo, hi, step);
  ticks.labels = format_ticks(ticks.at, step);
  return ticks;
}

void Axes::draw(cv::Mat& image, cv::Rect cell, double s) const {
  resolve_limits();  // into transform_, derived state like the layout
  const Fonts fonts;
  const TextStyle tick_style = style(fonts.tick, s), label_style = style(fonts.label, s);
  const TextStyle title_style = style(fonts.title, s);
  Layout L;
  L.pad = scaled(10, s);
  L.tick_len = scaled(5, s);
  const int pad = L.pad, tick_len = L.tick_len;
  const int tick_h = text_size("0.9", tick_style).height, label_h = text_size("Xg", label_style).height;

  const int top = pad + (title_.empty() ? tick_h / 2 : text_size(title_, title_style).height + pad);
  int bottom = pad + (x_label_.empty() ? 0 : label_h + pad * 2 / 3) + tick_len + pad / 2;
  // y ticks first, from the height the area will roughly have (horizontal x labels assumed).
  L.y_ticks = make_ticks(false, cell.height - top - bottom - tick_h);
  int y_tick_w = 0;
  for (std::string& label : L.y_ticks.labels) {
    label = fit_text(label, cell.width * 35 / 100, tick_style);
    y_tick_w = std::max(y_tick_w, text_size(label, tick_style).width);
  }
  const int left = pad + (y_label_.empty() ? 0 : label_h + pad * 2 / 3) + y_tick_w + tick_len + pad / 2;
  int right = pad * 2;
  if (heatmap_ && heatmap_->colorbar) {
    int widest = 0;  // of the colour bar's labels at any tick density the bar may get
    for (int target = 2; target <= 8; ++target) {
      const double step = nice_step(heatmap_->v_min, heatmap_->v_max, target);
      for (const std::string& label : format_ticks(ticks_at(heatmap_->v_min, heatmap_->v_max, step), step))
        widest = std::max(widest, text_size(label, tick_style).width);
    }
    right = scaled(14, s) + scaled(18, s) + tick_len + pad / 2 + widest + pad +
            (heatmap_->colorbar_label.empty() ? 0 : label_h + pad / 2);
  }
  const int area_w = cell.width - left - right;
  L.x_ticks = make_ticks(true, area_w);
  // Vertical x labels when horizontal ones would touch their neighbours.
  int x_tick_w = 0;
  for (const std::string& label : L.x_ticks.labels) x_tick_w = std::max(x_tick_w, text_size(label, tick_style).width);
  double min_gap = area_w;
  for (size_t i = 1; i < L.x_ticks.at.size(); ++i)
    min_gap = std::min(min_gap,
                       std::fabs(L.x_ticks.at[i] - L.x_ticks.at[i - 1]) / (transform_.x_hi - transform_.x_lo) * area_w);
  L.x_labels_vertical = x_tick_w + pad > min_gap;
  if (L.x_labels_vertical) {
    L.x_label_extent = 0;
    for (std::string& label : L.x_ticks.labels) {
      label = fit_text(label, cell.height * 30 / 100, tick_style);
      L.x_label_extent = std::max(L.x_label_extent, text_size(label, tick_style).width);
    }
  } else {
    L.x_label_extent = tick_h;
  }
  bottom += L.x_label_extent;
  L.area = cv::Rect(cell.x + left, cell.y + top, area_w, cell.height - top - bottom);
  if (L.area.width < 20 || L.area.height < 20)
    throw PlotError("axes '" + title_ + "': panel of " + std::to_string(cell.width) + " x " +
                    std::to_string(cell.height) + " px leaves no room to plot; expected a bigger figure");
  transform_.area = L.area;
  if (heatmap_ && heatmap_->colorbar)
    L.colorbar = cv::Rect(L.area.x + L.area.width + scaled(14, s), L.area.y, scaled(18, s), L.area.height);

  const cv::Rect& a = L.area;
  if (!heatmap_) {  // light grid behind the data; a heat map has its own cells
    for (double v : L.x_ticks.at) {
      const int x = static_cast<int>(std::lround(transform_.px(v)));
      cv::line(image, {x, a.y}, {x, a.y + a.height - 1}, kGrid.bgr(), 1);
    }
    for (double v : L.y_ticks.at) {
      const int y = static_cast<int>(std::lround(transform_.py(v)));
      cv::line(image, {a.x, y}, {a.x + a.width - 1, y}, kGrid.bgr(), 1);
    }
  }
  if (heatmap_) draw_heatmap(image, s);
  std::vector<cv::Rect> taken;  // text already placed inside the area, for the legend to avoid
  cv::Mat occupied;
  draw_series(image, s, taken, occupied);
  cv::rectangle(image, {a.x - 1, a.y - 1}, {a.x + a.width, a.y + a.height}, kAxis.bgr(), 1);

  for (size_t i = 0; i < L.x_ticks.at.size(); ++i) {
    const int x = static_cast<int>(std::lround(transform_.px(L.x_ticks.at[i])));
    const int y = a.y + a.height;
    cv::line(image, {x, y}, {x, y + tick_len}, kAxis.bgr(), 1);
    if (L.x_labels_vertical)
      draw_text_vertical(image, L.x_ticks.labels[i], {x, y + tick_len + pad / 2}, tick_style, Align::kCenter,
                         Align::kStart);
    else
      draw_text(image, L.x_ticks.labels[i], {x, y + tick_len + pad / 2}, tick_style, Align::kCenter);
  }
  for (size_t i = 0; i < L.y_ticks.at.size(); ++i) {
    const int y = static_cast<int>(std::lround(transform_.py(L.y_ticks.at[i])));
    cv::line(image, {a.x - 1 - tick_len, y}, {a.x - 1, y}, kAxis.bgr(), 1);
    draw_text(image, L.y_ticks.labels[i], {a.x - 1 - tick_len - pad / 2, y}, tick_style, Align::kEnd, Align::kCenter);
  }
  if (!x_label_.empty())
    draw_text(image, fit_text(x_label_, a.width, label_style),
              {a.x + a.width / 2, a.y + a.height + tick_len + pad / 2 + L.x_label_extent + pad * 2 / 3}, label_style,
              Align::kCenter);
  if (!y_label_.empty())
    draw_text_vertical(image, fit_text(y_label_, a.height, label_style), {cell.x + pad, a.y + a.height / 2},
                       label_style, Align::kStart, Align::kCenter);
  if (!title_.empty()) {  // centred over the plot area, or over the panel if that is too narrow
    const std::string title = fit_text(title_, cell.width - 2 * pad, title_style);
    const bool fits = text_size(title, title_style).width <= a.width;
    draw_text(image, title, {fits ? a.x + a.width / 2 : cell.x + cell.width / 2, cell.y + pad}, title_style,
              Align::kCenter);
  }
  draw_legend(image, s, taken, occupied);
  if (heatmap_ && heatmap_->colorbar) draw_colorbar(image, L, s);
}

}  // namespace liquid::plot
