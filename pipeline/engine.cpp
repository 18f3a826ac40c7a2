// The streaming engine's core; engine.h says what it promises about time, batching and decisions.
#include "pipeline/engine.h"
#include "pipeline/engine_group.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace liquid::pipeline {

Engine::Engine(EngineConfig config) : config_(std::move(config)) {
  if (config_.max_batch < 1) throw std::invalid_argument("EngineConfig.max_batch must be at least 1");
  if (config_.step_threads < 1) throw std::invalid_argument("EngineConfig.step_threads must be at least 1");
  if (config_.decisions.mode == DecisionMode::kRate && !(config_.decisions.period > 0.0))
    throw std::invalid_argument("DecisionConfig.period must be positive seconds for the rate mode, got " +
                                std::to_string(config_.decisions.period));
  batch_ = static_cast<int>(std::bit_ceil(static_cast<unsigned>(config_.max_batch)));
}

Engine::~Engine() = default;

int Engine::add_model(std::shared_ptr<const lfm::Model> model) {
  if (finalized_) throw std::logic_error("Engine::add_model: models must be added before the first process()");
  if (!model) throw std::invalid_argument("Engine::add_model: model is null");
  if (model->config().backbone())
    throw std::invalid_argument("Engine::add_model: the engine batches cells across streams (CfC, LTC); a backbone "
                                "model (" + model->config().describe() + ") runs one stream through Model::step");
  auto g = std::make_unique<Group>();
  g->in = model->input_size();
  g->state = model->state_size();
  g->out = model->output_size();
  g->mixed = model->config().mixed_memory;
  g->model = std::move(model);
  groups_.push_back(std::move(g));
  return static_cast<int>(groups_.size()) - 1;
}

int Engine::add_stream(StreamConfig config) {
  if (finalized_) throw std::logic_error("Engine::add_stream: streams must be added before the first process()");
  if (config.model < 0 || config.model >= static_cast<int>(groups_.size()))
    throw std::invalid_argument("stream '" + config.name + "': model " + std::to_string(config.model) +
                                " does not exist (" + std::to_string(groups_.size()) + " models added)");
  if (!std::isfinite(config.first_dt) || config.first_dt < 0)
    throw std::invalid_argument("stream '" + config.name + "': first_dt must be finite and >= 0 seconds");
  if (!(config.timeout > 0)) throw std::invalid_argument("stream '" + config.name + "': timeout must be positive seconds");
  if (!std::isfinite(config.dt_scale) || !(config.dt_scale > 0))
    throw std::invalid_argument("stream '" + config.name + "': dt_scale must be finite and positive");
  Group& g = *groups_[config.model];
  if (config.trace_inputs && !config.input_names.empty() && static_cast<int>(config.input_names.size()) != g.in)
    throw std::invalid_argument("stream '" + config.name + "': " + std::to_string(config.input_names.size()) +
                                " input names, expected " + std::to_string(g.in) + " (the model's input_size)");
  Stream s;
  s.group = config.model;
  s.column = g.streams++;
  s.output_offset = static_cast<int>(latest_.size());
  s.output_size = g.out;
  latest_.resize(latest_.size() + g.out, 0.0f);
  s.config = std::move(config);
  streams_.push_back(std::move(s));
  return static_cast<int>(streams_.size()) - 1;
}

void Engine::set_fusion(std::unique_ptr<FusionModel> fusion, DecisionCallback on_decision) {
  if (finalized_) throw std::logic_error("Engine::set_fusion: the fusion must be set before the first process()");
  if (!fusion) throw std::invalid_argument("Engine::set_fusion: fusion model is null");
  if (fusion->input_size() != static_cast<int>(latest_.size()))
    throw std::invalid_argument("Engine::set_fusion: the fusion model takes " + std::to_string(fusion->input_size()) +
                                " inputs, but the " + std::to_string(streams_.size()) + " streams give " +
                                std::to_string(latest_.size()) + " (their outputs concatenated)");
  fusion_ = std::move(fusion);
  on_decision_ = std::move(on_decision);
}

void Engine::add_trace_sink(std::shared_ptr<TraceSink> sink) {
  if (!sink) throw std::invalid_argument("Engine::add_trace_sink: sink is null");
  sinks_.push_back(std::move(sink));
}

