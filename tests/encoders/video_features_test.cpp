// VideoFeatures on synthetic frames whose answers are known (a grey pattern, a square moving
// right) and on the real clips in tests/data/video: values, units, time stamps, reset, errors and
// allocations per frame.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "encoders/video_features.h"
#include "sensors/video_source.h"
#include "tests/common/allocation_counter.h"

namespace {

using liquid::encoders::FeatureFrame;
using liquid::encoders::VideoFeatures;
using liquid::encoders::VideoFeaturesError;
using liquid::encoders::VideoFeaturesOptions;
using liquid::sensors::TimedSample;
using liquid::sensors::VideoFrame;

const std::filesystem::path kData = std::filesystem::path(LIQUID_TEST_DATA) / "video";

TimedSample sample(const cv::Mat& image, double time, int64_t index = 0, int stream = 0) {
  TimedSample s;
  s.time = time;
  s.stream = stream;
  s.payload = VideoFrame{image, index};
  return s;
}

// A value of frame `f` by feature name.
float value(const VideoFeatures& enc, const FeatureFrame& f, const std::string& name) {
  const auto names = enc.names();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw std::runtime_error("no feature " + name);
  return f.values[it - names.begin()];
}

// Black 160x120 with a w x w square whose texture moves with it (so optical flow has something to
// follow inside it, not only at its edges).
cv::Mat square_frame(int x0, int y0, int w, bool textured) {
  cv::Mat m(120, 160, CV_8UC3, cv::Scalar::all(0));
  for (int y = 0; y < w; ++y)
    for (int x = 0; x < w; ++x) {
      const double v = textured ? 128 + 100 * std::sin(x * 0.6) * std::cos(y * 0.5) : 255;
      m.at<cv::Vec3b>(y0 + y, x0 + x) = cv::Vec3b::all(cv::saturate_cast<uchar>(v));
    }
  return m;
}

TEST(VideoFeatures, NamesFollowThePartsRowMajor) {
  VideoFeatures enc;  // 8x6 grid: grey, motion, motion_mean
  const auto n = enc.names();
  ASSERT_EQ(static_cast<int>(n.size()), enc.width());
  EXPECT_EQ(enc.width(), 48 + 48 + 1);
  EXPECT_EQ(n[0], "grey_r0c0");
  EXPECT_EQ(n[1], "grey_r0c1");
  EXPECT_EQ(n[8], "grey_r1c0");
  EXPECT_EQ(n[47], "grey_r5c7");
  EXPECT_EQ(n[48], "motion_r0c0");
  EXPECT_EQ(n[96], "motion_mean");

  VideoFeaturesOptions o;
  o.grey = o.motion = o.motion_mean = false;
  o.flow = true;
  o.grid_cols = 2;
  o.grid_rows = 1;
  EXPECT_EQ(VideoFeatures(o).names(), (std::vector<std::string>{"flow_dx_r0c0", "flow_dx_r0c1", "flow_dy_r0c0", "flow_dy_r0c1"}));
}

TEST(VideoFeatures, GreyGridOfAKnownPatternIsExact) {
  // 768x576 (vtest's size) in 8x6 cells of 96x96, each a different grey; downscaled to 160x120
  // first, whose 20x20 cells line up with the originals, so each mean is exact.
  cv::Mat m(576, 768, CV_8UC3);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) m(cv::Rect(c * 96, r * 96, 96, 96)).setTo(cv::Scalar::all(10 + 40 * r + 3 * c));
  VideoFeatures enc;
  std::vector<FeatureFrame> out;
  enc.encode(sample(m, 0.5), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].time, 0.5);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c)
      EXPECT_FLOAT_EQ(out[0].values[r * 8 + c], (10 + 40 * r + 3 * c) / 255.0f) << "cell r" << r << "c" << c;
  for (int i = 48; i < enc.width(); ++i) EXPECT_EQ(out[0].values[i], 0.0f) << "first frame motion " << i;
}

TEST(VideoFeatures, GridPoolingIsOpenCVsAreaResizeForUnevenCells) {
  // 160x120 into 7x5 cells of 22.86 x 24 pixels: fractional cell edges, as cv::resize INTER_AREA.
  cv::Mat m(120, 160, CV_8UC3);
  cv::randu(m, 0, 256);
  VideoFeaturesOptions o;
  o.working_width = 0;
  o.grid_cols = 7;
  o.grid_rows = 5;
  VideoFeatures enc(o);
  std::vector<FeatureFrame> out;
  enc.encode(sample(m, 0.0), out);
  cv::Mat grey, grey_f, ref;
  cv::cvtColor(m, grey, cv::COLOR_BGR2GRAY);
  grey.convertTo(grey_f, CV_32F, 1.0 / 255.0);
  cv::resize(grey_f, ref, cv::Size(7, 5), 0, 0, cv::INTER_AREA);
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 7; ++c) EXPECT_NEAR(out[0].values[r * 7 + c], ref.at<float>(r, c), 1e-5) << r << "," << c;
}

