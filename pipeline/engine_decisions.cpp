// The engine's decision logic (engine.h: fusion and decisions): which streams are fresh, when a
// decision is due (every sample, on the rate grid, on change) and what it holds. Kept apart from
// the cell batching in engine.cpp; both are members of Engine.
#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/engine.h"

namespace liquid::pipeline {

void Engine::advance_to(double time) {
  if (!finalized_) finalize();
  if (config_.decisions.mode == DecisionMode::kRate && rate_started_) check_rate(time);
  wake_until(std::nextafter(time, std::numeric_limits<double>::infinity()));  // wakes at `time` too
}

void Engine::wake_until(double time) {
  const DecisionMode mode = config_.decisions.mode;
  if (!fusion_ || (mode != DecisionMode::kPerSample && mode != DecisionMode::kOnChange)) return;
  for (double wake = fusion_->next_wake(); wake < time;) {
    decide(wake, mode == DecisionMode::kOnChange);
    const double next = fusion_->next_wake();
    if (!(next > wake)) return;  // a model whose wake did not move on is not woken again for it
    wake = next;
  }
}

void Engine::check_rate(double time) {
  const double period = config_.decisions.period;
  if (!rate_started_) {
    // The grid is the multiples of the period; the first boundary is the first after the first sample.
    rate_started_ = true;
    next_boundary_ = static_cast<int64_t>(std::floor(time / period)) + 1;
    return;
  }
  if (!(time > static_cast<double>(next_boundary_) * period)) return;
  // A long gap crosses many boundaries; nothing changed in between, so only the last is emitted.
  const int64_t k = std::max(next_boundary_, static_cast<int64_t>(std::ceil(time / period)) - 1);
  decide(static_cast<double>(k) * period, false);
  next_boundary_ = k + 1;
}

void Engine::decide(double time, bool on_change) {
  // Stale or silent streams enter the fusion as zeros; the decision lists who was fresh.
  decision_.fresh.clear();
  decision_.stale.clear();
  for (int id = 0; id < stream_count(); ++id) {
    const Stream& s = streams_[id];
    const int out = s.output_size;
    const bool fresh = s.stats.samples > 0 && time - s.fused_time <= s.config.timeout;
    fresh_mask_[id] = fresh;
    if (fresh) {
      std::copy_n(latest_.data() + s.output_offset, out, fusion_in_.data() + s.output_offset);
      decision_.fresh.push_back(id);
    } else {
      std::fill_n(fusion_in_.data() + s.output_offset, out, 0.0f);
      if (s.stats.samples > 0) decision_.stale.push_back(id);
    }
  }
  fusion_->evaluate(time, fusion_in_, fresh_mask_, fusion_out_);
  const bool classes = fusion_->kind() == HeadKind::kClasses;
  const int argmax = classes ? static_cast<int>(std::max_element(fusion_out_.begin(), fusion_out_.end()) - fusion_out_.begin()) : -1;
  if (on_change && has_decision_) {
    bool changed = false;
    if (classes) {
      changed = argmax != decision_.argmax;
    } else {
      for (size_t k = 0; k < fusion_out_.size(); ++k)
        changed = changed || std::abs(fusion_out_[k] - decision_.values[k]) > config_.decisions.threshold;
    }
    if (!changed) return;
  }
  decision_.time = time;
  decision_.values.assign(fusion_out_.begin(), fusion_out_.end());
  decision_.argmax = argmax;
  decision_.samples = samples_;
  decision_.explanation.assign(fusion_->explanation());
  has_decision_ = true;
  if (on_decision_) on_decision_(decision_);
}

}  // namespace liquid::pipeline
