// Session (session.h): the worker thread, its pacing, and the two feeds it can drive.
#include "gui/session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <queue>

#include "encoders/series_features.h"
#include "gui/session_config.h"
#include "lfm/model.h"
#include "lfm/safetensors.h"
#include "pipeline/engine.h"
#include "sensors/csv_source.h"

namespace liquid::gui {

using Clock = std::chrono::steady_clock;

// The worker's data: items in time order, consumed in batches.
struct Session::Feed {
  virtual ~Feed() = default;
  // The time of the next item; false at the end.
  virtual bool peek(double& time) = 0;
  // Consumes up to `max` items whose time is <= `until` (at least one if any is left).
  virtual size_t advance(double until, size_t max) = 0;
};

namespace {

// CSV series -> SeriesFeatures -> Engine, frames merged across streams by time.
class EngineFeed : public Session::Feed {
 public:
  struct Stream {
    std::unique_ptr<sensors::CsvSource> source;
    std::unique_ptr<encoders::SeriesFeatures> encoder;
    std::vector<encoders::FeatureFrame> pending;
    size_t next = 0;
    bool ended = false;
    sensors::TimedSample sample;
  };
  pipeline::Engine engine;
  std::vector<Stream> streams;
  StreamLive* live = nullptr;

  explicit EngineFeed(pipeline::EngineConfig config) : engine(config) {}

  // The next frame of stream s, reading the source as needed; null at its end.
  encoders::FeatureFrame* front(int s) {
    Stream& st = streams[s];
    while (st.next >= st.pending.size() && !st.ended) {
      st.pending.clear();
      st.next = 0;
      if (!st.source->next(st.sample)) {
        st.ended = true;
        break;
      }
      st.encoder->encode(st.sample, st.pending);
      for (auto& f : st.pending) f.stream = s;
    }
    return st.next < st.pending.size() ? &st.pending[st.next] : nullptr;
  }
  // The stream whose next frame is earliest (ties: lower id), via a min-heap of (time, stream) so
  // thousands of streams cost log(n) per frame, not n.
  int earliest() {
    if (!heap_built_) {
      for (int s = 0; s < static_cast<int>(streams.size()); ++s)
        if (const encoders::FeatureFrame* f = front(s)) heap_.push({f->time, s});
      heap_built_ = true;
    }
    return heap_.empty() ? -1 : heap_.top().second;
  }
  void pop(int s) {  // the front of `s` was consumed: requeue its next frame
    heap_.pop();
    ++streams[s].next;
    if (const encoders::FeatureFrame* f = front(s)) heap_.push({f->time, s});
  }
  bool peek(double& time) override {
    const int s = earliest();
    if (s < 0) return false;
    time = front(s)->time;
    return true;
  }
  size_t advance(double until, size_t max) override {
    batch_.clear();
    while (batch_.size() < max) {
      const int s = earliest();
      if (s < 0) break;
      encoders::FeatureFrame& f = streams[s].pending[streams[s].next];
      if (!batch_.empty() && f.time > until) break;
      batch_.push_back(std::move(f));
      pop(s);
    }
    if (batch_.empty()) return 0;
    engine.process(batch_);
    for (const auto& f : batch_) {  // publish what the GUI shows; the engine itself is not shared
      StreamLive& l = live[f.stream];
      const uint64_t n = engine.stats(f.stream).samples;
      if (l.samples.load(std::memory_order_relaxed) == 0) l.first_time.store(f.time, std::memory_order_relaxed);
      else l.last_gap.store(f.time - l.last_time.load(std::memory_order_relaxed), std::memory_order_relaxed);
      l.last_time.store(f.time, std::memory_order_relaxed);
      l.dropped.store(engine.stats(f.stream).dropped_late, std::memory_order_relaxed);
      l.samples.store(n, std::memory_order_release);
    }
    return batch_.size();
  }

