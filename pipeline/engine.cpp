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
  g->output_row = model->output_row_in_state();
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
  // Without decisions a stream's latest output is only ever read through latest_output(), which
  // can read it from the state when it is a copy of part of it: one scattered write less a step.
  for (auto& g : groups_) g->latest_in_state = direct_latest_ && g->output_row >= 0;
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
  item_x_.clear();
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
    // The item carries what the cell step reads (the column, a copy of the values), so the
    // threads' gathers touch neither the Stream records nor the frames.
    items_.push_back({&f, f.stream, s.column, round, 0, static_cast<float>(dt), static_cast<int>(item_x_.size()), y_total,
                      trace_offset, reset});
    item_x_.insert(item_x_.end(), f.values.begin(), f.values.end());
    y_total += g.out;
  }
  item_y_.resize(direct_latest_ ? 0 : y_total);
  item_trace_.resize(trace_total);
  partition(rounds);
  step_items();
  replay();
  if (!error.empty()) {
    if (late) throw LateSampleError(error);
    throw std::invalid_argument(error);
  }
}

void Engine::partition(int rounds) {
  // Streams are independent, so each thread takes a share of the touched streams (whole streams,
  // about items / threads samples each) and steps all their rounds in order without waiting for the
  // other threads: one fork-join per chunk instead of one per round. A share is then sorted by
  // round, and within a round by model, into runs of up to batch_ columns.
  const int parts = pool_ && static_cast<int>(items_.size()) >= 2 * batch_ ? pool_->threads() : 1;
  const size_t per_part = (items_.size() + parts - 1) / parts;
  size_t assigned = 0;
  for (int id : touched_) {
    Stream& s = streams_[id];
    s.part = static_cast<int>(std::min<size_t>(assigned / per_part, parts - 1));
    assigned += s.round;
    s.round = 0;
  }
  // Counting sort by (part, round, model): stable, so a stream's samples keep their order.
  const int models = static_cast<int>(groups_.size());
  const int keys = parts * rounds * models;
  key_count_.assign(keys + 1, 0);
  for (Item& it : items_) {
    const Stream& s = streams_[it.stream];
    it.key = (s.part * rounds + it.round) * models + s.group;
    ++key_count_[it.key + 1];
  }
  for (int k = 0; k < keys; ++k) key_count_[k + 1] += key_count_[k];
  order_.resize(items_.size());
  cursor_.assign(key_count_.begin(), key_count_.end() - 1);
  for (size_t i = 0; i < items_.size(); ++i) order_[cursor_[items_[i].key]++] = static_cast<int>(i);
  // Runs: each key's items cut into pieces of at most batch_; part_runs_[p] indexes runs_.
  runs_.clear();
  part_runs_.assign(parts + 1, 0);
  for (int k = 0; k < keys; ++k) {
    for (int i = key_count_[k]; i < key_count_[k + 1]; i += batch_)
      runs_.push_back({k % models, i, std::min(batch_, key_count_[k + 1] - i)});
    if ((k + 1) % (rounds * models) == 0) part_runs_[(k + 1) / (rounds * models)] = static_cast<int>(runs_.size());
  }
}

void Engine::step_items() {
  const int parts = static_cast<int>(part_runs_.size()) - 1;
  auto fn = [this](int thread, int part) {
    for (int r = part_runs_[part]; r < part_runs_[part + 1]; ++r) run_steps(thread, runs_[r]);
  };
  if (parts > 1)
    pool_->run(parts, fn);
  else
    fn(0, 0);
}

void Engine::run_steps(int thread, const Run& run) {
  Group& g = *groups_[run.group];
  Group::Scratch& sc = g.scratch[thread];
  const int b = run.count;
  // The columns of a round belong to streams scattered over the state matrix (and their frames'
  // values over the heap): prefetching a few columns ahead hides most of those cache misses.
  constexpr int kAhead = 16;
  auto prefetch = [&](int j) {
    const Item& it = items_[order_[run.first + j]];
    const float* h = g.h.col(it.column).data();
    for (int k = 0; k < g.state; k += 16) __builtin_prefetch(h + k);
    __builtin_prefetch(item_x_.data() + it.x_offset);
    if (direct_latest_ && !g.latest_in_state) {
      const float* y = latest_.data() + streams_[it.stream].output_offset;
      for (int k = 0; k < g.out; k += 16) __builtin_prefetch(y + k, 1);
    }
  };
  for (int j = 0; j < std::min(kAhead, b); ++j) prefetch(j);
  for (int j = 0; j < b; ++j) {
    if (j + kAhead < b) prefetch(j + kAhead);
    const Item& it = items_[order_[run.first + j]];
    const int col = it.column;
    sc.x.col(j) = Eigen::Map<const Eigen::VectorXf>(item_x_.data() + it.x_offset, g.in);
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
    const Item& it = items_[order_[run.first + j]];
    const int col = it.column;
    g.h.col(col) = sc.h.col(j);
    if (g.mixed) g.c.col(col) = sc.c.col(j);
    // Without decisions nothing needs each sample's output later: it goes straight to latest_
    // (rounds run in order, so a stream's last sample writes last).
    if (!g.latest_in_state) {
      float* y = direct_latest_ ? latest_.data() + streams_[it.stream].output_offset : item_y_.data() + it.y_offset;
      Eigen::Map<Eigen::VectorXf>(y, g.out) = sc.y.col(j);
    }
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
    wake_until(t);                                    // and those the fusion model asked for
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
  const Group& g = *groups_[s.group];
  if (g.latest_in_state) return {g.h.col(s.column).data() + g.output_row, static_cast<size_t>(g.out)};
  return {latest_.data() + s.output_offset, static_cast<size_t>(g.out)};
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
