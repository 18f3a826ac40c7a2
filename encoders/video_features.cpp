// VideoFeatures: grey grid, motion energy and optical flow from video frames (see the header for
// what each feature means and in which units).
#include "encoders/video_features.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <cstdio>
#include <utility>
#include <variant>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace liquid::encoders {

namespace {

std::string frame_where(const sensors::TimedSample& s) {
  char buf[96];
  const auto* f = std::get_if<sensors::VideoFrame>(&s.payload);
  std::snprintf(buf, sizeof buf, "video encoder: stream %d frame %lld at t=%.6g s", s.stream,
                static_cast<long long>(f ? f->index : -1), s.time);
  return buf;
}

std::string size_text(cv::Size s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// Copies a grid-sized single-channel float Mat to out, row-major, times `scale`.
float* put_grid(const cv::Mat& grid, int channel, float scale, float* out) {
  const int cn = grid.channels();
  for (int r = 0; r < grid.rows; ++r) {
    const float* row = grid.ptr<float>(r);
    for (int c = 0; c < grid.cols; ++c) *out++ = row[c * cn + channel] * scale;
  }
  return out;
}

}  // namespace

std::vector<VideoFeatures::AreaPool::Span> VideoFeatures::AreaPool::spans(int n, int cells) {
  // Cell c covers [c n / cells, (c + 1) n / cells) of the source axis; pixel x covers [x, x + 1).
  std::vector<Span> out(cells);
  for (int c = 0; c < cells; ++c) {
    const double a = static_cast<double>(c) * n / cells, b = static_cast<double>(c + 1) * n / cells;
    Span& s = out[c];
    s.first = static_cast<int>(std::floor(a));
    s.last = std::min(n - 1, static_cast<int>(std::ceil(b)) - 1);
    if (s.first == s.last) {
      s.w_first = s.w_last = b - a;
    } else {
      s.w_first = (s.first + 1) - a;
      s.w_last = b - s.last;
    }
  }
  return out;
}

void VideoFeatures::AreaPool::prepare(cv::Size from, cv::Size to, int channels) {
  to_ = to;
  channels_ = channels;
  xs_ = spans(from.width, to.width);
  ys_ = spans(from.height, to.height);
  cell_area_ = (static_cast<double>(from.width) / to.width) * (static_cast<double>(from.height) / to.height);
  row_sums_.assign(static_cast<size_t>(to.width) * channels, 0.0);
  acc_.assign(static_cast<size_t>(to.width) * channels, 0.0);
}

template <class T>
void VideoFeatures::AreaPool::run_typed(const cv::Mat& src, cv::Mat& dst, double scale) {
  // 8-bit interiors are summed as integers (exact, and the loop vectorises), floats as doubles.
  using Sum = std::conditional_t<std::is_same_v<T, uchar>, int64_t, double>;
  const int cn = channels_;
  for (int cy = 0; cy < to_.height; ++cy) {
    const Span& sy = ys_[cy];
    std::fill(acc_.begin(), acc_.end(), 0.0);
    for (int y = sy.first; y <= sy.last; ++y) {
      const double wy = y == sy.first ? sy.w_first : (y == sy.last ? sy.w_last : 1.0);
      const T* row = src.ptr<T>(y);
      for (int cx = 0; cx < to_.width; ++cx) {
        const Span& sx = xs_[cx];
        for (int ch = 0; ch < cn; ++ch) {
          double sum = sx.w_first * row[sx.first * cn + ch];
          if (sx.last != sx.first) {
            Sum inner = 0;
            for (int x = sx.first + 1; x < sx.last; ++x) inner += row[x * cn + ch];
            sum += static_cast<double>(inner) + sx.w_last * row[sx.last * cn + ch];
          }
          acc_[cx * cn + ch] += wy * sum;
        }
      }
    }
    float* out = dst.ptr<float>(cy);
    for (int i = 0; i < to_.width * cn; ++i) out[i] = static_cast<float>(acc_[i] * scale / cell_area_);
  }
}

void VideoFeatures::AreaPool::run(const cv::Mat& src, cv::Mat& dst, double scale) {
  dst.create(to_, CV_32FC(channels_));  // a no-op once dst has this size
  if (src.depth() == CV_8U)
    run_typed<uchar>(src, dst, scale);
  else
    run_typed<float>(src, dst, scale);
}

VideoFeatures::VideoFeatures(const VideoFeaturesOptions& options) : opt_(options) {
  const auto& o = opt_;
  if (o.grid_cols < 1 || o.grid_rows < 1)
    throw VideoFeaturesError("video encoder: grid must be at least 1x1, got grid_cols=" + std::to_string(o.grid_cols) +
                             " grid_rows=" + std::to_string(o.grid_rows));
  if (o.working_width < 0 || (o.working_width > 0 && o.working_width < o.grid_cols))
    throw VideoFeaturesError("video encoder: working_width must be 0 (no downscale) or at least grid_cols (" +
                             std::to_string(o.grid_cols) + "), got " + std::to_string(o.working_width));
  if (!o.grey && !o.motion && !o.motion_mean && !o.flow)
    throw VideoFeaturesError("video encoder: no feature enabled; expected one or more of grey, motion, motion_mean, flow");
  if (o.flow && (!(o.flow_pyr_scale > 0.0 && o.flow_pyr_scale < 1.0) || o.flow_levels < 0 || o.flow_winsize < 3 ||
                 o.flow_iterations < 1 || (o.flow_poly_n != 5 && o.flow_poly_n != 7) || !(o.flow_poly_sigma > 0.0)))
    throw VideoFeaturesError(
        "video encoder: bad Farneback parameters; expected 0 < flow_pyr_scale < 1, flow_levels >= 0, flow_winsize >= 3, "
        "flow_iterations >= 1, flow_poly_n 5 or 7, flow_poly_sigma > 0");
  const int cells = o.grid_cols * o.grid_rows;
  width_ = cells * ((o.grey ? 1 : 0) + (o.motion ? 1 : 0) + (o.flow ? 2 : 0)) + (o.motion_mean ? 1 : 0);
}

std::vector<std::string> VideoFeatures::names() const {
  std::vector<std::string> n;
  n.reserve(width_);
  auto grid = [&](const std::string& prefix) {
    for (int r = 0; r < opt_.grid_rows; ++r)
      for (int c = 0; c < opt_.grid_cols; ++c) n.push_back(prefix + "_r" + std::to_string(r) + "c" + std::to_string(c));
  };
  if (opt_.grey) grid("grey");
  if (opt_.motion) grid("motion");
  if (opt_.motion_mean) n.push_back("motion_mean");
  if (opt_.flow) {
    grid("flow_dx");
    grid("flow_dy");
  }
  return n;
}

void VideoFeatures::reset() {
  have_size_ = false;
  have_prev_ = false;
}

void VideoFeatures::prepare(const cv::Mat& image, const std::string& where) {
  input_size_ = image.size();
  input_type_ = image.type();
  work_size_ = input_size_;
  if (opt_.working_width > 0 && opt_.working_width < input_size_.width) {
    const double h = static_cast<double>(input_size_.height) * opt_.working_width / input_size_.width;
    work_size_ = cv::Size(opt_.working_width, std::max(1, static_cast<int>(std::lround(h))));
  }
  if (work_size_.width < opt_.grid_cols || work_size_.height < opt_.grid_rows)
    throw VideoFeaturesError(where + ": a " + size_text(input_size_) + " frame at working width " +
                             std::to_string(opt_.working_width) + " gives " + size_text(work_size_) +
                             ", smaller than the " + std::to_string(opt_.grid_cols) + "x" +
                             std::to_string(opt_.grid_rows) + " grid");
  const cv::Size grid(opt_.grid_cols, opt_.grid_rows);
  if (work_size_ != input_size_) to_work_.prepare(input_size_, work_size_, 1);
  grid_pool_.prepare(work_size_, grid, 1);
  if (opt_.flow) flow_pool_.prepare(work_size_, grid, 2);
  have_size_ = true;
}

void VideoFeatures::to_working(const cv::Mat& image) {
  const int cn = image.channels();
  // Grey first, then one single-channel area average: a third of the work of averaging BGR.
  const cv::Mat* grey = &image;
  if (cn != 1) {
    cv::cvtColor(image, grey_full_, cn == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
    grey = &grey_full_;
  }
  if (work_size_ != input_size_) {
    to_work_.run(*grey, work_f_, 1.0 / 255.0);
    if (opt_.flow) work_f_.convertTo(work_, CV_8U, 255.0);  // Farneback works on 8-bit images
  } else {
    grey->convertTo(work_f_, CV_32F, 1.0 / 255.0);
    if (opt_.flow) grey->copyTo(work_);
  }
}

void VideoFeatures::encode(const sensors::TimedSample& sample, std::vector<FeatureFrame>& out) {
  const auto* frame = std::get_if<sensors::VideoFrame>(&sample.payload);
  if (frame == nullptr) throw VideoFeaturesError(frame_where(sample) + ": expected a VideoFrame payload");
  const cv::Mat& image = frame->image;
  if (image.empty()) throw VideoFeaturesError(frame_where(sample) + ": the image is empty");
  if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3 && image.channels() != 4))
    throw VideoFeaturesError(frame_where(sample) + ": expected an 8-bit BGR, BGRA or grey image, got OpenCV type " +
                             std::to_string(image.type()) + " with " + std::to_string(image.channels()) + " channels");
  if (!std::isfinite(sample.time)) throw VideoFeaturesError(frame_where(sample) + ": the time is not a finite number");
  if (!have_size_) {
    prepare(image, frame_where(sample));
  } else if (image.size() != input_size_ || image.type() != input_type_) {
    throw VideoFeaturesError(frame_where(sample) + ": frame is " + size_text(image.size()) + " type " +
                             std::to_string(image.type()) + " but the stream started with " + size_text(input_size_) +
                             " type " + std::to_string(input_type_) + "; reset() the encoder for a new stream");
  }
  double dt = 0.0;
  if (have_prev_) {
    if (sample.stream != stream_)
      throw VideoFeaturesError(frame_where(sample) + ": this encoder is encoding stream " + std::to_string(stream_) +
                               "; use one encoder per stream");
    dt = sample.time - prev_time_;
    if (dt < 0.0 || (opt_.flow && dt == 0.0))
      throw VideoFeaturesError(frame_where(sample) + ": expected a time after the previous frame's " +
                               std::to_string(prev_time_) + " s" + (opt_.flow ? " (flow is per second)" : ""));
  }

