// Replay: the pacing loop. Waits are computed from the first sample (not chained sample to
// sample), so rounding and scheduling delays never accumulate over a long file.
#include "sensors/replay.h"

#include <cmath>
#include <stdexcept>
#include <thread>

namespace liquid::sensors {

namespace {

class SteadyReplayClock : public ReplayClock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point t) override { std::this_thread::sleep_until(t); }
};

std::string seconds_text(double t) { return std::to_string(t) + " s"; }

}  // namespace

std::shared_ptr<ReplayClock> steady_replay_clock() { return std::make_shared<SteadyReplayClock>(); }

Replay::Replay(std::unique_ptr<Source> source, ReplayOptions options, std::shared_ptr<ReplayClock> clock)
    : source_(std::move(source)), options_(options), clock_(clock ? std::move(clock) : steady_replay_clock()) {
  if (!source_) throw std::invalid_argument("replay: no source to replay");
  if (std::isnan(options_.speed) || options_.speed < 0.0)
    throw std::invalid_argument("replay of " + source_->describe() + ": speed " + std::to_string(options_.speed) +
                                " is invalid; expected > 0 (1 = real time), or 0 or infinity for as fast as possible");
  paced_ = options_.speed > 0.0 && std::isfinite(options_.speed);
}

bool Replay::next(TimedSample& out) {
  while (source_->next(out)) {
    if (!std::isfinite(out.time))
      throw SourceError("replay of " + source_->describe() + ": sample " + std::to_string(released_ + dropped_ + 1) +
                        " has time " + std::to_string(out.time) + "; expected a finite number of seconds");
    if (started_ && out.time < last_time_) {
      if (options_.backwards == BackwardsTime::drop) {
        ++dropped_;
        continue;
      }
      throw SourceError("replay of " + source_->describe() + ": sample " + std::to_string(released_ + dropped_ + 1) +
                        " at " + seconds_text(out.time) + " goes back before sample " +
                        std::to_string(released_ + dropped_) + " at " + seconds_text(last_time_) +
                        " (times must not decrease; the drop policy skips such samples)");
    }
    last_time_ = out.time;
    ++released_;
    if (!started_) {
      started_ = true;
      t0_ = out.time;
      if (paced_) start_ = clock_->now();
      return true;
    }
    if (!paced_) return true;
    const double wait_s = (out.time - t0_) / options_.speed;
    if (wait_s > 1e9)
      throw SourceError("replay of " + source_->describe() + ": sample at " + seconds_text(out.time) + " is " +
                        seconds_text(out.time - t0_) + " after the first; too far to replay at speed " +
                        std::to_string(options_.speed));
    const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(wait_s));
    if (clock_->now() < due) clock_->sleep_until(due);
    return true;
  }
  return false;
}

std::string Replay::describe() const {
  const std::string pace = paced_ ? "at speed " + std::to_string(options_.speed) : "as fast as possible";
  return "replay " + pace + " of " + source_->describe();
}

}  // namespace liquid::sensors
