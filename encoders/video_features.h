// Video frames to small feature vectors a liquid cell can take: pooled grey levels, frame-difference
// motion energy and dense optical flow, each on a coarse grid of cells, each frame's vector stamped
// with that frame's time.
//
// Every frame is first turned grey and area-averaged down to a working width (aspect kept), so the
// cost hardly depends on the camera's resolution. Then, per grid cell (gx x gy, row-major names):
//   grey_rRcC      mean grey level of the cell, in [0, 1];
//   motion_rRcC    mean |grey_t - grey_prev| over the cell, in [0, 1], 0 for the first frame;
//   motion_mean    the same over the whole frame;
//   flow_dx_rRcC,  mean Farneback optical flow of the cell, in working-resolution pixels per second
//   flow_dy_rRcC   (x right, y down), 0 for the first frame.
// Motion is the raw difference, not divided by the gap: it is what the camera sees between two
// frames and it saturates (a person gone from a cell gives the same difference after 0.1 s or 1 s),
// so a rate would be wrong for long gaps; the gap itself reaches the cell through the timestamps.
// Flow is a displacement, nearly proportional to the gap for steady motion, so dividing by the gap
// gives a velocity that means the same at 10 fps, 30 fps or across a dropped frame.
//
// One encoder per stream: it keeps the previous frame. The per-frame path reuses its buffers and
// allocates only the output vector, except that OpenCV's Farneback allocates its pyramids per call.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "encoders/feature_frame.h"

namespace liquid::encoders {

class VideoFeaturesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct VideoFeaturesOptions {
  int working_width = 160;  // downscale to this width first (height keeps the aspect); 0 = no downscale
  int grid_cols = 8;        // gx
  int grid_rows = 6;        // gy
  bool grey = true;
  bool motion = true;       // per cell
  bool motion_mean = true;  // whole frame
  bool flow = false;        // ~6x the cost of the rest at 160 px wide (bench/video_bench.cpp)
  // Farneback parameters (cv::calcOpticalFlowFarneback), OpenCV's sample values.
  double flow_pyr_scale = 0.5;
  int flow_levels = 3;
  int flow_winsize = 15;
  int flow_iterations = 3;
  int flow_poly_n = 5;
  double flow_poly_sigma = 1.2;
};

class VideoFeatures : public Encoder {
 public:
  // Throws VideoFeaturesError when the options are unusable (no part enabled, empty grid, ...).
  explicit VideoFeatures(const VideoFeaturesOptions& options = {});

  // One FeatureFrame per VideoFrame. Throws VideoFeaturesError (naming the frame index and time)
  // for a sample that is not a VideoFrame, an empty or non-8-bit image, a frame whose size differs
  // from the stream's first one, a frame of another stream, or a time before the previous frame's
  // (or equal to it, when flow needs the gap).
  void encode(const sensors::TimedSample& sample, std::vector<FeatureFrame>& out) override;
  void reset() override;
  int width() const override { return width_; }
  std::vector<std::string> names() const override;

  const VideoFeaturesOptions& options() const { return opt_; }

 private:
  // Area averaging, what cv::resize INTER_AREA computes, to a fixed size. Its spans are worked
  // out once per geometry so that the per-frame call allocates nothing (cv::resize INTER_AREA
  // allocates its tables on every call). Sums are exact (integers for 8-bit, doubles for float).
  class AreaPool {
   public:
    void prepare(cv::Size from, cv::Size to, int channels);
    // src: CV_8UC(channels) or CV_32FC(channels) of size `from`; dst: CV_32FC(channels) of size
    // `to` holding the area means times `scale`.
    void run(const cv::Mat& src, cv::Mat& dst, double scale);

   private:
    struct Span {  // source pixels first..last of one output cell, and the end pixels' overlaps
      int first = 0, last = 0;
      double w_first = 1.0, w_last = 1.0;
    };
    static std::vector<Span> spans(int n, int cells);
    template <class T>
    void run_typed(const cv::Mat& src, cv::Mat& dst, double scale);
    cv::Size to_;
    int channels_ = 1;
    double cell_area_ = 1.0;
    std::vector<Span> xs_, ys_;
    std::vector<double> row_sums_, acc_;
  };

  void prepare(const cv::Mat& image, const std::string& where);
  void to_working(const cv::Mat& image);

  VideoFeaturesOptions opt_;
  int width_ = 0;

  // Set by the first frame after construction or reset().
  bool have_size_ = false, have_prev_ = false;
  cv::Size input_size_, work_size_;
  int input_type_ = 0;
  int stream_ = 0;
  double prev_time_ = 0.0;

  AreaPool to_work_, grid_pool_, flow_pool_;
  cv::Mat grey_full_;             // 8U, input size
  cv::Mat work_, prev_work_;      // 8U, working size (for Farneback)
  cv::Mat work_f_, prev_work_f_;  // 32F in [0, 1], working size
  cv::Mat diff_;                  // 32F, working size
  cv::Mat grid_;                  // 32F, grid size
  cv::Mat flow_, flow_grid_;      // 32FC2, working and grid size
};

}  // namespace liquid::encoders
