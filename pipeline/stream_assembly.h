// What a stream configuration (stream_config.h) builds, shared by `liquid stream` and the dashboard
// so both run a configuration the same way: the engine as stream_setup.h sets it up (models,
// streams, fusion), then its sources and encoders:
//
//   StreamSources s = build_sources(setup, models, engine, resuming, stop, clock);
//
// then a Runner with one Input per file stream (and one for the MQTT streams) and a SourceThread
// each, as apps/cmd_stream.cpp does. Errors are StreamConfigError naming the file and the field.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "encoders/feature_frame.h"
#include "lfm/model.h"
#include "pipeline/engine.h"
#include "pipeline/mqtt_source.h"
#include "pipeline/stream_config.h"
#include "pipeline/stream_setup.h"
#include "sensors/replay.h"
#include "sensors/source.h"

namespace liquid::pipeline {

// What a stop request wakes: file sources end at their next sample, paced replays stop waiting.
struct StopFlag {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable cv;
  void request() {
    {
      std::lock_guard lock(mutex);
      stop.store(true);
    }
    cv.notify_all();
  }
};

// A replay clock whose waits end early when the flag is raised.
class InterruptibleClock : public sensors::ReplayClock {
 public:
  explicit InterruptibleClock(StopFlag& flag) : flag_(flag) {}
  time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point t) override {
    std::unique_lock lock(flag_.mutex);
    flag_.cv.wait_until(lock, t, [&] { return flag_.stop.load(); });
  }

 private:
  StopFlag& flag_;
};

// The configured streams' sources and encoders, built; the MQTT streams share one client. With
// `resuming` (after load_checkpoint) samples the engine has applied already go through the encoders
// (their history) but are not emitted again.
struct StreamSources {
  std::vector<std::unique_ptr<encoders::Encoder>> encoders, resume;  // by stream; resume may be null
  std::vector<std::unique_ptr<sensors::Source>> sources;               // by stream; null for mqtt
  MqttSource* mqtt = nullptr;
  std::unique_ptr<sensors::Source> mqtt_owner;
  std::vector<int> mqtt_streams;  // engine ids, in topic order
  // The encoder a stream's samples go through (resume wrapper or the encoder itself).
  encoders::Encoder& encoder(int id) { return resume[id] ? *resume[id] : *encoders[id]; }
};
StreamSources build_sources(const StreamSetup& setup, const std::vector<ModelFile>& models, const Engine& engine,
                            bool resuming, StopFlag& stop, const std::shared_ptr<sensors::ReplayClock>& clock);

}  // namespace liquid::pipeline
