// The streaming engine's core: many streams, each driving its own liquid cell across the real time
// since its previous sample, fused into decisions, traced neuron by neuron. Single-threaded and
// synchronous (process() returns when the frames are applied); runner.h puts it on a worker thread
// behind bounded queues.
//
// Streams and time. A stream has a name, a model (streams of one modality share one immutable
// lfm::Model), its own clock in seconds, its own cell state and its own last time. A sample steps
// the cell by exactly dt = time - last time of that stream: no resampling, so a late or dropped
// sample is just a longer gap. The first sample of a stream integrates StreamConfig::first_dt
// (default 0) from the zero state. A sample at the stream's last time integrates dt = 0: an LTC
// then leaves its state alone, but a CfC does not (its time gate sigmoid(t_a * 0 + t_b) still mixes
// ff1 and ff2, so h moves towards that mix), which is ncps's behaviour too. A sample older than the
// stream's last time follows the stream's LatePolicy: kReject throws LateSampleError, kDrop skips it
// and counts it; nothing is ever reordered.
//
// Batching. process() takes many frames at once (the runner hands it whatever the queues hold).
// Frames are applied in order per stream, but the cells of different streams step together: the
// k-th pending sample of every stream forms round k, and each round's columns are gathered from the
// column-major state matrix into step_batch calls of up to max_batch columns. With step_threads > 1
// the touched streams are shared out whole among the threads (about the same number of samples
// each), and each thread runs all rounds of its streams without waiting for the others. Every column
// gets the same numbers as Model::step one sample at a time.
//
// Fusion and decisions. After the cells, the frames are replayed in arrival order: each updates its
// stream's latest output, the trace, and the decision logic, so decisions are exactly what
// sample-by-sample processing would give. A fusion model may also ask to decide at a time of its
// own (FusionModel::next_wake: a spoken command is committed 0.25 s after the voice went silent),
// which the engine does before applying any later sample. Staleness and the decision rate compare times of
// different streams, so streams fused together must share a time base (say Unix seconds).
//
// State that survives: save_state() copies out everything that changes while the engine runs
// (every model's state matrices, every stream's clock, counters and latest output, the decision
// clock and last decision, the fusion model's own state) as an EngineState, and restore_state()
// puts it back bit for bit; pipeline/checkpoint.h writes it to a file. The configuration (models,
// streams, fusion) is not in it: an engine is set up from its configuration, then restored.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "encoders/feature_frame.h"
#include "lfm/model.h"
#include "pipeline/fusion.h"
#include "pipeline/trace.h"
#include "pipeline/worker_pool.h"

namespace liquid::pipeline {

enum class LatePolicy { kReject, kDrop };

class LateSampleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StreamConfig {
  std::string name{};
  int model = 0;                                            // from Engine::add_model
  LatePolicy late = LatePolicy::kReject;
  double first_dt = 0.0;                                    // seconds the first sample integrates
  double timeout = std::numeric_limits<double>::infinity();  // stale after this long without a sample
  bool trace = false;                                       // record h after every step
  bool trace_inputs = false;                                // ... followed by the input vector
  // The cell steps dt * dt_scale: the model's time unit when it is not the second (a model
  // trained on gaps in minutes takes 1/60). The stream's clock, timeout and decisions stay in seconds.
  double dt_scale = 1.0;
  // A gap longer than this (seconds) starts the cell afresh: zero state, first_dt integrated, as
  // the stream's first sample. For streams of separate episodes (utterances of a gated microphone)
  // whose model was trained from the zero state. Default: never.
  double reset_after = std::numeric_limits<double>::infinity();
  std::vector<std::string> input_names{};                   // trace column names (default x0, x1, ...)
};

enum class DecisionMode {
  kNone,       // no fusion (cells and traces only)
  kPerSample,  // one decision after every sample
  kRate,       // one decision at every multiple of `period` in stream time
  kOnChange,   // after a sample, only if the argmax changed or a value moved more than `threshold`
};

struct DecisionConfig {
  DecisionMode mode = DecisionMode::kNone;
  double period = 1.0;     // kRate, seconds
  float threshold = 0.0f;  // kOnChange with a kValues head
};

struct EngineConfig {
  int max_batch = 256;     // columns per step_batch call; rounded up to a power of two
  int step_threads = 1;    // threads sharing the cell steps, the calling thread included
  DecisionConfig decisions{};
  size_t trace_ring = 0;   // records in the live trace ring; 0: no ring
};

struct StreamStats {
  uint64_t samples = 0;       // applied
  uint64_t dropped_late = 0;  // older than the stream's last time, with LatePolicy::kDrop
};

// Everything an Engine changes while it runs (see "State that survives" above).
struct EngineState {
  std::vector<Eigen::MatrixXf> h, c;            // per model: state_size x (its streams); c: mixed memory
  std::vector<unsigned char> has_time;          // per stream
  std::vector<double> last_time, fused_time;    // per stream
  std::vector<uint64_t> samples, dropped_late;  // per stream
  std::vector<float> latest;                    // every stream's latest output, concatenated by id
  uint64_t total_samples = 0;
  // Decisions: the rate clock and the last decision (on-change compares against it).
  bool rate_started = false, has_decision = false;
  int64_t next_boundary = 0;
  double decision_time = 0.0;
  std::vector<float> decision_values;
  int decision_argmax = -1;
  uint64_t decision_samples = 0;
  std::vector<double> fusion;  // FusionModel::state()
};

class Engine {
 public:
  using DecisionCallback = std::function<void(const Decision&)>;

