// Session: what the dashboard watches. Either a live engine built from a `liquid stream`
// configuration (pipeline/stream_config.h, assembled by pipeline/stream_assembly.h exactly as
// apps/cmd_stream.cpp does) or a recorded trace file (LQTRACE1, pipeline/trace.h) replayed at its own
// pace. Both run on one worker thread that owns everything it writes; the GUI thread only reads:
//   - traces and decisions from TraceRings (seqlocks: the worker never waits for a reader, a slow
//     reader loses the oldest records and is told how many);
//   - per-stream counters from atomics the worker publishes after each batch;
//   - the decisions' explanations (MultiHeadFusion's heads, rules and reasons) and the latest video
//     frame of each video stream, handed over with try_lock: when the GUI happens to hold the lock
//     the worker skips that item (counted) instead of waiting.
// The file sources are read in time order on the worker (MergedSource, the configuration's
// "time_ordered" way), paced by the dashboard's replay speed, so pause and step are exact.
// The GUI never calls into the Engine, so a hidden or slow window cannot slow the engine down.
// Controls (start, pause, step, speed) take a mutex the worker holds only between batches.
// A GStreamer pipeline description is the third kind (GstSession, gst_session.h): the same views'
// data, filled from the pipeline's bus instead of a worker; it overrides the controls.
#pragma once

#include <Eigen/Core>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "lfm/wiring.h"
#include "pipeline/trace.h"

namespace liquid::lfm {
class Model;
}

namespace liquid::gui {

// What the views need to know about one stream, fixed when the session opens.
struct StreamInfo {
  std::string name;
  std::string source;                  // "csv datatest.txt -> occupancy" or "trace file"
  std::string model;                   // the configuration's model name ("" for trace files)
  bool video = false;                  // a video source: the session keeps its latest frame
  std::vector<std::string> values;     // the trace's value names (h0, h1, ...)
  std::vector<std::string> roles;      // per value: "motor", "command", "inter" or "" (unknown)
  std::optional<lfm::Wiring> wiring;   // wired models only
  Eigen::MatrixXf synapse_weight;      // units x units |weight| for LTC (empty: polarity only)
  double timeout = 0.0;                // 0: never stale
};

// Fills what the views show of a stream's model: its wiring and LTC synapse weights (wired models)
// and the roles of `info.values` (set those first: the neurons' names).
void describe_model(const lfm::Model& model, StreamInfo& info);

// Counters one stream's worker publishes (any thread may read).
struct StreamLive {
  std::atomic<uint64_t> samples{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<double> first_time{0.0};
  std::atomic<double> last_time{0.0};
  std::atomic<double> last_gap{0.0};
  // The writer's (one at a time) record of a sample at `time` that makes the count `count`;
  // samples is stored last, with release, so a reader that sees the count sees the times.
  void publish(double time, uint64_t count) {
    if (samples.load(std::memory_order_relaxed) == 0) first_time.store(time, std::memory_order_relaxed);
    else last_gap.store(time - last_time.load(std::memory_order_relaxed), std::memory_order_relaxed);
    last_time.store(time, std::memory_order_relaxed);
    samples.store(count, std::memory_order_release);
  }
};

class Session {
 public:
  // Opens a trace file (recognised by its LQTRACE1 magic), a gst-launch pipeline description (a
  // *.gst / *.pipeline file holding one, or `path` itself when no such file exists and it has a
  // " ! " link) or a stream configuration JSON. Throws
  // std::runtime_error (StreamConfigError, CsvError, FormatError ...) with a message for the window; a
  // model that does not fit its stream is such an error. The session starts paused.
  static std::unique_ptr<Session> open(const std::filesystem::path& path);
  // The same, for a stream configuration, with models replaced: NAME=FILE as `liquid stream --model`.
  static std::unique_ptr<Session> open(const std::filesystem::path& path, const std::vector<std::string>& model_overrides);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& title() const { return title_; }
  bool is_trace_file() const { return trace_file_; }
  const std::vector<StreamInfo>& streams() const { return info_; }
  const pipeline::TraceLayout& layout() const { return layout_; }
  const pipeline::TraceRing& traces() const { return *trace_view_; }
  // One record per decision: stream = argmax, values = the head's outputs. Null for trace files.
  const pipeline::TraceRing* decisions() const { return decisions_.get(); }
  const std::vector<std::string>& decision_names() const { return decision_names_; }
  bool decisions_are_classes() const { return classes_; }
  const StreamLive& live(int stream) const { return live_[stream]; }
  // The configuration's models (name, file), for choosing another file for one of them.
  const std::vector<std::pair<std::string, std::filesystem::path>>& models() const { return models_; }
  const std::filesystem::path& path() const { return path_; }

