// Video files and cameras as a Source of VideoFrame samples, through cv::VideoCapture.
//
// Frame times come from the container, not from a frame counter, so a dropped or duplicated frame
// shows as a real gap to the liquid cells downstream. What OpenCV 4.6's FFMPEG backend reports as
// CAP_PROP_POS_MSEC after grab() is the decoded frame's pts (or, when that is missing or 0, the
// packet's dts) minus the stream's start time, in the stream's time base (cap_ffmpeg_impl.hpp,
// grabFrame/getProperty). Checked on tests/data/video: vtest_20.avi gives 0, 100, 200 ... ms and
// tree_24.avi (an AVI with empty chunks for dropped frames) gives 0, 733, 1133 ... ms, exactly the
// packet timestamps libavformat reads (tests/data/video/*.pts.csv).
//
// When the backend has no time for a frame it reports 0 (OpenCV's "no pts"): Megamind.avi's last
// frame, flushed out of a B-frame decoder, is one. Such a frame, or one whose time does not come
// after the previous frame's, gets the previous time plus one nominal frame period (1 / the
// container's fps) and is counted in estimated_times(); a file with no times at all thus gets
// index / fps. A camera's frames are stamped with a steady clock when grab() returns, relative to
// the moment the camera was opened (V4L2's buffer timestamps differ in meaning between drivers).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/videoio.hpp>

#include "sensors/source.h"

namespace liquid::sensors {

struct VideoSourceOptions {
  int stream = 0;      // TimedSample::stream of every sample
  int frame_step = 1;  // keep one decoded frame in frame_step (decimation); the others are grabbed, not converted
  // Cameras only: requested size and rate, 0 = the driver's default. The driver may pick another;
  // describe() and width()/height()/fps() give what it chose.
  int width = 0;
  int height = 0;
  double fps = 0.0;
  // OpenCV backend. Files default to CAP_FFMPEG, the backend whose timestamps are checked above.
  // Cameras default to CAP_V4L2 on Linux: CAP_ANY there also probes GStreamer (about 1 s when no
  // camera exists) and gPhoto2, whose USB scan leaks memory on every attempt (LeakSanitizer).
  int api = -1;
  // At the end of a file, compare the last frame's time with the length the container announces
  // (frame count / fps) and throw when the stream stopped short: FFmpeg ends a truncated or
  // corrupt file quietly, which would otherwise lose its tail without a word.
  bool check_length = true;
};

class VideoSource : public Source {
 public:
  // Throws SourceError naming the file when it is missing, empty, not a regular file or not a
  // video OpenCV can decode.
  static VideoSource open_file(const std::filesystem::path& path, const VideoSourceOptions& options = {});
  // Throws SourceError when no camera answers at that index.
  static VideoSource open_camera(int index, const VideoSourceOptions& options = {});

  // Fills out.payload with a VideoFrame (BGR 8-bit). The image buffer is reused between calls
  // unless the caller still holds a reference to it (a cv::Mat copy), in which case a new one is
  // allocated, so kept frames are never overwritten.
  bool next(TimedSample& out) override;
  std::string describe() const override;
  bool live() const override { return camera_; }

  int width() const { return width_; }
  int height() const { return height_; }
  double fps() const { return fps_; }                  // nominal rate from the container or driver; 0 if unknown
  int64_t frames_read() const { return decoded_; }     // decoded frames, kept or skipped by frame_step
  int64_t estimated_times() const { return estimated_; }  // frames that got no usable container time

 private:
  VideoSource(std::string name, bool camera, const VideoSourceOptions& options);
  void read_properties();
  bool grab_one();  // grabs the next frame and sets time_s_; false when there is none
  bool finish();    // end of stream: the checks that make a short file an error

  std::string name_;  // the path or "camera N", for messages
  bool camera_ = false;
  VideoSourceOptions opt_;
  std::unique_ptr<cv::VideoCapture> cap_;  // behind a pointer so VideoSource moves cleanly
  std::string backend_;
  int width_ = 0, height_ = 0;
  double fps_ = 0.0;
  double announced_frames_ = 0.0;
  std::chrono::steady_clock::time_point opened_at_;
  int64_t decoded_ = 0;
  int64_t estimated_ = 0;
  double time_s_ = 0.0;  // time of the frame last grabbed
  bool ended_ = false;
};

}  // namespace liquid::sensors