 private:
  std::vector<encoders::FeatureFrame> batch_;
  using Entry = std::pair<double, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  bool heap_built_ = false;
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
      const uint64_t count = l.samples.load(std::memory_order_relaxed);
      if (count == 0) l.first_time.store(time, std::memory_order_relaxed);
      else l.last_gap.store(time - l.last_time.load(std::memory_order_relaxed), std::memory_order_relaxed);
      l.last_time.store(time, std::memory_order_relaxed);
      l.samples.store(count + 1, std::memory_order_release);
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

bool has_trace_magic(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return in.gcount() == 8 && std::memcmp(magic, "LQTRACE1", 8) == 0;
}

constexpr size_t kTraceRing = 1 << 16;  // records: ~2 s of a 30k-samples/s engine at 30 fps polling

}  // namespace

std::unique_ptr<Session> Session::open(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw ConfigError(path.string() + ": no such file");
  std::unique_ptr<Session> session(new Session());
  Session& s = *session;
  s.title_ = path.filename().string();
  if (has_trace_magic(path)) {
    auto feed = std::make_unique<TraceFeed>();
    feed->reader = std::make_unique<pipeline::TraceReader>(path);
    s.trace_file_ = true;
    s.layout_ = feed->reader->layout();
    if (s.layout_.streams.empty()) throw ConfigError(path.string() + ": the trace holds no streams");
    for (size_t i = 0; i < s.layout_.streams.size(); ++i) {
      const auto& ts = s.layout_.streams[i];
      if (ts.id < 0 || ts.id > 1'000'000) throw ConfigError(path.string() + ": stream id out of range");
      if (static_cast<int>(feed->index_of_id.size()) <= ts.id) feed->index_of_id.resize(ts.id + 1, -1);
      feed->index_of_id[ts.id] = static_cast<int>(i);
      s.info_.push_back({ts.name, "trace file", ts.values, std::vector<std::string>(ts.values.size()), {}, {}, 0.0});
    }
    feed->ring = std::make_unique<pipeline::TraceRing>(kTraceRing, std::max(1, s.layout_.width));
    s.trace_view_ = feed->ring.get();
    s.live_ = std::make_unique<StreamLive[]>(s.info_.size());
    feed->live = s.live_.get();
    s.feed_ = std::move(feed);
    s.launch();
    return session;
  }

  const SessionConfig config = load_session_config(path);
  s.speed_ = config.speed;
  pipeline::EngineConfig engine_config;
  engine_config.decisions.mode = pipeline::DecisionMode::kPerSample;
  auto feed = std::make_unique<EngineFeed>(engine_config);
  int outputs = 0;
  for (size_t i = 0; i < config.streams.size(); ++i) {
    const StreamSpec& spec = config.streams[i];
    const std::string who = "stream '" + spec.name + "'";
    if (!std::filesystem::exists(spec.model)) throw ConfigError(who + ": model " + spec.model.string() + ": no such file");
    const lfm::SafetensorsFile file = lfm::SafetensorsFile::read_file(spec.model);
    auto model = std::make_shared<const lfm::Model>(lfm::Model::load(spec.model));
    sensors::CsvOptions csv;
    if (!spec.time_column.empty()) csv.time_column = spec.time_column;
    for (const auto& c : spec.columns) csv.value_columns.emplace_back(c);
    EngineFeed::Stream st;
    if (!std::filesystem::exists(spec.csv)) throw ConfigError(who + ": " + spec.csv.string() + ": no such file");
    st.source = std::make_unique<sensors::CsvSource>(spec.csv, csv, static_cast<int>(i));
    encoders::SeriesNormalization norm;
    if (auto it = file.metadata().find(encoders::kNormalizationKey); it != file.metadata().end())
      norm = encoders::SeriesNormalization::from_json(it->second, spec.model.string());
    const auto& columns = st.source->series().columns;
    st.encoder = std::make_unique<encoders::SeriesFeatures>(columns, norm,
                                                            encoders::SeriesFeaturesOptions{spec.masks, spec.time_since});
    if (st.encoder->width() != model->input_size()) {
      std::string names;
      for (const auto& c : columns) names += (names.empty() ? "" : ", ") + c;
      throw ConfigError(who + ": the model " + spec.model.filename().string() + " expects " +
                        std::to_string(model->input_size()) + " inputs, but the stream gives " +
                        std::to_string(st.encoder->width()) + " (" + names + (spec.masks ? " + masks" : "") +
                        (spec.time_since ? " + time since" : "") + ")");
    }
    pipeline::StreamConfig sc;
    sc.name = spec.name;
    sc.model = feed->engine.add_model(model);
    sc.trace = true;
    if (spec.timeout > 0) sc.timeout = spec.timeout;
    sc.late = pipeline::LatePolicy::kDrop;
    feed->engine.add_stream(sc);
    outputs += model->output_size();

    StreamInfo info;
    info.name = spec.name;
    info.source = spec.csv.filename().string() + " -> " + spec.model.filename().string();
    info.timeout = spec.timeout;
    if (model->config().wired()) {
      info.wiring = *model->config().wiring;
      if (model->config().cell == lfm::CellKind::kLtc) {
        model->for_each_parameter([&](const lfm::ParamRef& p) {
          if (p.name.size() >= 2 && p.name.substr(p.name.size() - 2) == ".w" &&
              p.name.find("sensory") == std::string::npos)
            info.synapse_weight = p.value->cwiseAbs();
        });
      }
    }
    s.info_.push_back(std::move(info));
    feed->streams.push_back(std::move(st));
  }

  // The head: identity over every output unless the configuration gives weights.
  const HeadSpec& head = config.head;
  std::vector<std::string> names = head.names;
  if (names.empty()) {
    if (!head.weight.empty()) throw ConfigError(path.string() + ": head.weight needs head.names");
    for (int k = 0; k < outputs; ++k) names.push_back("out" + std::to_string(k));
  }
  const int n = static_cast<int>(names.size());
  Eigen::MatrixXf weight = Eigen::MatrixXf::Zero(n, outputs);
  Eigen::VectorXf bias = Eigen::VectorXf::Zero(n);
  if (head.weight.empty()) {
    if (n != outputs)
      throw ConfigError(path.string() + ": head.names has " + std::to_string(n) + " names but the models give " +
                        std::to_string(outputs) + " outputs; add head.weight (names x outputs)");
    weight.setIdentity();
  } else {
    if (static_cast<int>(head.weight.size()) != n) throw ConfigError(path.string() + ": head.weight needs one row per name");
    for (int r = 0; r < n; ++r) {
      if (static_cast<int>(head.weight[r].size()) != outputs)
        throw ConfigError(path.string() + ": head.weight row " + std::to_string(r) + " has " +
                          std::to_string(head.weight[r].size()) + " values, the models give " + std::to_string(outputs));
      for (int c = 0; c < outputs; ++c) weight(r, c) = head.weight[r][c];
    }
  }
  if (!head.bias.empty()) {
    if (static_cast<int>(head.bias.size()) != n) throw ConfigError(path.string() + ": head.bias needs one value per name");
    for (int r = 0; r < n; ++r) bias(r) = head.bias[r];
  }
  s.decision_names_ = names;
  s.classes_ = head.classes;
  s.decisions_ = std::make_unique<pipeline::TraceRing>(4096, n);
  pipeline::TraceRing* decisions = s.decisions_.get();
  feed->engine.set_fusion(
      std::make_unique<pipeline::LinearHead>(head.classes ? pipeline::HeadKind::kClasses : pipeline::HeadKind::kValues,
                                             names, weight, bias),
      [decisions](const pipeline::Decision& d) { decisions->write(d.time, d.argmax, d.values); });
  s.layout_ = feed->engine.trace_layout();
  s.own_ring_ = std::make_unique<pipeline::TraceRing>(kTraceRing, std::max(1, s.layout_.width));
  feed->engine.add_trace_sink(std::make_shared<RingSink>(*s.own_ring_));
  s.trace_view_ = s.own_ring_.get();
  for (size_t i = 0; i < s.info_.size() && i < s.layout_.streams.size(); ++i) {
    StreamInfo& info = s.info_[i];
    info.values = s.layout_.streams[i].values;
    info.roles.assign(info.values.size(), "");
    if (info.wiring) {
      for (int k = 0; k < info.wiring->units() && k < static_cast<int>(info.roles.size()); ++k)
        info.roles[k] = std::string(lfm::neuron_type_name(info.wiring->neuron_type(k)));
    }
  }
  s.live_ = std::make_unique<StreamLive[]>(s.info_.size());
  feed->live = s.live_.get();
  s.feed_ = std::move(feed);
  s.launch();
  return session;
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

void Session::worker() {
  Clock::time_point anchor_wall;
  double anchor_time = 0.0;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || ((running_ || steps_ > 0) && !finished_.load()); });
    if (stop_) return;
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

void Session::run_to_end_for_benchmark() {
  set_speed(0.0);
  start();
  while (!finished()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace liquid::gui
