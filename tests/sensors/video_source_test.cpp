// VideoSource on real clips (tests/data/video, see ATTRIBUTION): frame times are the container's
// (checked against timestamps libavformat read independently), decimation, buffer reuse, and the
// errors for missing, empty, non-video, truncated and corrupt files and for a camera that is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "sensors/video_source.h"

namespace {

namespace fs = std::filesystem;
using liquid::sensors::SourceError;
using liquid::sensors::TimedSample;
using liquid::sensors::VideoFrame;
using liquid::sensors::VideoSource;
using liquid::sensors::VideoSourceOptions;

const fs::path kData = fs::path(LIQUID_TEST_DATA) / "video";

// The `time_s` column of a make_clips.cpp timestamp file.
std::vector<double> container_times(const fs::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> times;
  while (std::getline(in, line)) times.push_back(std::stod(line.substr(line.rfind(',') + 1)));
  return times;
}

struct Read {
  std::vector<double> times;
  std::vector<int64_t> indices;
};

Read read_all(VideoSource& src) {
  Read r;
  TimedSample s;
  while (src.next(s)) {
    r.times.push_back(s.time);
    r.indices.push_back(std::get<VideoFrame>(s.payload).index);
  }
  return r;
}

// A file in the temp directory, removed when the test ends.
struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& name)
      : path(fs::temp_directory_path() / ("liquid_video_" + std::to_string(getpid()) + "_" + name)) {}
  ~TempFile() { fs::remove(path); }
  void write(const std::string& bytes) const { std::ofstream(path, std::ios::binary) << bytes; }
};

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `body` and returns the SourceError's message, or "" when nothing was thrown.
template <class Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const SourceError& e) {
    return e.what();
  }
  return "";
}

TEST(VideoSource, VtestClipHasContainerTimesAndBgrFrames) {
  auto src = VideoSource::open_file(kData / "vtest_20.avi");
  EXPECT_FALSE(src.live());
  EXPECT_EQ(src.width(), 768);
  EXPECT_EQ(src.height(), 576);
  EXPECT_DOUBLE_EQ(src.fps(), 10.0);
  EXPECT_NE(src.describe().find("vtest_20.avi (768x576, 10 fps"), std::string::npos) << src.describe();

  TimedSample s;
  s.payload = liquid::sensors::SeriesRow{};  // a reused sample of another kind becomes a video frame
  ASSERT_TRUE(src.next(s));
  const auto& frame = std::get<VideoFrame>(s.payload);
  EXPECT_EQ(frame.image.type(), CV_8UC3);
  EXPECT_EQ(frame.image.cols, 768);
  EXPECT_EQ(frame.image.rows, 576);

  auto rest = read_all(src);
  rest.times.insert(rest.times.begin(), s.time);
  const auto expected = container_times(kData / "vtest_20.avi.pts.csv");
  ASSERT_EQ(rest.times.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(rest.times[i], expected[i], 1e-6) << "frame " << i;
  EXPECT_EQ(src.estimated_times(), 0);
  TimedSample after;
  EXPECT_FALSE(src.next(after));  // and stays at the end
}

TEST(VideoSource, DroppedFramesShowAsGapsFromTheContainer) {
  // tree.avi's encoder dropped frames (empty AVI chunks): 24 frames span 9.8 s at a nominal 15 fps.
  auto src = VideoSource::open_file(kData / "tree_24.avi");
  const auto r = read_all(src);
  const auto expected = container_times(kData / "tree_24.avi.pts.csv");
  ASSERT_EQ(r.times.size(), 24u);
  ASSERT_EQ(expected.size(), 24u);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(r.times[i], expected[i], 1e-6) << "frame " << i;
    EXPECT_EQ(r.indices[i], static_cast<int64_t>(i));
  }
  EXPECT_NEAR(r.times[1] - r.times[0], 11.0 / 15.0, 1e-4);  // not the 1/15 s a frame counter would give
  EXPECT_NEAR(r.times[17] - r.times[16], 6.0 / 15.0, 1e-4);
  EXPECT_EQ(src.estimated_times(), 0);
}

TEST(VideoSource, FrameStepKeepsEveryKthFrameWithItsOwnTime) {
  VideoSourceOptions opt;
  opt.frame_step = 3;
  opt.stream = 7;
  auto src = VideoSource::open_file(kData / "vtest_20.avi", opt);
  TimedSample s;
  std::vector<int64_t> indices;
  while (src.next(s)) {
    const auto index = std::get<VideoFrame>(s.payload).index;
    indices.push_back(index);
    EXPECT_NEAR(s.time, 0.1 * static_cast<double>(index), 1e-6);
    EXPECT_EQ(s.stream, 7);
  }
  EXPECT_EQ(indices, (std::vector<int64_t>{0, 3, 6, 9, 12, 15, 18}));
  EXPECT_EQ(src.frames_read(), 20);
  EXPECT_NE(src.describe().find("every 3 frames"), std::string::npos);
}

