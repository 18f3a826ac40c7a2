#include "plot/text.h"

#include <opencv2/imgproc.hpp>

namespace liquid::plot {

namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

int aligned(int anchor, int extent, Align a) {
  if (a == Align::kCenter) return anchor - extent / 2;
  if (a == Align::kEnd) return anchor - extent;
  return anchor;
}

}  // namespace

cv::Size text_size(const std::string& text, const TextStyle& style) {
  int baseline = 0;
  const cv::Size s = cv::getTextSize(text, kFont, style.scale, style.thickness, &baseline);
  return {s.width, s.height + baseline};
}

cv::Rect draw_text(cv::Mat& image, const std::string& text, cv::Point anchor, const TextStyle& style, Align h,
                   Align v) {
  int baseline = 0;
  const cv::Size s = cv::getTextSize(text, kFont, style.scale, style.thickness, &baseline);
  const cv::Rect box(aligned(anchor.x, s.width, h), aligned(anchor.y, s.height + baseline, v), s.width,
                     s.height + baseline);
  cv::putText(image, text, {box.x, box.y + s.height}, kFont, style.scale, style.color.bgr(), style.thickness,
              cv::LINE_AA);
  return box;
}

cv::Rect draw_text_vertical(cv::Mat& image, const std::string& text, cv::Point anchor, const TextStyle& style, Align h,
                            Align v) {
  int baseline = 0;
  const cv::Size s = cv::getTextSize(text, kFont, style.scale, style.thickness, &baseline);
  // Draw white-on-black coverage, rotate it, then blend the colour through it: anti-aliased edges
  // survive and whatever is underneath (grid lines) shows between the strokes.
  cv::Mat mask(s.height + baseline, s.width, CV_8UC1, cv::Scalar(0));
  cv::putText(mask, text, {0, s.height}, kFont, style.scale, cv::Scalar(255), style.thickness, cv::LINE_AA);
  cv::rotate(mask, mask, cv::ROTATE_90_COUNTERCLOCKWISE);
  const cv::Rect box(aligned(anchor.x, mask.cols, h), aligned(anchor.y, mask.rows, v), mask.cols, mask.rows);
  const cv::Rect visible = box & cv::Rect(0, 0, image.cols, image.rows);
  const cv::Vec3b color(style.color.b, style.color.g, style.color.r);
  for (int y = visible.y; y < visible.y + visible.height; ++y) {
    for (int x = visible.x; x < visible.x + visible.width; ++x) {
      const int a = mask.at<uchar>(y - box.y, x - box.x);
      if (a == 0) continue;
      cv::Vec3b& p = image.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) p[c] = static_cast<uchar>((p[c] * (255 - a) + color[c] * a + 127) / 255);
    }
  }
  return box;
}

std::string fit_text(const std::string& text, int max_width, const TextStyle& style) {
  if (text_size(text, style).width <= max_width) return text;
  std::string cut = text;
  while (!cut.empty() && text_size(cut + "..", style).width > max_width) cut.pop_back();
  return cut + "..";
}

}  // namespace liquid::plot