TEST(VideoFeatures, MotionEnergyAppearsInTheCellsTheSquareMovedThrough) {
  // No downscale, 8x6 grid of 20x20 cells. A white 20x20 square in cell r2c2 moves 4 px right:
  // 4x20 pixels change in r2c2 (uncovered) and 4x20 in r2c3 (covered), each by 1.0.
  VideoFeaturesOptions o;
  o.working_width = 0;
  VideoFeatures enc(o);
  std::vector<FeatureFrame> out;
  enc.encode(sample(square_frame(40, 40, 20, false), 0.0), out);
  enc.encode(sample(square_frame(44, 40, 20, false), 0.1), out);
  ASSERT_EQ(out.size(), 2u);
  const auto& f = out[1];
  EXPECT_DOUBLE_EQ(f.time, 0.1);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) {
      const std::string cell = cv::format("r%dc%d", r, c);
      const float expected = (r == 2 && (c == 2 || c == 3)) ? 80.0f / 400.0f : 0.0f;
      EXPECT_NEAR(value(enc, f, "motion_" + cell), expected, 1e-6) << cell;
    }
  EXPECT_NEAR(value(enc, f, "motion_mean"), 160.0f / (160 * 120), 1e-6);
  // The raw difference, not a rate: the same move over a 10x longer gap gives the same energy.
  enc.reset();
  out.clear();
  enc.encode(sample(square_frame(40, 40, 20, false), 0.0), out);
  enc.encode(sample(square_frame(44, 40, 20, false), 1.0), out);
  EXPECT_NEAR(value(enc, out[1], "motion_r2c2"), 0.2f, 1e-6);
}

TEST(VideoFeatures, FlowPointsRightWhereTheSquareMovesAndIsPerSecond) {
  // 4x3 grid of 40x40 cells; a textured 30x30 square inside cell r1c1 moves 3 px right per frame.
  VideoFeaturesOptions o;
  o.working_width = 0;
  o.grid_cols = 4;
  o.grid_rows = 3;
  o.grey = o.motion = o.motion_mean = false;
  o.flow = true;
  VideoFeatures enc(o);
  std::vector<FeatureFrame> out;
  const cv::Mat a = square_frame(45, 45, 30, true), b = square_frame(48, 45, 30, true);
  enc.encode(sample(a, 1.0), out);
  enc.encode(sample(b, 1.1), out);
  ASSERT_EQ(out.size(), 2u);
  for (float v : out[0].values) EXPECT_EQ(v, 0.0f);  // no previous frame

  // 3 px per 0.1 s is 30 px/s. Farneback's windows and pyramid carry the square's motion over the
  // flat black around it, so the cell's mean comes close to the square's own velocity.
  const FeatureFrame f = out[1];
  const float dx = value(enc, f, "flow_dx_r1c1"), dy = value(enc, f, "flow_dy_r1c1");
  EXPECT_GT(dx, 0.5f * 30.0f) << dx;
  EXPECT_LT(dx, 1.1f * 30.0f) << dx;
  EXPECT_LT(std::abs(dy), 0.15f * dx) << dy;
  for (const char* far : {"r0c3", "r2c3", "r2c0", "r0c0"}) {
    EXPECT_LT(std::abs(value(enc, f, std::string("flow_dx_") + far)), 0.05f * dx) << far;
    EXPECT_LT(std::abs(value(enc, f, std::string("flow_dy_") + far)), 0.05f * dx) << far;
  }

  // The same displacement over twice the gap is half the velocity.
  enc.reset();
  out.clear();
  enc.encode(sample(a, 1.0), out);
  enc.encode(sample(b, 1.2), out);
  for (int i = 0; i < enc.width(); ++i) EXPECT_NEAR(out[1].values[i], 0.5f * f.values[i], 1e-4f * (1 + std::abs(f.values[i])));
}

TEST(VideoFeatures, ResetForgetsThePreviousFrame) {
  VideoFeatures enc;
  std::vector<FeatureFrame> first, again;
  const cv::Mat a = square_frame(40, 40, 20, false), b = square_frame(60, 60, 20, false);
  enc.encode(sample(a, 0.0), first);
  enc.encode(sample(b, 0.1), first);
  enc.reset();
  enc.encode(sample(b, 5.0), again);  // after reset, b is a first frame: no motion
  EXPECT_EQ(value(enc, again[0], "motion_mean"), 0.0f);
  enc.reset();
  again.clear();
  enc.encode(sample(a, 0.0), again);
  enc.encode(sample(b, 0.1), again);
  EXPECT_EQ(again[1].values, first[1].values);
  EXPECT_GT(value(enc, first[1], "motion_mean"), 0.0f);
}