TEST(VideoSource, ReusesTheImageBufferUnlessTheCallerKeptIt) {
  auto src = VideoSource::open_file(kData / "vtest_20.avi");
  TimedSample s;
  ASSERT_TRUE(src.next(s));
  const uchar* first = std::get<VideoFrame>(s.payload).image.data;
  ASSERT_TRUE(src.next(s));
  EXPECT_EQ(std::get<VideoFrame>(s.payload).image.data, first);  // nothing held it: reused

  const TimedSample kept = s;  // shares the image buffer
  const cv::Mat kept_pixels = std::get<VideoFrame>(kept.payload).image.clone();
  ASSERT_TRUE(src.next(s));
  const cv::Mat& kept_image = std::get<VideoFrame>(kept.payload).image;
  EXPECT_NE(std::get<VideoFrame>(s.payload).image.data, kept_image.data);
  EXPECT_EQ(cv::norm(kept_image, kept_pixels, cv::NORM_INF), 0.0);  // the kept frame was not overwritten
  EXPECT_EQ(std::get<VideoFrame>(kept.payload).index, 1);
}

TEST(VideoSource, MissingEmptyAndNonVideoFilesAreErrorsNamingTheFile) {
  const fs::path missing = kData / "no_such_clip.avi";
  auto msg = error_of([&] { VideoSource::open_file(missing); });
  EXPECT_NE(msg.find(missing.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;

  TempFile empty("empty.avi");
  empty.write("");
  msg = error_of([&] { VideoSource::open_file(empty.path); });
  EXPECT_NE(msg.find(empty.path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty (0 bytes)"), std::string::npos) << msg;

  TempFile text("text.avi");
  text.write("time,value\n0.0,1.5\n");
  msg = error_of([&] { VideoSource::open_file(text.path); });
  EXPECT_NE(msg.find(text.path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a video"), std::string::npos) << msg;

  msg = error_of([&] { VideoSource::open_file(kData); });
  EXPECT_NE(msg.find("not a regular file"), std::string::npos) << msg;
}

TEST(VideoSource, TruncatedFileIsAnErrorAfterItsFramesUnlessLengthCheckIsOff) {
  // The AVI header announces 20 frames; half the bytes hold a few of them. FFmpeg just stops.
  TempFile cut("truncated.avi");
  const std::string bytes = file_bytes(kData / "vtest_20.avi");
  cut.write(bytes.substr(0, bytes.size() / 2));

  auto src = VideoSource::open_file(cut.path);
  TimedSample s;
  int frames = 0;
  const auto msg = error_of([&] {
    while (src.next(s)) ++frames;
  });
  EXPECT_GT(frames, 0);
  EXPECT_LT(frames, 20);
  EXPECT_NE(msg.find(cut.path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("announces 20 frames"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated or corrupt"), std::string::npos) << msg;

  VideoSourceOptions lenient;
  lenient.check_length = false;
  auto src2 = VideoSource::open_file(cut.path, lenient);
  EXPECT_EQ(static_cast<int>(read_all(src2).times.size()), frames);
}

TEST(VideoSource, CorruptPayloadIsAnErrorNamingTheFile) {
  // A valid AVI header followed by noise: opens, then no (or almost no) frame decodes.
  TempFile bad("corrupt.avi");
  std::string bytes = file_bytes(kData / "vtest_20.avi");
  uint32_t x = 12345;
  for (size_t i = 8000; i < bytes.size(); ++i) {
    x = x * 1664525u + 1013904223u;
    bytes[i] = static_cast<char>(x >> 24);
  }
  bad.write(bytes);
  const auto msg = error_of([&] {
    auto src = VideoSource::open_file(bad.path);
    read_all(src);
  });
  EXPECT_NE(msg.find(bad.path.string()), std::string::npos) << msg;
}

TEST(VideoSource, AbsentCameraIsAClearError) {
  // No machine this runs on has 64 cameras.
  auto msg = error_of([&] { VideoSource::open_camera(63); });
  EXPECT_NE(msg.find("camera 63"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no camera could be opened"), std::string::npos) << msg;
  msg = error_of([&] { VideoSource::open_camera(-1); });
  EXPECT_NE(msg.find("index is 0 or more"), std::string::npos) << msg;

  if (fs::exists("/dev/video0")) GTEST_SKIP() << "a camera is present; the camera-0 case needs none";
  msg = error_of([&] { VideoSource::open_camera(0); });
  EXPECT_NE(msg.find("camera 0"), std::string::npos) << msg;
}

TEST(VideoSource, BadOptionsAreErrors) {
  VideoSourceOptions opt;
  opt.frame_step = 0;
  const auto msg = error_of([&] { VideoSource::open_file(kData / "vtest_20.avi", opt); });
  EXPECT_NE(msg.find("frame_step must be 1 or more, got 0"), std::string::npos) << msg;
}

}  // namespace
