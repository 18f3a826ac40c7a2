// Session (session.h): the worker thread, its pacing, and the two feeds it can drive.
#include "gui/session.h"

#include "gui/gst_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <pthread.h>
#include <time.h>

#include "lfm/model.h"
#include "pipeline/engine.h"
#include "pipeline/source_adapters.h"
#include "pipeline/stream_assembly.h"
#include "pipeline/stream_config.h"

namespace liquid::gui {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

// The worker's data: items in time order, consumed in batches.
struct Session::Feed {
  virtual ~Feed() = default;
  // The time of the next item; false at the end.
  virtual bool peek(double& time) = 0;
  // Consumes up to `max` items whose time is <= `until` (at least one if any is left).
  virtual size_t advance(double until, size_t max) = 0;
};

// What the worker hands to the GUI beside the rings: explanations and video frames. The worker only
// ever try_locks (a busy lock means the item is skipped and counted); the GUI locks briefly to swap.
struct Session::Handoff {
  std::mutex explanations_mutex;
  std::deque<Explanation> explanations;
  struct Frame {
    std::mutex mutex;
    cv::Mat image;
    double time = 0.0;
    bool fresh = false;
    Clock::time_point copied{};
  };
  std::unique_ptr<Frame[]> frames;  // one per stream (used by video streams only)
};

namespace {

// Hands a copy of a video frame (BGR) to the GUI: at most every 40 ms of wall time per stream, so
// a fast replay does not copy every frame, and skipped when the GUI is copying the previous one.
void hand_over_frame(Session::Handoff& handoff, int stream, const cv::Mat& image, double time) {
  Session::Handoff::Frame& slot = handoff.frames[stream];
  const Clock::time_point now = Clock::now();
  if (now - slot.copied < std::chrono::milliseconds(40)) return;
  std::unique_lock lock(slot.mutex, std::try_to_lock);
  if (!lock.owns_lock()) return;
  image.copyTo(slot.image);
  slot.time = time;
  slot.fresh = true;
  slot.copied = now;
}

// A stream configuration's sources, merged in time order (MergedSource, as "time_ordered": true
// runs them), each sample through its stream's encoder, the frames into the Engine. Only file
// sources: MQTT streams are live and would stall the time-ordered merge (refused at open).
class EngineFeed : public Session::Feed {
 public:
  pipeline::StreamSetup setup;
  std::vector<pipeline::ModelFile> models;
  pipeline::Engine engine;
  pipeline::StopFlag stop;
  pipeline::StreamSources built;
  std::unique_ptr<pipeline::MergedSource> merged;
  std::vector<int> route;  // merged source index -> engine stream id
  StreamLive* live = nullptr;
  Session::Handoff* handoff = nullptr;
  std::vector<unsigned char> is_video;

  explicit EngineFeed(pipeline::StreamSetup s) : setup(std::move(s)), engine(setup.engine) {}
  ~EngineFeed() override { stop.request(); }

  bool peek(double& time) override {
    if (!fill()) return false;
    time = pending_[next_].time;
    return true;
  }
  size_t advance(double until, size_t max) override {
    batch_.clear();
    while (batch_.size() < max && fill()) {
      encoders::FeatureFrame& f = pending_[next_];
      if (!batch_.empty() && f.time > until) break;
      batch_.push_back(std::move(f));
      ++next_;
    }
    if (batch_.empty()) return 0;
    engine.process(batch_);
    // Publish what the GUI shows (the engine itself is not shared): each frame in turn, so that the
    // last gap and times are the frames' own, up to the count the engine took of each stream (the
    // rest of a batch's frames of a stream were dropped as late, and are counted as such).
    for (const auto& f : batch_) {
      StreamLive& l = live[f.stream];
      const auto& stats = engine.stats(f.stream);
      l.dropped.store(stats.dropped_late, std::memory_order_relaxed);
      const uint64_t shown = l.samples.load(std::memory_order_relaxed);
      if (shown < stats.samples) l.publish(f.time, shown + 1);
    }
    return batch_.size();
  }

