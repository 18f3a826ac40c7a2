// VideoSource: cv::VideoCapture behind the Source interface, with container timestamps, decimation
// and errors that name the file. See video_source.h for where the times come from.
#include "sensors/video_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <system_error>

#include <opencv2/core.hpp>
#include <opencv2/videoio/registry.hpp>

namespace liquid::sensors {

namespace {

std::string seconds(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", t);
  return buf;
}

std::string backend_name(int api) {
  try {
    return cv::videoio_registry::getBackendName(static_cast<cv::VideoCaptureAPIs>(api));
  } catch (const cv::Exception&) {
    return "backend " + std::to_string(api);
  }
}

}  // namespace

VideoSource::VideoSource(std::string name, bool camera, const VideoSourceOptions& options)
    : name_(std::move(name)), camera_(camera), opt_(options), cap_(std::make_unique<cv::VideoCapture>()) {
  if (opt_.frame_step < 1)
    throw SourceError(name_ + ": frame_step must be 1 or more, got " + std::to_string(opt_.frame_step));
  if (opt_.width < 0 || opt_.height < 0 || !(opt_.fps >= 0.0))
    throw SourceError(name_ + ": requested width, height and fps must be 0 (driver default) or positive");
}

VideoSource VideoSource::open_file(const std::filesystem::path& path, const VideoSourceOptions& options) {
  VideoSource s(path.string(), false, options);
  // FFmpeg's own messages for these cases are vague or go to stderr only; say which one it is.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw SourceError(s.name_ + ": no such file");
  if (!std::filesystem::is_regular_file(status)) throw SourceError(s.name_ + ": not a regular file, expected a video file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw SourceError(s.name_ + ": cannot read the file size: " + ec.message());
  if (size == 0) throw SourceError(s.name_ + ": the file is empty (0 bytes), expected a video");

  const int api = options.api >= 0 ? options.api : cv::CAP_FFMPEG;
  bool opened = false;
  try {
    opened = s.cap_->open(s.name_, api);
  } catch (const cv::Exception& e) {
    throw SourceError(s.name_ + ": OpenCV failed to open it: " + e.what());
  }
  if (!opened)
    throw SourceError(s.name_ + ": not a video OpenCV's " + backend_name(api) +
                      " backend can open (expected a video container with a decodable video stream; corrupt or unknown format?)");
  s.read_properties();
  if (s.width_ <= 0 || s.height_ <= 0)
    throw SourceError(s.name_ + ": the video stream has no frame size (" + std::to_string(s.width_) + "x" +
                      std::to_string(s.height_) + "), expected a positive width and height");
  s.announced_frames_ = s.cap_->get(cv::CAP_PROP_FRAME_COUNT);
  return s;
}

VideoSource VideoSource::open_camera(int index, const VideoSourceOptions& options) {
  VideoSource s("camera " + std::to_string(index), true, options);
  if (index < 0) throw SourceError(s.name_ + ": a camera index is 0 or more");
#ifdef __linux__
  const int api = options.api >= 0 ? options.api : cv::CAP_V4L2;
#else
  const int api = options.api >= 0 ? options.api : cv::CAP_ANY;
#endif
  bool opened = false;
  try {
    opened = s.cap_->open(index, api);
  } catch (const cv::Exception& e) {
    throw SourceError(s.name_ + ": OpenCV failed to open it: " + e.what());
  }
  if (!opened)
    throw SourceError(s.name_ + ": no camera could be opened at index " + std::to_string(index) + " with " +
                      backend_name(api) + " (no such device, in use, or no permission)");
  // Requests, not demands: drivers round to the modes they have, and describe() says what they chose.
  if (options.width > 0) s.cap_->set(cv::CAP_PROP_FRAME_WIDTH, options.width);
  if (options.height > 0) s.cap_->set(cv::CAP_PROP_FRAME_HEIGHT, options.height);
  if (options.fps > 0) s.cap_->set(cv::CAP_PROP_FPS, options.fps);
  s.read_properties();
  s.opened_at_ = std::chrono::steady_clock::now();
  return s;
}

void VideoSource::read_properties() {
  backend_ = cap_->getBackendName();
  width_ = static_cast<int>(cap_->get(cv::CAP_PROP_FRAME_WIDTH));
  height_ = static_cast<int>(cap_->get(cv::CAP_PROP_FRAME_HEIGHT));
  fps_ = cap_->get(cv::CAP_PROP_FPS);
  if (!std::isfinite(fps_) || fps_ < 0.0) fps_ = 0.0;
}

bool VideoSource::grab_one() {
  if (!cap_->grab()) return false;
  double t;
  if (camera_) {
    t = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
  } else {
    t = cap_->get(cv::CAP_PROP_POS_MSEC) / 1000.0;
    // OpenCV reports a frame without pts as 0; a time that does not move forward is no better.
    // The first frame's 0 is a real 0 as often as not, and index/fps would give the same.
    if (decoded_ > 0 && !(t > time_s_)) {
      if (!(fps_ > 0.0))
        throw SourceError(name_ + ": frame " + std::to_string(decoded_) +
                          " has no usable timestamp and the container gives no frame rate to estimate one");
      t = time_s_ + 1.0 / fps_;
      ++estimated_;
    } else if (!std::isfinite(t)) {
      t = 0.0;
    }
  }
  time_s_ = t;
  ++decoded_;
  return true;
}

bool VideoSource::finish() {
  ended_ = true;
  if (camera_)
    throw SourceError(name_ + ": the camera stopped giving frames after " + std::to_string(decoded_) +
                      " (disconnected or in use?)");
  if (decoded_ == 0)
    throw SourceError(name_ + ": no video frame could be decoded (corrupt file or unsupported codec)");
  if (opt_.check_length && announced_frames_ > 0.0 && fps_ > 0.0) {
    const double announced_s = announced_frames_ / fps_;
    const double reached_s = time_s_ + 1.0 / fps_;
    // The slack covers containers whose count is duration x fps rounded, or whose duration
    // includes a longer audio track; a real truncation loses more.
    const double slack_s = std::max(3.0 / fps_, 1.0);
    if (reached_s + slack_s < announced_s)
      throw SourceError(name_ + ": the video stream ended at " + seconds(time_s_) + " after " +
                        std::to_string(decoded_) + " frames, but the container announces " +
                        std::to_string(static_cast<int64_t>(announced_frames_)) + " frames at " +
                        std::to_string(fps_) + " fps (" + seconds(announced_s) +
                        "): the file is truncated or corrupt (check_length=false reads it anyway)");
  }
  return false;
}

bool VideoSource::next(TimedSample& out) {
  if (ended_) return false;
  if (decoded_ > 0) {
    for (int k = 1; k < opt_.frame_step; ++k)
      if (!grab_one()) return finish();
  }
  if (!grab_one()) return finish();

  if (!std::holds_alternative<VideoFrame>(out.payload)) out.payload.emplace<VideoFrame>();
  auto& frame = std::get<VideoFrame>(out.payload);
  // retrieve() decodes into the existing buffer when the size matches; if someone else still
  // holds that buffer (a queued copy of an earlier sample), give this frame a buffer of its own.
  if (frame.image.u != nullptr && frame.image.u->refcount > 1) frame.image.release();
  if (!cap_->retrieve(frame.image) || frame.image.empty())
    throw SourceError(name_ + ": frame " + std::to_string(decoded_ - 1) + " at " + seconds(time_s_) +
                      " was read but could not be converted to an image");
  if (frame.image.type() != CV_8UC3)
    throw SourceError(name_ + ": frame " + std::to_string(decoded_ - 1) + " came as OpenCV type " +
                      std::to_string(frame.image.type()) + ", expected 8-bit BGR (CV_8UC3)");
  frame.index = decoded_ - 1;
  out.time = time_s_;
  out.stream = opt_.stream;
  return true;
}

std::string VideoSource::describe() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, " (%dx%d, %g fps, %s", width_, height_, fps_, backend_.c_str());
  std::string s = (camera_ ? name_ : "video file " + name_) + buf;
  if (opt_.frame_step > 1) s += ", every " + std::to_string(opt_.frame_step) + " frames";
  return s + ")";
}

}  // namespace liquid::sensors