TraceLayout Engine::trace_layout() const {
  TraceLayout layout;
  for (int id = 0; id < stream_count(); ++id) {
    const Stream& s = streams_[id];
    if (!s.config.trace) continue;
    const Group& g = *groups_[s.group];
    TracedStream t{id, s.config.name, {}};
    // name.append() rather than "h" + to_string(k): GCC 12 warns falsely on the latter (bug 105329).
    for (int k = 0; k < g.state; ++k) t.values.push_back(std::string("h").append(std::to_string(k)));
    if (s.config.trace_inputs)
      for (int k = 0; k < g.in; ++k)
        t.values.push_back(s.config.input_names.empty() ? std::string("x").append(std::to_string(k))
                                                        : s.config.input_names[k]);
    layout.width = std::max(layout.width, static_cast<int>(t.values.size()));
    layout.streams.push_back(std::move(t));
  }
  return layout;
}

void Engine::finalize() {
  if (streams_.empty()) throw std::logic_error("Engine::process: no streams; call add_stream first");
  if (config_.decisions.mode != DecisionMode::kNone && !fusion_)
    throw std::logic_error("Engine::process: decisions are configured but there is no fusion model (set_fusion)");
  const int levels = std::countr_zero(static_cast<unsigned>(batch_)) + 1;
  for (auto& gp : groups_) {
    Group& g = *gp;
    g.h = Eigen::MatrixXf::Zero(g.state, g.streams);
    g.c = Eigen::MatrixXf::Zero(g.mixed ? g.state : 0, g.streams);
    if (g.streams == 0) continue;
    g.scratch.resize(config_.step_threads);
    for (auto& sc : g.scratch) {
      sc.x.resize(g.in, batch_);
      sc.h.resize(g.state, batch_);
      sc.c.resize(g.mixed ? g.state : 0, batch_);
      sc.y.resize(g.out, batch_);
      sc.ts.resize(batch_);
      for (int k = 0; k < levels; ++k) sc.ws.push_back(g.model->make_workspace(1 << k));
    }
  }
  direct_latest_ = config_.decisions.mode == DecisionMode::kNone;
  trace_width_ = trace_layout().width;
  trace_row_.resize(trace_width_);
  if (config_.trace_ring > 0 && trace_width_ > 0) ring_ = std::make_unique<TraceRing>(config_.trace_ring, trace_width_);
  if (config_.step_threads > 1) pool_ = std::make_unique<WorkerPool>(config_.step_threads);
  if (fusion_) {
    decision_.names = std::make_shared<const std::vector<std::string>>(fusion_->names());
    fusion_in_.resize(latest_.size());
    fusion_out_.resize(fusion_->names().size());
    fresh_mask_.resize(streams_.size());
    decision_.fresh.reserve(streams_.size());
    decision_.stale.reserve(streams_.size());
  }
  finalized_ = true;
}

void Engine::process(std::span<const encoders::FeatureFrame> frames) {
  if (!finalized_) finalize();
  // Chunks bound the per-call scratch (item outputs and traces) whatever the caller hands over.
  constexpr size_t kChunk = size_t{1} << 16;
  for (size_t pos = 0; pos < frames.size(); pos += kChunk)
    process_chunk(frames.subspan(pos, std::min(kChunk, frames.size() - pos)));
}