  to_working(image);

  out.emplace_back();
  FeatureFrame& f = out.back();
  f.time = sample.time;
  f.stream = sample.stream;
  f.values.assign(width_, 0.0f);  // the first frame's motion and flow stay 0
  float* v = f.values.data();
  const int cells = opt_.grid_cols * opt_.grid_rows;

  if (opt_.grey) {
    grid_pool_.run(work_f_, grid_, 1.0);
    v = put_grid(grid_, 0, 1.0f, v);
  }
  if (opt_.motion || opt_.motion_mean) {
    if (have_prev_) {
      cv::absdiff(work_f_, prev_work_f_, diff_);
      if (opt_.motion) {
        grid_pool_.run(diff_, grid_, 1.0);
        v = put_grid(grid_, 0, 1.0f, v);
      }
      if (opt_.motion_mean) *v++ = static_cast<float>(cv::mean(diff_)[0]);
    } else {
      v += (opt_.motion ? cells : 0) + (opt_.motion_mean ? 1 : 0);
    }
  }
  if (opt_.flow && have_prev_) {
    cv::calcOpticalFlowFarneback(prev_work_, work_, flow_, opt_.flow_pyr_scale, opt_.flow_levels, opt_.flow_winsize,
                                 opt_.flow_iterations, opt_.flow_poly_n, opt_.flow_poly_sigma, 0);
    flow_pool_.run(flow_, flow_grid_, 1.0);
    const float per_second = static_cast<float>(1.0 / dt);
    v = put_grid(flow_grid_, 0, per_second, v);
    v = put_grid(flow_grid_, 1, per_second, v);
  }

  // Keep this frame as the previous one by swapping headers: no copy, and the old buffers are
  // reused for the next frame.
  std::swap(work_, prev_work_);
  std::swap(work_f_, prev_work_f_);
  have_prev_ = true;
  prev_time_ = sample.time;
  stream_ = sample.stream;
}

}  // namespace liquid::encoders