TEST(VideoFeatures, RealClipsGiveBoundedFeaturesStampedWithTheContainerTimes) {
  VideoFeaturesOptions o;
  o.flow = true;
  for (const char* clip : {"vtest_20.avi", "tree_24.avi"}) {
    auto src = liquid::sensors::VideoSource::open_file(kData / clip);
    VideoFeatures enc(o);
    std::vector<FeatureFrame> out;
    std::vector<double> times;
    TimedSample s;
    while (src.next(s)) {
      times.push_back(s.time);
      enc.encode(s, out);
    }
    ASSERT_EQ(out.size(), times.size()) << clip;
    const auto names = enc.names();
    for (size_t k = 0; k < out.size(); ++k) {
      EXPECT_EQ(out[k].time, times[k]) << clip;
      for (int i = 0; i < enc.width(); ++i) {
        const float v = out[k].values[i];
        ASSERT_TRUE(std::isfinite(v)) << clip << " frame " << k << " " << names[i];
        if (names[i].rfind("flow", 0) != 0) {
          EXPECT_GE(v, 0.0f) << clip << " frame " << k << " " << names[i];
          EXPECT_LE(v, 1.0f) << clip << " frame " << k << " " << names[i];
        }
      }
    }
    EXPECT_EQ(value(enc, out[0], "motion_mean"), 0.0f) << clip;
    // People walk in vtest, the tree sways: every later frame differs somewhat from the last.
    for (size_t k = 1; k < out.size(); ++k) EXPECT_GT(value(enc, out[k], "motion_mean"), 1e-3f) << clip << " frame " << k;
  }
}

TEST(VideoFeatures, BadInputIsAnErrorNamingTheFrame) {
  VideoFeatures enc;
  std::vector<FeatureFrame> out;
  auto message = [&](const TimedSample& s) -> std::string {
    try {
      enc.encode(s, out);
    } catch (const VideoFeaturesError& e) {
      return e.what();
    }
    return "";
  };
  TimedSample audio;
  audio.payload = liquid::sensors::AudioBlock{};
  EXPECT_NE(message(audio).find("expected a VideoFrame"), std::string::npos);
  EXPECT_NE(message(sample(cv::Mat(), 0.0)).find("image is empty"), std::string::npos);
  EXPECT_NE(message(sample(cv::Mat(120, 160, CV_32FC3, cv::Scalar::all(0)), 0.0)).find("expected an 8-bit"), std::string::npos);

  const cv::Mat a = square_frame(40, 40, 20, false);
  enc.encode(sample(a, 1.0, 3), out);
  auto m = message(sample(cv::Mat(60, 80, CV_8UC3, cv::Scalar::all(0)), 2.0, 4));
  EXPECT_NE(m.find("frame 4 at t=2 s"), std::string::npos) << m;
  EXPECT_NE(m.find("80x60"), std::string::npos) << m;
  m = message(sample(a, 0.5, 5));
  EXPECT_NE(m.find("frame 5 at t=0.5 s: expected a time after the previous frame's"), std::string::npos) << m;
  m = message(sample(a, 3.0, 6, 1));
  EXPECT_NE(m.find("use one encoder per stream"), std::string::npos) << m;
  EXPECT_EQ(out.size(), 1u);  // failed frames add nothing

  VideoFeaturesOptions none;
  none.grey = none.motion = none.motion_mean = false;
  EXPECT_THROW(VideoFeatures{none}, VideoFeaturesError);
  VideoFeaturesOptions tiny;
  tiny.working_width = 4;
  EXPECT_THROW(VideoFeatures{tiny}, VideoFeaturesError);
}

TEST(VideoFeatures, GridAndMotionAllocateOnlyTheOutputVector) {
  // Same-size frames after the first: everything is written into the encoder's buffers. What is
  // left is the FeatureFrame's own vector (the Encoder interface appends a new one per frame).
  // OpenCV's worker threads allocate on their own schedule (the counter sees every thread), so the
  // kernels run on this thread alone.
  const int opencv_threads = cv::getNumThreads();
  cv::setNumThreads(0);
  cv::Mat frames[2] = {cv::Mat(576, 768, CV_8UC3), cv::Mat(576, 768, CV_8UC3)};
  cv::randu(frames[0], 0, 255);
  cv::randu(frames[1], 0, 255);
  VideoFeatures enc;
  std::vector<FeatureFrame> out;
  out.reserve(64);
  std::vector<TimedSample> samples;
  for (int k = 0; k < 64; ++k) samples.push_back(sample(frames[k % 2], 0.1 * k, k));
  enc.encode(samples[0], out);
  enc.encode(samples[1], out);
  const auto n = liquid::testing::allocations_during([&] {
    for (int k = 2; k < 64; ++k) enc.encode(samples[k], out);
  });
  cv::setNumThreads(opencv_threads);
  EXPECT_EQ(n, 62u);
}

}  // namespace
