// The engine's state copied out and back (engine.h: "State that survives"); checkpoint.cpp puts
// it in a file. Kept apart from the hot path in engine.cpp; these are members of Engine.
#include <algorithm>
#include <string>

#include "pipeline/engine.h"
#include "pipeline/engine_group.h"

namespace liquid::pipeline {

const lfm::Model& Engine::model(int index) const {
  if (index < 0 || index >= model_count())
    throw std::out_of_range("Engine::model: no model " + std::to_string(index) + " (" + std::to_string(model_count()) +
                            " added)");
  return *groups_[index]->model;
}

EngineState Engine::save_state() const {
  EngineState st;
  for (const auto& gp : groups_) {
    const Group& g = *gp;
    // Before the first process() the matrices do not exist yet: the state is all zeros.
    st.h.push_back(finalized_ ? g.h : Eigen::MatrixXf::Zero(g.state, g.streams));
    st.c.push_back(finalized_ ? g.c : Eigen::MatrixXf::Zero(g.mixed ? g.state : 0, g.streams));
  }
  for (const Stream& s : streams_) {
    st.has_time.push_back(s.has_time);
    st.last_time.push_back(s.last_time);
    st.fused_time.push_back(s.fused_time);
    st.samples.push_back(s.stats.samples);
    st.dropped_late.push_back(s.stats.dropped_late);
  }
  st.latest = latest_;
  for (int id = 0; id < stream_count(); ++id) {  // those kept in the state (latest_output())
    const auto y = latest_output(id);
    std::copy(y.begin(), y.end(), st.latest.begin() + streams_[id].output_offset);
  }
  st.total_samples = samples_;
  st.rate_started = rate_started_;
  st.has_decision = has_decision_;
  st.next_boundary = next_boundary_;
  st.decision_time = decision_.time;
  st.decision_values = decision_.values;
  st.decision_argmax = decision_.argmax;
  st.decision_samples = decision_.samples;
  if (fusion_) st.fusion = fusion_->state();
  return st;
}

void Engine::restore_state(const EngineState& st) {
  if (!finalized_) finalize();
  auto expect = [](const char* what, size_t got, size_t want) {
    if (got != want)
      throw std::invalid_argument(std::string("engine state: ") + what + " has " + std::to_string(got) +
                                  ", this engine expects " + std::to_string(want));
  };
  expect("the list of models' h", st.h.size(), groups_.size());
  expect("the list of models' c", st.c.size(), groups_.size());
  for (size_t k = 0; k < groups_.size(); ++k) {
    const Group& g = *groups_[k];
    const std::string which = "model " + std::to_string(k);
    if (st.h[k].rows() != g.h.rows() || st.h[k].cols() != g.h.cols() || st.c[k].rows() != g.c.rows() ||
        st.c[k].cols() != g.c.cols())
      throw std::invalid_argument("engine state: " + which + "'s state is " + std::to_string(st.h[k].rows()) + " x " +
                                  std::to_string(st.h[k].cols()) + ", this engine has " + std::to_string(g.h.rows()) +
                                  " x " + std::to_string(g.h.cols()) + " (state size x streams)");
  }
  const size_t n = streams_.size();
  expect("has_time", st.has_time.size(), n);
  expect("last_time", st.last_time.size(), n);
  expect("fused_time", st.fused_time.size(), n);
  expect("samples", st.samples.size(), n);
  expect("dropped_late", st.dropped_late.size(), n);
  expect("latest", st.latest.size(), latest_.size());
  if (has_decision_ || st.has_decision) expect("decision_values", st.decision_values.size(), fusion_out_.size());
  if (fusion_) fusion_->set_state(st.fusion);  // first: it may refuse, and nothing is changed yet
  for (size_t k = 0; k < groups_.size(); ++k) {
    groups_[k]->h = st.h[k];
    groups_[k]->c = st.c[k];
  }
  for (size_t id = 0; id < n; ++id) {
    Stream& s = streams_[id];
    s.has_time = st.has_time[id] != 0;
    s.last_time = st.last_time[id];
    s.fused_time = st.fused_time[id];
    s.stats.samples = st.samples[id];
    s.stats.dropped_late = st.dropped_late[id];
  }
  latest_ = st.latest;
  samples_ = st.total_samples;
  rate_started_ = st.rate_started;
  has_decision_ = st.has_decision;
  next_boundary_ = st.next_boundary;
  decision_.time = st.decision_time;
  decision_.values = st.decision_values;
  decision_.argmax = st.decision_argmax;
  decision_.samples = st.decision_samples;
}

}  // namespace liquid::pipeline
