// Drawing what Axes hold on top of the grid: reference lines, lines (NaN breaks them), markers with
// their text labels, and the legend, which goes where it covers the fewest data points.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "plot/axes_layout.h"

namespace liquid::plot {

using detail::scaled;
using detail::style;

namespace {

// cv drawing takes fixed-point coordinates with this many fractional bits: sub-pixel positions
// keep anti-aliased lines straight instead of stair-stepped.
constexpr int kShift = 4;

cv::Point fixed(cv::Point2d p) {
  return {static_cast<int>(std::lround(p.x * (1 << kShift))), static_cast<int>(std::lround(p.y * (1 << kShift)))};
}

bool finite(cv::Point2d p) { return std::isfinite(p.x) && std::isfinite(p.y); }

// Draws a polyline (points relative to `roi`; a non-finite point breaks it), solid or dashed.
void draw_path(cv::Mat& roi, const std::vector<cv::Point2d>& points, Color color, int width, bool dashed, double s) {
  const cv::Rect2d box(-8, -8, roi.cols + 16, roi.rows + 16);  // clip, but keep line caps beyond the edge
  const double dash = 9 * s, gap = 6 * s;
  double phase = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    cv::Point2d a = points[i - 1], b = points[i];
    if (!finite(a) || !finite(b)) {
      phase = 0;
      continue;
    }
    const double full = cv::norm(b - a);
    if (!detail::clip_segment(a, b, box)) {
      phase = std::fmod(phase + full, dash + gap);
      continue;
    }
    if (!dashed) {
      cv::line(roi, fixed(a), fixed(b), color.bgr(), width, cv::LINE_AA, kShift);
      continue;
    }
    const double length = cv::norm(b - a);
    const cv::Point2d dir = length > 0 ? (b - a) / length : cv::Point2d(0, 0);
    for (double t = 0; t < length;) {
      const bool on = phase < dash;
      const double step = std::min(length - t, on ? dash - phase : dash + gap - phase);
      if (on) cv::line(roi, fixed(a + dir * t), fixed(a + dir * (t + step)), color.bgr(), width, cv::LINE_AA, kShift);
      t += step;
      phase += step;
      if (phase >= dash + gap - 1e-9) phase = 0;
    }
  }
}

void draw_marker(cv::Mat& roi, cv::Point2d p, Color color, int radius) {
  cv::circle(roi, fixed(p), radius << kShift, color.bgr(), cv::FILLED, cv::LINE_AA, kShift);
  // A white rim keeps overlapping markers apart; on tiny markers it would leave no colour.
  if (radius >= 4) cv::circle(roi, fixed(p), radius << kShift, cv::Scalar(255, 255, 255), 1, cv::LINE_AA, kShift);
}

cv::Rect text_box(const std::string& text, cv::Point anchor, const TextStyle& st, Align h, Align v) {
  const cv::Size size = text_size(text, st);
  const int x = h == Align::kStart ? anchor.x : h == Align::kCenter ? anchor.x - size.width / 2 : anchor.x - size.width;
  const int y = v == Align::kStart    ? anchor.y
                : v == Align::kCenter ? anchor.y - size.height / 2
                                      : anchor.y - size.height;
  return {x, y, size.width, size.height};
}

int overlaps(const cv::Rect& r, const std::vector<cv::Rect>& others) {
  int n = 0;
  for (const cv::Rect& o : others) n += (r & o).area() > 0;
  return n;
}

}  // namespace

bool detail::clip_segment(cv::Point2d& a, cv::Point2d& b, const cv::Rect2d& box) {
  const cv::Point2d d = b - a;
  const double p[4] = {-d.x, d.x, -d.y, d.y};
  const double q[4] = {a.x - box.x, box.x + box.width - a.x, a.y - box.y, box.y + box.height - a.y};
  double t0 = 0, t1 = 1;
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const double r = q[i] / p[i];
    if (p[i] < 0)
      t0 = std::max(t0, r);
    else
      t1 = std::min(t1, r);
    if (t0 > t1) return false;
  }
  const cv::Point2d start = a;
  a = start + d * t0;
  b = start + d * t1;
  return true;
}