  // Explanations of the decisions since the last call (JSON from FusionModel::explanation(), in
  // decision order, at most kExplanations kept); empty when the fusion gives none.
  struct Explanation {
    double time = 0.0;
    std::string json;
  };
  static constexpr size_t kExplanations = 2048;
  void take_explanations(std::vector<Explanation>& out);
  uint64_t explanations_skipped() const { return explanations_skipped_.load(std::memory_order_relaxed); }
  // The latest frame of a video stream (BGR, as decoded; empty until one arrived) and its time.
  // Copied at most every 40 ms of wall time, so a fast replay does not copy every frame.
  bool latest_frame(int stream, cv::Mat& out, double& time);

  virtual void start();
  virtual void pause();
  virtual void step();                 // one sample (or record) while paused
  virtual void set_speed(double speed);  // 0: as fast as possible
  // False when the session runs at its own pace (a GStreamer pipeline): speed and step do nothing.
  virtual bool paced() const { return true; }
  // Called by the window's timer on the GUI thread: a session that has events to take there does.
  virtual void poll_events() {}
  double speed() const;
  bool running() const;
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  uint64_t processed() const { return processed_.load(std::memory_order_relaxed); }
  // CPU seconds the worker thread (engine, encoders, sources) has used: what the GUI must not
  // raise, measurable on a busy machine where wall-clock throughput is not.
  double worker_cpu_seconds() const;
  std::string error() const;   // the worker's error, empty if none

  // Records the neuron trace (every traced stream) into `sink` from the next batch on; null stops
  // (the previous sink is destroyed on the worker, between batches). Engine and pipeline sessions;
  // a trace file throws.
  virtual void set_recorder(std::shared_ptr<pipeline::TraceSink> sink);

  // Runs everything as fast as possible on the calling thread (benchmarks, tests), no pacing.
  void run_to_end_for_benchmark();

  struct Feed;  // the worker's data source: engine + its sources, or a trace reader
  struct Handoff;  // explanations and frames, GUI <-> worker

 protected:
  Session();
  // Hands one decision's explanation to the GUI without waiting (skipped, and counted, when the GUI
  // holds the list at that instant). Any thread; one at a time.
  void offer_explanation(double time, const std::string& json);
  // Makes a frame slot for every stream of info_ (call once info_ is complete); then offer_frame
  // hands a video stream's latest frame (BGR) to the GUI, at most every 40 ms, never waiting.
  void keep_frames();
  void offer_frame(int stream, const cv::Mat& image, double time);

  // What the views read, filled by open() or a subclass.
  std::string title_;
  bool trace_file_ = false;
  std::vector<StreamInfo> info_;
  pipeline::TraceLayout layout_;
  const pipeline::TraceRing* trace_view_ = nullptr;  // own_ring_, or the trace feed's
  std::unique_ptr<pipeline::TraceRing> own_ring_;     // fed by the engine through a TraceSink
  std::unique_ptr<pipeline::TraceRing> decisions_;
  std::vector<std::string> decision_names_;
  bool classes_ = true;
  std::unique_ptr<StreamLive[]> live_;
  std::vector<std::pair<std::string, std::filesystem::path>> models_;
  std::filesystem::path path_;
  std::unique_ptr<Handoff> handoff_;
  std::atomic<uint64_t> explanations_skipped_{0};
  mutable std::mutex mutex_;  // guards running_, speed_, error_ (and the worker's controls)
  bool running_ = false;
  double speed_ = 1.0;
  std::string error_;
  std::atomic<bool> finished_{false};
  std::atomic<uint64_t> processed_{0};

 private:
  void worker();
  void launch();

  std::unique_ptr<Feed> feed_;
  std::condition_variable wake_;
  bool stop_ = false, anchored_ = false;
  bool recorder_changed_ = false;
  std::shared_ptr<pipeline::TraceSink> pending_recorder_;
  struct RecordSink;
  std::shared_ptr<RecordSink> record_sink_;
  int steps_ = 0;
  std::thread thread_;
};

}  // namespace liquid::gui