  explicit Engine(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Set up, in this order, before the first process(): models, streams, then fusion and traces.
  int add_model(std::shared_ptr<const lfm::Model> model);
  int add_stream(StreamConfig config);  // returns the id frames carry (0, 1, 2, ...)
  // The head's input_size must be the sum of every stream's model output_size.
  void set_fusion(std::unique_ptr<FusionModel> fusion, DecisionCallback on_decision);
  void add_trace_sink(std::shared_ptr<TraceSink> sink);
  TraceLayout trace_layout() const;
  const TraceRing* trace_ring() const { return ring_.get(); }

  // Applies the frames in order. A frame with an unknown stream, the wrong number of values, a
  // time or value that is not finite, or a late frame of a kReject stream, throws (invalid_argument or
  // LateSampleError) after the frames before it were applied; the frames after it are not.
  void process(std::span<const encoders::FeatureFrame> frames);
  void process(const encoders::FeatureFrame& frame) { process({&frame, 1}); }
  // A clock tick when no sample comes: kRate emits the decisions due before `time`, and every mode
  // with decisions those the fusion model asked for up to `time` (FusionModel::next_wake).
  void advance_to(double time);

  int stream_count() const { return static_cast<int>(streams_.size()); }
  int stream_id(const std::string& name) const;  // throws if unknown
  const std::string& stream_name(int id) const { return streams_.at(id).config.name; }
  const StreamStats& stats(int id) const { return streams_.at(id).stats; }
  bool has_reported(int id) const { return streams_.at(id).has_time; }
  double last_time(int id) const { return streams_.at(id).last_time; }
  Eigen::VectorXf state(int id) const;                      // h (copy)
  std::span<const float> latest_output(int id) const;       // the model output of the last sample
  uint64_t samples() const { return samples_; }

  // The configuration, for checkpoints (pipeline/checkpoint.cpp compares it) and tools.
  const EngineConfig& config() const { return config_; }
  int model_count() const { return static_cast<int>(groups_.size()); }
  const lfm::Model& model(int index) const;
  const StreamConfig& stream_config(int id) const { return streams_.at(id).config; }
  const FusionModel* fusion() const { return fusion_.get(); }
  // Copies the whole mutable state out / back. restore_state() sets the engine up (as the first
  // process() would) and throws std::invalid_argument when a size does not match this engine.
  EngineState save_state() const;
  void restore_state(const EngineState& state);
  // Bytes the engine holds per stream: state, latest output, clocks, counters, configuration.
  size_t bytes_per_stream() const;

 private:
  struct Group;
  struct Stream {
    StreamConfig config;
    int group = 0, column = 0;  // column in the group's state matrices
    int output_offset = 0;      // in latest_ (= the fusion input)
    int output_size = 0;        // the model's
    int round = 0;              // scratch while batching: samples of this stream so far
    int part = 0;               // scratch while batching: the thread share that steps it
    bool has_time = false;
    double last_time = 0.0;   // the stream's clock: time of its last accepted sample
    double fused_time = 0.0;  // time of the sample in latest_ (lags last_time only inside process())
    StreamStats stats;
  };
  struct Item {
    const encoders::FeatureFrame* frame;
    int stream, column, round;
    int key;  // (thread share, round, model): the order the cells step in
    float dt;
    int x_offset, y_offset, trace_offset;  // into item_x_, item_y_, item_trace_ (-1: not traced)
    bool reset;                  // start from the zero state (StreamConfig::reset_after)
  };
  struct Run {
    int group, first, count;  // order_[first, first + count): one step_batch of one model
  };

  void finalize();
  void process_chunk(std::span<const encoders::FeatureFrame> frames);
  void partition(int rounds);
  void step_items();
  void run_steps(int thread, const Run& run);
  void replay();
  void decide(double time, bool on_change);
  void check_rate(double time);
  void wake_until(double time);  // FusionModel::next_wake() decisions before `time`

  EngineConfig config_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<Stream> streams_;
  std::unique_ptr<FusionModel> fusion_;
  DecisionCallback on_decision_;
  std::vector<std::shared_ptr<TraceSink>> sinks_;
  std::unique_ptr<TraceRing> ring_;
  std::unique_ptr<WorkerPool> pool_;
  bool finalized_ = false;
  bool direct_latest_ = false;  // no decisions: outputs go straight to latest_
  int batch_ = 256;  // max_batch rounded up to a power of two
  int trace_width_ = 0;

  std::vector<float> latest_;  // every stream's latest output, concatenated by id
  uint64_t samples_ = 0;

  // Decision state.
  Decision decision_;
  std::vector<float> fusion_in_, fusion_out_;
  std::vector<unsigned char> fresh_mask_;
  bool has_decision_ = false;
  bool rate_started_ = false;
  int64_t next_boundary_ = 0;  // kRate: next decision at next_boundary_ * period

  // Per-call scratch, kept to avoid allocation.
  std::vector<Item> items_;
  std::vector<int> order_, touched_, key_count_, cursor_;
  std::vector<Run> runs_;
  std::vector<int> part_runs_;  // runs_[part_runs_[p], part_runs_[p + 1]) belong to share p
  std::vector<float> item_x_, item_y_, item_trace_, trace_row_;
};

}  // namespace liquid::pipeline