void Engine::process_chunk(std::span<const encoders::FeatureFrame> frames) {
  items_.clear();
  touched_.clear();
  std::string error;
  bool late = false;
  int y_total = 0, trace_total = 0, rounds = 0;
  for (const encoders::FeatureFrame& f : frames) {
    if (f.stream < 0 || f.stream >= stream_count()) {
      error = "frame at t=" + std::to_string(f.time) + " is for stream " + std::to_string(f.stream) +
              ", which does not exist (ids are 0.." + std::to_string(stream_count() - 1) + ")";
      break;
    }
    Stream& s = streams_[f.stream];
    const Group& g = *groups_[s.group];
    if (static_cast<int>(f.values.size()) != g.in) {
      error = "stream '" + s.config.name + "': frame at t=" + std::to_string(f.time) + " has " +
              std::to_string(f.values.size()) + " values, expected " + std::to_string(g.in) + " (the model's input_size)";
      break;
    }
    if (!std::isfinite(f.time)) {
      error = "stream '" + s.config.name + "': frame time is not finite";
      break;
    }
    // A NaN or infinity would stay in the cell state for good: refuse it here, by name.
    if (!Eigen::Map<const Eigen::ArrayXf>(f.values.data(), g.in).allFinite()) {
      error = "stream '" + s.config.name + "': frame at t=" + std::to_string(f.time) +
              " has a value that is not finite (encoders must fill or mask missing values)";
      break;
    }
    if (s.has_time && f.time < s.last_time) {
      if (s.config.late == LatePolicy::kDrop) {
        ++s.stats.dropped_late;
        continue;
      }
      error = "stream '" + s.config.name + "': sample at t=" + std::to_string(f.time) +
              " is older than its last sample at t=" + std::to_string(s.last_time) + " (late policy: reject)";
      late = true;
      break;
    }
    const bool reset = s.has_time && f.time - s.last_time > s.config.reset_after;
    const double dt = (s.has_time && !reset ? f.time - s.last_time : s.config.first_dt) * s.config.dt_scale;
    s.has_time = true;
    s.last_time = f.time;
    if (s.round == 0) touched_.push_back(f.stream);
    const int round = s.round++;
    rounds = std::max(rounds, round + 1);
    int trace_offset = -1;
    if (s.config.trace) {
      trace_offset = trace_total;
      trace_total += g.state;
    }
    items_.push_back({&f, f.stream, round, static_cast<float>(dt), y_total, trace_offset, reset});
    y_total += g.out;
  }
  for (int id : touched_) streams_[id].round = 0;

  item_y_.resize(direct_latest_ ? 0 : y_total);
  item_trace_.resize(trace_total);
  // Counting sort by round: order_ lists the items round by round, in arrival order within one.
  round_count_.assign(rounds + 1, 0);
  for (const Item& it : items_) ++round_count_[it.round + 1];
  for (int r = 0; r < rounds; ++r) round_count_[r + 1] += round_count_[r];
  order_.resize(items_.size());
  {
    std::vector<int>& next = touched_;  // reused as the fill cursors
    next.assign(round_count_.begin(), round_count_.end() - 1);
    for (size_t i = 0; i < items_.size(); ++i) order_[next[items_[i].round]++] = static_cast<int>(i);
  }
  step_items();
  replay();
  if (!error.empty()) {
    if (late) throw LateSampleError(error);
    throw std::invalid_argument(error);
  }
}

void Engine::step_items() {
  const int rounds = static_cast<int>(round_count_.size()) - 1;
  for (int r = 0; r < rounds; ++r) {
    // One task per run of up to batch_ columns of one model. With several models a round is first
    // ordered by model (stable, so per-stream order is untouched: a stream appears once a round).
    const int first = round_count_[r], end = round_count_[r + 1];
    if (groups_.size() > 1) {
      auto group_of = [&](int i) { return streams_[items_[order_[i]].stream].group; };
      group_count_.assign(groups_.size() + 1, 0);
      for (int i = first; i < end; ++i) ++group_count_[group_of(i) + 1];
      for (size_t k = 1; k < group_count_.size(); ++k) group_count_[k] += group_count_[k - 1];
      sorted_.resize(end - first);
      for (int i = first; i < end; ++i) sorted_[group_count_[group_of(i)]++] = order_[i];
      std::copy(sorted_.begin(), sorted_.end(), order_.begin() + first);
    }
    tasks_.clear();
    for (int i = first; i < end;) {
      const int group = streams_[items_[order_[i]].stream].group;
      int j = i;
      while (j < end && j - i < batch_ && streams_[items_[order_[j]].stream].group == group) ++j;
      tasks_.push_back({group, i, j - i});
      i = j;
    }
    auto fn = [this](int thread, int task) { run_task(thread, tasks_[task]); };
    if (pool_)
      pool_->run(static_cast<int>(tasks_.size()), fn);
    else
      for (size_t t = 0; t < tasks_.size(); ++t) fn(0, static_cast<int>(t));
  }
}

