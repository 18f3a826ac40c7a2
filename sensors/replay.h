// Replay: paces any Source at its own timing, so a recorded file drives the pipeline as the sensor
// did (a live demo, a latency test) or faster (a quick look at a day of data).
//
// The first sample is released as soon as it is read; sample k is released at
//   start + (t_k - t_0) / speed        on std::chrono::steady_clock,
// where start is the moment the first one was released. speed 1 is real time, 2 twice as fast;
// speed 0 or +infinity releases every sample as soon as it is read. The schedule is fixed from
// the first sample: a consumer that falls behind gets the late samples at once (a burst) until it
// catches up, rather than shifting every later sample.
//
// A sample whose time is earlier than the previous one's is an error, or is dropped and counted
// (BackwardsTime). Equal times are released together.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "sensors/csv_series.h"
#include "sensors/source.h"

namespace liquid::sensors {

// What Replay waits on; tests inject a fake to step time by hand.
class ReplayClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~ReplayClock() = default;
  virtual time_point now() = 0;
  virtual void sleep_until(time_point t) = 0;
};

// std::chrono::steady_clock and std::this_thread::sleep_until.
std::shared_ptr<ReplayClock> steady_replay_clock();

struct ReplayOptions {
  double speed = 1.0;  // > 0; 0 or +infinity: as fast as possible
  BackwardsTime backwards = BackwardsTime::error;
};

class Replay : public Source {
 public:
  // Throws std::invalid_argument for a negative or NaN speed or a null source. A null clock means
  // steady_replay_clock().
  explicit Replay(std::unique_ptr<Source> source, ReplayOptions options = {},
                  std::shared_ptr<ReplayClock> clock = nullptr);

  // Reads the next sample from the wrapped source and waits until it is due. Throws SourceError if
  // its time is not finite, goes back (under BackwardsTime::error), or is so far from the first
  // (over 1e9 s at the chosen speed, ~32 years) that the wait cannot be represented.
  bool next(TimedSample& out) override;
  std::string describe() const override;
  // True when pacing: samples then arrive at the pace of the recording.
  bool live() const override { return paced_; }

  size_t dropped() const { return dropped_; }  // samples skipped under BackwardsTime::drop

 private:
  std::unique_ptr<Source> source_;
  ReplayOptions options_;
  std::shared_ptr<ReplayClock> clock_;
  bool paced_ = true;
  bool started_ = false;
  double t0_ = 0.0, last_time_ = 0.0;
  ReplayClock::time_point start_{};
  size_t released_ = 0, dropped_ = 0;
};

}  // namespace liquid::sensors
