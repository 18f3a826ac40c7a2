// Figure: the image, its grid of panels, an optional overall title, and writing the PNG.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <system_error>

#include "plot/axes_layout.h"

namespace liquid::plot {

Figure::Figure(int width, int height, int rows, int cols) : width_(width), height_(height), rows_(rows), cols_(cols) {
  if (width < 100 || height < 100 || width > 20000 || height > 20000)
    throw PlotError("figure: " + std::to_string(width) + " x " + std::to_string(height) +
                    " px; expected 100 to 20000 px each way");
  if (rows < 1 || cols < 1 || rows > 16 || cols > 16)
    throw PlotError("figure: " + std::to_string(rows) + " x " + std::to_string(cols) +
                    " panels; expected 1 to 16 each way");
  // Text and lines keep their proportion to the image (the geometric mean, so a wide strip does
  // not get giant text), within limits that stay readable.
  scale_ = std::clamp(std::sqrt(double(width) * height / (1200.0 * 800.0)), 0.6, 3.0);
  axes_.resize(static_cast<size_t>(rows) * cols);
}

Axes& Figure::axes(int row, int col) {
  if (row < 0 || row >= rows_ || col < 0 || col >= cols_)
    throw PlotError("figure: no panel (" + std::to_string(row) + ", " + std::to_string(col) + "); it has " +
                    std::to_string(rows_) + " x " + std::to_string(cols_));
  return axes_[static_cast<size_t>(row) * cols_ + col];
}

Figure& Figure::set_title(std::string title) {
  title_ = std::move(title);
  return *this;
}

const cv::Mat& Figure::render() {
  image_.create(height_, width_, CV_8UC3);
  image_.setTo(kBackground.bgr());
  const Fonts fonts;
  const int pad = detail::scaled(10, scale_);
  int top = 0;
  if (!title_.empty()) {
    const TextStyle st = detail::style(fonts.title * 1.1, scale_);
    const cv::Rect box =
        draw_text(image_, fit_text(title_, width_ - 2 * pad, st), {width_ / 2, pad}, st, Align::kCenter);
    top = box.y + box.height;
  }
  // Panels share the rest equally; the last row and column take the rounding remainder.
  const int cell_w = width_ / cols_, cell_h = (height_ - top) / rows_;
  for (int r = 0; r < rows_; ++r) {
    for (int c = 0; c < cols_; ++c) {
      const cv::Rect cell(c * cell_w, top + r * cell_h, c == cols_ - 1 ? width_ - c * cell_w : cell_w,
                          r == rows_ - 1 ? height_ - top - r * cell_h : cell_h);
      axes_[static_cast<size_t>(r) * cols_ + c].draw(image_, cell, scale_);
    }
  }
  return image_;
}

void Figure::save_png(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (ext != ".png") throw PlotError(path.string() + ": expected a file name ending in .png");
  render();
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw PlotError(path.string() + ": cannot create its directory: " + ec.message());
  bool ok = false;
  try {
    ok = cv::imwrite(path.string(), image_);
  } catch (const cv::Exception& e) {  // e.g. an extension OpenCV has no encoder for
    throw PlotError(path.string() + ": cannot write the PNG: " + e.what());
  }
  if (!ok) throw PlotError(path.string() + ": cannot write the PNG (is the directory writable?)");
}

}  // namespace liquid::plot