// How much placing text at `box` would hide: data pixels under it, far more for other text, and
// most for leaving the plot area.
static long long placement_cost(const cv::Rect& box, const cv::Rect& area, const std::vector<cv::Rect>& taken,
                                const cv::Mat& occupied) {
  const cv::Rect inside = box & area;
  long long cost = inside.empty() ? 0 : cv::countNonZero(occupied(inside));
  cost += 100000LL * overlaps(box, taken);
  if (inside != box) cost += 10000000LL;
  return cost;
}

void Axes::draw_series(cv::Mat& image, double s, std::vector<cv::Rect>& taken, cv::Mat& occupied) const {
  const cv::Rect& area = transform_.area;
  occupied = cv::Mat::zeros(image.size(), CV_8UC1);
  cv::Mat roi = image(area), occupied_roi = occupied(area);
  const Color on{255, 255, 255};
  const cv::Point2d origin(area.x, area.y);
  const Fonts fonts;
  const int gap = scaled(4, s);

  for (const RefLine& r : refs_) {
    const double v = r.horizontal ? transform_.py(r.value) - area.y : transform_.px(r.value) - area.x;
    const std::vector<cv::Point2d> path = r.horizontal ? std::vector<cv::Point2d>{{-1, v}, {area.width + 1.0, v}}
                                                       : std::vector<cv::Point2d>{{v, -1}, {v, area.height + 1.0}};
    draw_path(roi, path, r.color, 1, true, s);
    draw_path(occupied_roi, path, on, 1, false, s);
  }
  for (const Series& ser : series_) {
    std::vector<cv::Point2d> points(ser.x.size());
    for (size_t i = 0; i < points.size(); ++i) points[i] = transform_.to_pixel(ser.x[i], ser.y[i]) - origin;
    if (ser.line_width > 0) {
      draw_path(roi, points, ser.color, scaled(ser.line_width, s), ser.dashed, s);
      draw_path(occupied_roi, points, on, scaled(ser.line_width, s), false, s);
    }
    if (ser.marker_radius > 0) {
      for (const cv::Point2d& p : points) {
        if (!finite(p)) continue;
        draw_marker(roi, p, ser.color, scaled(ser.marker_radius, s));
        draw_marker(occupied_roi, p, on, scaled(ser.marker_radius, s));
      }
    }
  }

  // Text goes on top of the data, each at the candidate spot that hides least.
  auto place = [&](const std::string& text, const TextStyle& st, const std::vector<cv::Rect>& candidates, bool opaque) {
    size_t best = 0;
    long long best_cost = -1;
    for (size_t k = 0; k < candidates.size(); ++k) {
      const long long cost = placement_cost(candidates[k], area, taken, occupied);
      if (best_cost < 0 || cost < best_cost) best = k, best_cost = cost;
    }
    if (opaque) cv::rectangle(image, candidates[best], kBackground.bgr(), cv::FILLED);  // over grid lines
    draw_text(image, text, candidates[best].tl(), st);
    taken.push_back(candidates[best]);
  };
  for (const RefLine& r : refs_) {
    if (r.label.empty()) continue;
    const TextStyle st = style(fonts.annotation, s, r.color);
    const int v = static_cast<int>(std::lround(r.horizontal ? transform_.py(r.value) : transform_.px(r.value)));
    const int l = area.x + gap, rt = area.x + area.width - gap, t = area.y + gap, b = area.y + area.height - gap;
    std::vector<cv::Rect> candidates;
    if (r.horizontal)  // above or below the line, at the right or the left end
      candidates = {text_box(r.label, {rt, v - gap}, st, Align::kEnd, Align::kEnd),
                    text_box(r.label, {rt, v + gap}, st, Align::kEnd, Align::kStart),
                    text_box(r.label, {l, v - gap}, st, Align::kStart, Align::kEnd),
                    text_box(r.label, {l, v + gap}, st, Align::kStart, Align::kStart)};
    else  // right or left of the line, at the top or the bottom
      candidates = {text_box(r.label, {v + gap, t}, st, Align::kStart, Align::kStart),
                    text_box(r.label, {v - gap, t}, st, Align::kEnd, Align::kStart),
                    text_box(r.label, {v + gap, b}, st, Align::kStart, Align::kEnd),
                    text_box(r.label, {v - gap, b}, st, Align::kEnd, Align::kEnd)};
    place(r.label, st, candidates, true);
  }
  const TextStyle note = style(fonts.annotation, s);
  for (const Series& ser : series_) {
    const int r = scaled(ser.marker_radius, s) + scaled(3, s);
    for (size_t i = 0; i < ser.point_labels.size(); ++i) {
      const std::string& text = ser.point_labels[i];
      const cv::Point2d p = transform_.to_pixel(ser.x[i], ser.y[i]);
      if (text.empty() || !finite(p)) continue;
      const cv::Point c(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
      place(text, note,
            {text_box(text, {c.x + r, c.y - r / 2}, note, Align::kStart, Align::kEnd),
             text_box(text, {c.x + r, c.y + r / 2}, note, Align::kStart, Align::kStart),
             text_box(text, {c.x - r, c.y - r / 2}, note, Align::kEnd, Align::kEnd),
             text_box(text, {c.x - r, c.y + r / 2}, note, Align::kEnd, Align::kStart),
             text_box(text, {c.x, c.y - r}, note, Align::kCenter, Align::kEnd),
             text_box(text, {c.x, c.y + r}, note, Align::kCenter, Align::kStart),
             text_box(text, {c.x + r, c.y}, note, Align::kStart, Align::kCenter),
             text_box(text, {c.x - r, c.y}, note, Align::kEnd, Align::kCenter)},
            false);
    }
  }
}

void Axes::draw_legend(cv::Mat& image, double s, const std::vector<cv::Rect>& taken, const cv::Mat& occupied) const {
  std::vector<const Series*> entries;
  for (const Series& ser : series_)
    if (!ser.label.empty()) entries.push_back(&ser);
  if (entries.empty() || legend_ == LegendPlace::kNone) return;
  const Fonts fonts;
  const TextStyle st = style(fonts.legend, s);
  const cv::Rect& area = transform_.area;
  const int pad = scaled(8, s), sample_w = scaled(30, s);
  int text_w = 0, row_h = text_size("Xg", st).height + scaled(6, s);
  for (const Series* e : entries) {
    text_w = std::max(text_w, text_size(e->label, st).width);
    row_h = std::max(row_h, 2 * scaled(e->marker_radius, s) + scaled(4, s));
  }
  const int w = std::min(pad + sample_w + pad + text_w + pad, area.width);
  const int h = std::min(pad + static_cast<int>(entries.size()) * row_h + pad / 2, area.height);
  const int inset = scaled(8, s);
  const int l = area.x + inset, r = area.x + area.width - inset - w;
  const int t = area.y + inset, b = area.y + area.height - inset - h;
  const cv::Rect top_right(r, t, w, h), top_left(l, t, w, h), bottom_right(r, b, w, h), bottom_left(l, b, w, h);
  cv::Rect box = top_right;
  if (legend_ == LegendPlace::kTopLeft) box = top_left;
  if (legend_ == LegendPlace::kBottomRight) box = bottom_right;
  if (legend_ == LegendPlace::kBottomLeft) box = bottom_left;
  if (legend_ == LegendPlace::kAuto) {
    long long best_cost = -1;
    // The corner hiding the fewest data pixels; ties keep the earlier (top right first).
    for (const cv::Rect& c : {top_right, top_left, bottom_right, bottom_left}) {
      const long long cost = placement_cost(c, area, taken, occupied);
      if (best_cost < 0 || cost < best_cost) box = c, best_cost = cost;
    }
  }
  cv::rectangle(image, box, kBackground.bgr(), cv::FILLED);
  cv::rectangle(image, box, cv::Scalar(200, 200, 200), 1);
  cv::Mat roi = image(box & cv::Rect(0, 0, image.cols, image.rows));
  for (size_t i = 0; i < entries.size(); ++i) {
    const Series& e = *entries[i];
    const double y = pad / 2.0 + (i + 0.5) * row_h;
    if (e.line_width > 0)
      draw_path(roi, {{double(pad), y}, {double(pad + sample_w), y}}, e.color, scaled(e.line_width, s), e.dashed, s);
    if (e.marker_radius > 0) draw_marker(roi, {pad + sample_w / 2.0, y}, e.color, scaled(e.marker_radius, s));
    draw_text(image, e.label, {box.x + pad + sample_w + pad, box.y + static_cast<int>(y)}, st, Align::kStart,
              Align::kCenter);
  }
}

}  // namespace liquid::plot