 private:
  // Makes sure a frame is pending; false at the end of every source (encoders flushed).
  bool fill() {
    while (next_ >= pending_.size()) {
      if (ended_) return false;
      pending_.clear();
      next_ = 0;
      if (!merged || !merged->next(sample_)) {
        ended_ = true;
        for (size_t r = 0; r < route.size(); ++r) encode_into(r, nullptr);
        continue;
      }
      const size_t r = static_cast<size_t>(sample_.stream);
      if (r >= route.size()) throw std::out_of_range("merged source gave a sample of stream " + std::to_string(r));
      if (const auto* frame = std::get_if<sensors::VideoFrame>(&sample_.payload);
          frame && is_video[route[r]] && !frame->image.empty())
        hand_over_frame(*handoff, route[r], frame->image, sample_.time);
      encode_into(r, &sample_);
    }
    return true;
  }
  void encode_into(size_t r, const sensors::TimedSample* sample) {
    const size_t first = pending_.size();
    encoders::Encoder& encoder = built.encoder(route[r]);
    if (sample) encoder.encode(*sample, pending_);
    else encoder.flush(pending_);
    for (size_t k = first; k < pending_.size(); ++k) pending_[k].stream = route[r];
  }
  std::vector<encoders::FeatureFrame> pending_, batch_;
  size_t next_ = 0;
  bool ended_ = false;
  sensors::TimedSample sample_;
};

// A recorded trace: records go into our own ring as the engine's would.
class TraceFeed : public Session::Feed {
 public:
  std::unique_ptr<pipeline::TraceReader> reader;
  std::unique_ptr<pipeline::TraceRing> ring;
  std::vector<int> index_of_id;  // trace stream id -> position in the layout (-1: unknown)
  StreamLive* live = nullptr;

  bool peek(double& time) override {
    if (!has_) has_ = reader->next(record_), at_end_ = !has_;
    if (at_end_) return false;
    time = record_.time;
    return true;
  }
  size_t advance(double until, size_t max) override {
    size_t n = 0;
    double time = 0.0;
    while (n < max && peek(time) && (n == 0 || time <= until)) {
      has_ = false;
      ++n;
      const int id = record_.stream;
      const int s = id >= 0 && id < static_cast<int>(index_of_id.size()) ? index_of_id[id] : -1;
      if (s < 0) continue;  // a stream the header does not list: skip rather than guess
      ring->write(time, s, record_.values);
      StreamLive& l = live[s];
      l.publish(time, l.samples.load(std::memory_order_relaxed) + 1);
    }
    return n;
  }

 private:
  pipeline::TraceRecord record_;
  bool has_ = false, at_end_ = false;
};

// The engine's own ring is made lazily on the worker (at the first process()), so the GUI cannot
// safely look for it; the session hands the engine a sink into a ring made before the worker runs.
class RingSink : public pipeline::TraceSink {
 public:
  explicit RingSink(pipeline::TraceRing& ring) : ring_(ring) {}
  void write(double time, int stream, std::span<const float> values) override { ring_.write(time, stream, values); }
  void flush() override {}