void Engine::run_task(int thread, const Task& task) {
  Group& g = *groups_[task.group];
  Group::Scratch& sc = g.scratch[thread];
  const int b = task.count;
  // The columns of a round belong to streams scattered over the state matrix (and their frames'
  // values over the heap): prefetching a few columns ahead hides most of those cache misses.
  constexpr int kAhead = 16;
  auto prefetch = [&](int j) {
    const Item& it = items_[order_[task.first + j]];
    const float* h = g.h.col(streams_[it.stream].column).data();
    for (int k = 0; k < g.state; k += 16) __builtin_prefetch(h + k);
    __builtin_prefetch(it.frame->values.data());
    if (direct_latest_) {
      const float* y = latest_.data() + streams_[it.stream].output_offset;
      for (int k = 0; k < g.out; k += 16) __builtin_prefetch(y + k, 1);
    }
  };
  for (int j = 0; j < std::min(kAhead, b); ++j) prefetch(j);
  for (int j = 0; j < b; ++j) {
    if (j + kAhead < b) prefetch(j + kAhead);
    const Item& it = items_[order_[task.first + j]];
    const int col = streams_[it.stream].column;
    sc.x.col(j) = Eigen::Map<const Eigen::VectorXf>(it.frame->values.data(), g.in);
    if (it.reset) {
      sc.h.col(j).setZero();
      if (g.mixed) sc.c.col(j).setZero();
    } else {
      sc.h.col(j) = g.h.col(col);
      if (g.mixed) sc.c.col(j) = g.c.col(col);
    }
    sc.ts(j) = it.dt;
  }
  int off = 0;
  for (int k = static_cast<int>(sc.ws.size()) - 1; k >= 0; --k) {
    const int size = 1 << k;
    for (; b - off >= size; off += size)
      g.model->step_batch(sc.x.middleCols(off, size), sc.h.middleCols(off, size), sc.c.middleCols(off, size),
                          sc.ts.segment(off, size), sc.y.middleCols(off, size), sc.ws[k]);
  }
  for (int j = 0; j < b; ++j) {
    const Item& it = items_[order_[task.first + j]];
    const int col = streams_[it.stream].column;
    g.h.col(col) = sc.h.col(j);
    if (g.mixed) g.c.col(col) = sc.c.col(j);
    // Without decisions nothing needs each sample's output later: it goes straight to latest_
    // (rounds run in order, so a stream's last sample writes last).
    float* y = direct_latest_ ? latest_.data() + streams_[it.stream].output_offset : item_y_.data() + it.y_offset;
    Eigen::Map<Eigen::VectorXf>(y, g.out) = sc.y.col(j);
    if (it.trace_offset >= 0) Eigen::Map<Eigen::VectorXf>(item_trace_.data() + it.trace_offset, g.state) = sc.h.col(j);
  }
}

void Engine::replay() {
  const DecisionMode mode = config_.decisions.mode;
  for (const Item& it : items_) {
    Stream& s = streams_[it.stream];
    const Group& g = *groups_[s.group];
    const double t = it.frame->time;
    if (mode == DecisionMode::kRate) check_rate(t);  // decisions due before this sample
    if (!direct_latest_) std::copy_n(item_y_.data() + it.y_offset, g.out, latest_.data() + s.output_offset);
    s.fused_time = t;
    ++s.stats.samples;
    ++samples_;
    if (it.trace_offset >= 0) {
      std::copy_n(item_trace_.data() + it.trace_offset, g.state, trace_row_.data());
      int n = g.state;
      if (s.config.trace_inputs) {
        std::copy_n(it.frame->values.data(), g.in, trace_row_.data() + n);
        n += g.in;
      }
      const std::span<const float> row(trace_row_.data(), n);
      if (ring_) ring_->write(t, it.stream, row);
      for (auto& sink : sinks_) sink->write(t, it.stream, row);
    }
    if (mode == DecisionMode::kPerSample) decide(t, false);
    if (mode == DecisionMode::kOnChange) decide(t, true);
  }
}

int Engine::stream_id(const std::string& name) const {
  for (int id = 0; id < stream_count(); ++id)
    if (streams_[id].config.name == name) return id;
  throw std::invalid_argument("no stream named '" + name + "'");
}

Eigen::VectorXf Engine::state(int id) const {
  const Stream& s = streams_.at(id);
  const Group& g = *groups_[s.group];
  if (!finalized_) return Eigen::VectorXf::Zero(g.state);
  return g.h.col(s.column);
}

std::span<const float> Engine::latest_output(int id) const {
  const Stream& s = streams_.at(id);
  return {latest_.data() + s.output_offset, static_cast<size_t>(groups_[s.group]->out)};
}

size_t Engine::bytes_per_stream() const {
  if (streams_.empty()) return 0;
  size_t total = 0;
  for (const Stream& s : streams_) {
    const Group& g = *groups_[s.group];
    total += sizeof(Stream) + s.config.input_names.capacity() * sizeof(std::string);
    if (s.config.name.capacity() > std::string().capacity()) total += s.config.name.capacity() + 1;  // past SSO
    total += sizeof(float) * g.state * (g.mixed ? 2 : 1);  // the state matrices' column
    total += sizeof(float) * g.out * (fusion_ ? 2 : 1);    // latest output (and the fusion input)
    if (fusion_) total += 1 + 2 * sizeof(int);             // fresh mask, room in the fresh/stale lists
  }
  return total / streams_.size();
}

}  // namespace liquid::pipeline