 private:
  pipeline::TraceRing& ring_;
};

}  // namespace

// Forwards the engine's trace to the recorder the GUI chose; touched by the worker only.
struct Session::RecordSink : public pipeline::TraceSink {
  std::shared_ptr<pipeline::TraceSink> target;
  void write(double time, int stream, std::span<const float> values) override {
    if (target) target->write(time, stream, values);
  }
  void flush() override {
    if (target) target->flush();
  }
};

namespace {

bool has_trace_magic(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return in.gcount() == 8 && std::memcmp(magic, "LQTRACE1", 8) == 0;
}

constexpr size_t kTraceRing = 1 << 16;  // records: ~2 s of a 30k-samples/s engine at 30 fps polling

}  // namespace

Session::Session() : handoff_(std::make_unique<Handoff>()) {}

std::unique_ptr<Session> Session::open(const std::filesystem::path& path) { return open(path, {}); }

std::unique_ptr<Session> Session::open(const std::filesystem::path& path, const std::vector<std::string>& model_overrides) {
  if (!std::filesystem::exists(path)) {
    if (looks_like_pipeline(path.string())) return open_pipeline(path.string(), path.string());
    throw std::runtime_error(path.string() + ": no such file");
  }
  if (path.extension() == ".gst" || path.extension() == ".pipeline")
    return open_pipeline(read_pipeline_file(path), path.filename().string());
  std::unique_ptr<Session> session(new Session());
  Session& s = *session;
  s.title_ = path.filename().string();
  s.path_ = path;
  if (has_trace_magic(path)) {
    auto feed = std::make_unique<TraceFeed>();
    feed->reader = std::make_unique<pipeline::TraceReader>(path);
    s.trace_file_ = true;
    s.layout_ = feed->reader->layout();
    if (s.layout_.streams.empty()) throw std::runtime_error(path.string() + ": the trace holds no streams");
    for (size_t i = 0; i < s.layout_.streams.size(); ++i) {
      const auto& ts = s.layout_.streams[i];
      if (ts.id < 0 || ts.id > 1'000'000) throw std::runtime_error(path.string() + ": stream id out of range");
      if (static_cast<int>(feed->index_of_id.size()) <= ts.id) feed->index_of_id.resize(ts.id + 1, -1);
      feed->index_of_id[ts.id] = static_cast<int>(i);
      StreamInfo info;
      info.name = ts.name;
      info.source = "trace file";
      info.values = ts.values;
      info.roles.assign(ts.values.size(), "");
      s.info_.push_back(std::move(info));
    }
    feed->ring = std::make_unique<pipeline::TraceRing>(kTraceRing, std::max(1, s.layout_.width));
    s.trace_view_ = feed->ring.get();
    s.live_ = std::make_unique<StreamLive[]>(s.info_.size());
    feed->live = s.live_.get();
    s.feed_ = std::move(feed);
    s.launch();
    return session;
  }


  // A `liquid stream` configuration, read, checked and assembled by the pipeline's own code.
  pipeline::StreamSetup setup = pipeline::parse_stream_config(path);
  for (const std::string& m : model_overrides) {  // NAME=FILE, as `liquid stream --model`
    const auto eq = m.find('=');
    auto it = std::find_if(setup.models.begin(), setup.models.end(),
                           [&](const auto& p) { return eq != std::string::npos && p.first == m.substr(0, eq); });
    if (it == setup.models.end())
      throw pipeline::StreamConfigError("model " + m + ": expected NAME=FILE, NAME a key of " + path.string() + "'s \"models\"");
    it->second = m.substr(eq + 1);
  }
  s.models_ = setup.models;
  for (size_t i = 0; i < setup.streams.size(); ++i)
    if (setup.streams[i].source.kind == pipeline::SourceKind::kMqtt)
      throw pipeline::StreamConfigError(path.string() + ": streams[" + std::to_string(i) + "] (" +
                                        setup.streams[i].engine.name +
                                        "): MQTT sources are live; the dashboard replays file sources only (use a trace "
                                        "recorded by `liquid stream`, outputs.trace)");
  // The dashboard paces the replay itself (speed, pause, step): the sources' own pacing is taken as
  // its initial speed and switched off, and every stream is traced, since the window shows neurons.
  s.speed_ = 0.0;
  for (pipeline::StreamSpec& spec : setup.streams) {
    if (spec.source.kind == pipeline::SourceKind::kCsv) s.speed_ = std::max(s.speed_, spec.source.speed);
    spec.source.speed = 0.0;
    spec.engine.trace = true;
  }
  auto feed = std::make_unique<EngineFeed>(std::move(setup));
  pipeline::StreamSetup& st = feed->setup;
  feed->models = pipeline::load_models(st);
  pipeline::add_streams(st, feed->models, feed->engine);
  pipeline::TraceRing* decisions = nullptr;
  std::unique_ptr<pipeline::FusionModel> head;
  try {
    head = pipeline::make_fusion(st, feed->models, feed->engine);
  } catch (const std::invalid_argument& e) {  // MultiHeadFusion: a head or rule that does not fit
    throw pipeline::StreamConfigError(path.string() + ": fusion: " + e.what());
  }
  if (head) {
    s.decision_names_ = head->names();
    s.classes_ = head->kind() == pipeline::HeadKind::kClasses;
    s.decisions_ = std::make_unique<pipeline::TraceRing>(4096, std::max<int>(1, static_cast<int>(s.decision_names_.size())));
    decisions = s.decisions_.get();
    Session* self = &s;
    feed->engine.set_fusion(std::move(head), [decisions, self](const pipeline::Decision& d) {
      decisions->write(d.time, d.argmax, d.values);
      if (!d.explanation.empty()) self->offer_explanation(d.time, d.explanation);
    });
  }
  s.layout_ = feed->engine.trace_layout();
  s.own_ring_ = std::make_unique<pipeline::TraceRing>(kTraceRing, std::max(1, s.layout_.width));
  feed->engine.add_trace_sink(std::make_shared<RingSink>(*s.own_ring_));
  s.record_sink_ = std::make_shared<RecordSink>();
  feed->engine.add_trace_sink(s.record_sink_);
  s.trace_view_ = s.own_ring_.get();

  feed->built = pipeline::build_sources(st, feed->models, feed->engine, false, feed->stop,
                                        std::make_shared<pipeline::InterruptibleClock>(feed->stop));
  std::vector<std::unique_ptr<sensors::Source>> parts;
  feed->is_video.assign(st.streams.size(), 0);
  s.info_.reserve(st.streams.size());
  for (size_t id = 0; id < st.streams.size(); ++id) {
    const pipeline::StreamSpec& spec = st.streams[id];
    const int engine_id = static_cast<int>(id);  // add_streams adds them in the file's order
    if (feed->built.sources[id]) {
      parts.push_back(std::move(feed->built.sources[id]));
      feed->route.push_back(engine_id);
    }
    feed->is_video[id] = spec.source.kind == pipeline::SourceKind::kVideo;

    StreamInfo info;
    info.name = spec.engine.name;
    info.model = spec.model;
    info.video = feed->is_video[id];
    static const char* const kKinds[] = {"csv", "wav", "video", "mqtt", "clips"};
    const std::filesystem::path& file =
        spec.source.kind == pipeline::SourceKind::kClips ? spec.source.schedule : spec.source.path;
    info.source = std::string(kKinds[static_cast<int>(spec.source.kind)]) + " " + file.filename().string() + " -> " + spec.model;
    info.timeout = std::isfinite(spec.engine.timeout) ? spec.engine.timeout : 0.0;
    // The trace layout lists the streams by id, all of them traced.
    const auto ls = std::find_if(s.layout_.streams.begin(), s.layout_.streams.end(),
                                 [&](const pipeline::TracedStream& t) { return t.id == engine_id; });
    if (ls != s.layout_.streams.end()) info.values = ls->values;
    describe_model(feed->engine.model(spec.engine.model), info);
    s.info_.push_back(std::move(info));
  }
  if (!parts.empty()) feed->merged = std::make_unique<pipeline::MergedSource>(std::move(parts));
  s.live_ = std::make_unique<StreamLive[]>(s.info_.size());
  s.keep_frames();
  feed->live = s.live_.get();
  feed->handoff = s.handoff_.get();
  s.feed_ = std::move(feed);
  s.launch();
  return session;
}

void describe_model(const lfm::Model& model, StreamInfo& info) {
  if (model.config().wired()) {
    info.wiring = *model.config().wiring;
    if (model.config().cell == lfm::CellKind::kLtc) {
      model.for_each_parameter([&](const lfm::ParamRef& p) {
        if (p.name.size() >= 2 && p.name.substr(p.name.size() - 2) == ".w" && p.name.find("sensory") == std::string::npos)
          info.synapse_weight = p.value->cwiseAbs();
      });
    }
  }
  info.roles.assign(info.values.size(), "");
  if (info.wiring)
    for (int k = 0; k < info.wiring->units() && k < static_cast<int>(info.roles.size()); ++k)
      info.roles[k] = std::string(lfm::neuron_type_name(info.wiring->neuron_type(k)));
}

void Session::keep_frames() { handoff_->frames = std::make_unique<Handoff::Frame[]>(info_.size()); }

void Session::offer_frame(int stream, const cv::Mat& image, double time) {
  if (handoff_->frames && stream >= 0 && stream < static_cast<int>(info_.size())) hand_over_frame(*handoff_, stream, image, time);
}

void Session::offer_explanation(double time, const std::string& json) {
  Handoff& h = *handoff_;
  std::unique_lock lock(h.explanations_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {  // the GUI is taking the list: skip rather than wait
    explanations_skipped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (h.explanations.size() >= kExplanations) {
    h.explanations.pop_front();
    explanations_skipped_.fetch_add(1, std::memory_order_relaxed);
  }
  h.explanations.push_back({time, json});
}

void Session::take_explanations(std::vector<Explanation>& out) {
  out.clear();
  std::deque<Explanation> taken;
  {
    std::lock_guard lock(handoff_->explanations_mutex);
    taken.swap(handoff_->explanations);
  }
  out.assign(std::make_move_iterator(taken.begin()), std::make_move_iterator(taken.end()));
}

bool Session::latest_frame(int stream, cv::Mat& out, double& time) {
  if (!handoff_->frames || stream < 0 || stream >= static_cast<int>(info_.size()) || !info_[stream].video) return false;
  Handoff::Frame& f = handoff_->frames[stream];
  std::lock_guard lock(f.mutex);
  if (f.image.empty()) return false;
  f.image.copyTo(out);
  time = f.time;
  f.fresh = false;
  return true;
}

void Session::launch() { thread_ = std::thread([this] { worker(); }); }

Session::~Session() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Session::start() {
  std::lock_guard lock(mutex_);
  running_ = true;
  anchored_ = false;
  wake_.notify_all();
}
void Session::pause() {
  std::lock_guard lock(mutex_);
  running_ = false;
  wake_.notify_all();
}
void Session::step() {
  std::lock_guard lock(mutex_);
  running_ = false;
  ++steps_;
  wake_.notify_all();
}
void Session::set_speed(double speed) {
  std::lock_guard lock(mutex_);
  speed_ = std::isfinite(speed) && speed > 0 ? speed : 0.0;
  anchored_ = false;  // the schedule restarts from the next item at the new speed
  wake_.notify_all();
}
double Session::speed() const {
  std::lock_guard lock(mutex_);
  return speed_;
}
bool Session::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}
std::string Session::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void Session::set_recorder(std::shared_ptr<pipeline::TraceSink> sink) {
  if (!record_sink_) throw std::runtime_error("only a running engine can be recorded, not a trace file");
  std::lock_guard lock(mutex_);
  pending_recorder_ = std::move(sink);
  recorder_changed_ = true;
  wake_.notify_all();
}

void Session::worker() {
  Clock::time_point anchor_wall;
  double anchor_time = 0.0;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || recorder_changed_ || ((running_ || steps_ > 0) && !finished_.load()); });
    if (stop_) return;
    if (recorder_changed_) {  // between batches: no record is half written
      recorder_changed_ = false;
      if (record_sink_->target) record_sink_->target->flush();
      record_sink_->target = std::move(pending_recorder_);
      pending_recorder_.reset();
      continue;
    }
    double time = 0.0;
    size_t max = 4096;
    double until = std::numeric_limits<double>::infinity();
    try {
      if (!feed_->peek(time)) {
        finished_.store(true, std::memory_order_release);
        running_ = false;
        continue;
      }
      if (steps_ > 0) {
        --steps_;
        max = 1;
      } else if (speed_ > 0) {
        const Clock::time_point now = Clock::now();
        if (!anchored_) anchored_ = true, anchor_wall = now, anchor_time = time;
        until = anchor_time + std::chrono::duration<double>(now - anchor_wall).count() * speed_;
        if (time > until) {  // not due yet: sleep until it is (or a control wakes us)
          const double wait = std::min((time - until) / speed_, 0.1);
          wake_.wait_for(lock, std::chrono::duration<double>(wait));
          continue;
        }
      }
      lock.unlock();
      const size_t n = feed_->advance(until, max);
      processed_.fetch_add(n, std::memory_order_relaxed);
      lock.lock();
    } catch (const std::exception& e) {
      if (!lock.owns_lock()) lock.lock();
      error_ = e.what();
      running_ = false;
      finished_.store(true, std::memory_order_release);
    }
  }
}

double Session::worker_cpu_seconds() const {
  clockid_t clock;
  timespec ts{};
  if (!thread_.joinable() || pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &clock) != 0 ||
      clock_gettime(clock, &ts) != 0)
    return 0.0;
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void Session::run_to_end_for_benchmark() {
  set_speed(0.0);
  start();
  while (!finished()) {
    poll_events();  // a pipeline learns its end from the bus
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace liquid::gui
