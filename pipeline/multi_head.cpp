// Named decision heads, rules and reasons over the streams of an engine (multi_head.h).
#include "pipeline/multi_head.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "pipeline/engine.h"

namespace liquid::pipeline {

namespace {

constexpr int kNone = -1, kUnknown = -2;  // head values besides class indices (level: 1 on, 0 off)
constexpr double kNever = -std::numeric_limits<double>::infinity();

void append_number(std::string& out, double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char text[40];
  std::snprintf(text, sizeof text, format, v);
  out += text;
}

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  out += '"';
}

}  // namespace

// The latest trace record of every stream: its time and neuron states (h, then inputs if traced).
struct MultiHeadFusion::Tap : TraceSink {
  std::vector<double> time;
  std::vector<std::vector<float>> values;
  explicit Tap(int streams) : time(streams, kNever), values(streams) {}
  void write(double t, int stream, std::span<const float> v) override {
    if (stream < 0 || stream >= static_cast<int>(time.size())) return;
    time[stream] = t;
    values[stream].assign(v.begin(), v.end());
  }
  void flush() override {}
};

struct MultiHeadFusion::Head {
  HeadConfig cfg;
  int stream = 0, offset = 0, size = 0, state_size = 0;
  int value_offset = 0;     // first of this head's values in the decision
  Eigen::MatrixXf readout;  // outputs x state (the projection); empty: output c is neuron c
  int value = kUnknown;
  double since = kNever;    // decision time the current value began
  bool event = false;       // an endpoint head committed at this decision
  float p = 0.0f;           // probability of `value` (classes) or the level
  // Endpointing: the stream's last output (as probabilities) and neuron states, and when.
  std::vector<float> cache_p, cache_h;
  double cache_time = kNever, committed = kNever;
  int listening = kNone;
  std::string value_name(int v) const {
    if (cfg.kind == HeadConfig::Kind::kLevel) return v == 1 ? "on" : v == 0 ? "off" : "unknown";
    if (v >= 0) return cfg.classes[v];
    return v == kNone ? "none" : "unknown";
  }
};

struct MultiHeadFusion::Trigger {
  int head = 0, code = 0;
  double for_s = 0.0;
  double fired_since = kNever;  // the holding it fired for
};

MultiHeadFusion::MultiHeadFusion(MultiHeadConfig config, const Engine& engine) : config_(std::move(config)) {
  const int streams = engine.stream_count();
  std::vector<int> offset(streams + 1, 0);
  for (int id = 0; id < streams; ++id) {
    stream_names_.push_back(engine.stream_name(id));
    offset[id + 1] = offset[id] + engine.model(engine.stream_config(id).model).output_size();
  }
  input_size_ = offset[streams];
  if (config_.heads.empty()) throw std::invalid_argument("fusion heads: expected at least one head");
  for (const HeadConfig& hc : config_.heads) {
    const std::string where = "fusion head '" + hc.name + "'";
    for (const Head& other : heads_)
      if (other.cfg.name == hc.name) throw std::invalid_argument(where + ": the name is used twice");
    Head h;
    h.cfg = hc;
    const auto it = std::find(stream_names_.begin(), stream_names_.end(), hc.stream);
    if (it == stream_names_.end()) throw std::invalid_argument(where + ": stream '" + hc.stream + "' is not a stream of the engine");
    h.stream = static_cast<int>(it - stream_names_.begin());
    const lfm::Model& model = engine.model(engine.stream_config(h.stream).model);
    h.offset = offset[h.stream];
    h.size = model.output_size();
    h.state_size = model.state_size();
    if (!engine.stream_config(h.stream).trace)
      throw std::invalid_argument(where + ": stream '" + hc.stream + "' must be traced (its neurons give the reasons)");
    if (hc.kind == HeadConfig::Kind::kClasses) {
      if (h.cfg.classes.empty())
        for (int k = 0; k < h.size; ++k) h.cfg.classes.push_back(std::to_string(k));
      if (static_cast<int>(h.cfg.classes.size()) != h.size)
        throw std::invalid_argument(where + ": " + std::to_string(h.cfg.classes.size()) + " classes, but the model of '" +
                                    hc.stream + "' has " + std::to_string(h.size) + " outputs");
      if (h.cfg.endpoint < 0) throw std::invalid_argument(where + ": endpoint must be >= 0 seconds");
    } else if (hc.output < 0 || hc.output >= h.size) {
      throw std::invalid_argument(where + ": output " + std::to_string(hc.output) + " is not one of the model's " +
                                  std::to_string(h.size) + " outputs");
    }
    if (model.config().proj_size) {
      model.for_each_parameter([&](const lfm::ParamRef& p) {
        if (p.name == "fc.weight") h.readout = *p.value;
      });
    }
    h.value_offset = static_cast<int>(names_.size());
    if (hc.kind == HeadConfig::Kind::kClasses)
      for (const auto& c : h.cfg.classes) names_.push_back(hc.name + "." + c);
    else
      names_.push_back(hc.name);
    heads_.push_back(std::move(h));
  }
  for (const RuleConfig& rc : config_.rules) {
    const std::string where = "fusion rule '" + rc.name + "'";
    if (rc.on.empty() && rc.off.empty()) throw std::invalid_argument(where + ": expected \"on\" or \"off\" triggers");
    std::vector<Trigger> resolved;
    for (const auto* list : {&rc.on, &rc.off})
      for (const RuleTrigger& t : *list) {
        Trigger r;
        const auto h = std::find_if(heads_.begin(), heads_.end(), [&](const Head& x) { return x.cfg.name == t.head; });
        if (h == heads_.end()) throw std::invalid_argument(where + ": trigger head '" + t.head + "' is not a head");
        r.head = static_cast<int>(h - heads_.begin());
        r.for_s = t.for_s;
        if (t.for_s < 0) throw std::invalid_argument(where + ": \"for\" must be >= 0 seconds");
        if (h->cfg.endpoint > 0 && t.for_s > 0)
          throw std::invalid_argument(where + ": head '" + t.head + "' is an event (endpoint): \"for\" does not apply");
        if (h->cfg.kind == HeadConfig::Kind::kLevel) {
          if (t.value != "on" && t.value != "off")
            throw std::invalid_argument(where + ": level head '" + t.head + "' is \"on\" or \"off\", not \"" + t.value + "\"");
          r.code = t.value == "on" ? 1 : 0;
        } else {
          const auto c = std::find(h->cfg.classes.begin(), h->cfg.classes.end(), t.value);
          if (c == h->cfg.classes.end()) {
            std::string list;
            for (const auto& name : h->cfg.classes) list += (list.empty() ? "" : ", ") + name;
            throw std::invalid_argument(where + ": head '" + t.head + "' has no class \"" + t.value + "\" (classes: " + list + ")");
          }
          r.code = static_cast<int>(c - h->cfg.classes.begin());
        }
        resolved.push_back(r);
      }
    triggers_.push_back(std::move(resolved));
    names_.push_back(rc.name);
    rule_on_.push_back(rc.initial);
    rule_at_.push_back(kNever);
    rule_by_.push_back("initial");
  }
  tap_ = std::make_shared<Tap>(streams);
}

MultiHeadFusion::~MultiHeadFusion() = default;

std::shared_ptr<TraceSink> MultiHeadFusion::tap() const { return tap_; }

void MultiHeadFusion::explain_neurons(const Head& h, int cls, std::span<const float> state, std::string& out) const {
  out += "\"neurons\":[";
  const int n = std::min<int>(h.state_size, static_cast<int>(state.size()));
  std::vector<std::pair<float, int>> contribution;
  if (h.readout.size() > 0 && cls >= 0 && cls < h.readout.rows() && h.readout.cols() == n) {
    for (int j = 0; j < n; ++j) {
      const float w = h.readout(cls, j) - h.readout.col(j).mean();
      contribution.emplace_back(w * state[j], j);
    }
    std::sort(contribution.begin(), contribution.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    contribution.resize(std::min<size_t>(contribution.size(), static_cast<size_t>(std::max(0, h.cfg.reasons))));
  } else if (cls >= 0 && cls < n && h.cfg.reasons > 0) {
    contribution.emplace_back(state[cls], cls);  // output cls is neuron cls
  }
  for (size_t k = 0; k < contribution.size(); ++k) {
    out += k ? ",{\"n\":" : "{\"n\":";
    out += std::to_string(contribution[k].second);
    out += ",\"c\":";
    append_number(out, contribution[k].first);
    out += ",\"h\":";
    append_number(out, state[contribution[k].second]);
    out += '}';
  }
  out += ']';
}

// The first time t >= from + span at which `t - from >= span` holds in double arithmetic (what
// evaluate() tests), so a decision at the returned time does commit.
static double due(double from, double span) {
  double t = from + span;
  while (t - from < span) t = std::nextafter(t, std::numeric_limits<double>::infinity());
  return t;
}

double MultiHeadFusion::next_wake() const {
  double wake = std::numeric_limits<double>::infinity();
  for (const Head& h : heads_)
    if (h.cfg.endpoint > 0 && h.cache_time > h.committed) wake = std::min(wake, due(h.cache_time, h.cfg.endpoint));
  for (const auto& rule : triggers_)
    for (const Trigger& tr : rule) {
      const Head& h = heads_[tr.head];
      if (h.cfg.endpoint == 0 && tr.for_s > 0 && h.value == tr.code && tr.fired_since != h.since)
        wake = std::min(wake, due(h.since, tr.for_s));
    }
  return wake;
}

void MultiHeadFusion::evaluate(double time, std::span<const float> input, std::span<const unsigned char> fresh,
                               std::span<float> out) {
  if (static_cast<int>(input.size()) != input_size_ || out.size() != names_.size())
    throw std::invalid_argument("MultiHeadFusion: input has " + std::to_string(input.size()) + " values (expected " +
                                std::to_string(input_size_) + "), output " + std::to_string(out.size()) + " (expected " +
                                std::to_string(names_.size()) + ")");
  // Which stream's sample triggered this decision: the newest trace record at this time.
  int trigger = -1;
  for (size_t s = 0; s < tap_->time.size(); ++s)
    if (tap_->time[s] == time) trigger = static_cast<int>(s);
  explanation_.clear();
  explanation_ += "{\"trigger\":";
  if (trigger >= 0) append_quoted(explanation_, stream_names_[trigger]);
  else explanation_ += "null";
  explanation_ += ",\"heads\":{";
  std::vector<float> probs;
  for (size_t k = 0; k < heads_.size(); ++k) {
    Head& h = heads_[k];
    const bool is_fresh = fresh[h.stream] != 0;
    const std::span<const float> y = input.subspan(h.offset, h.size);
    const std::vector<float>& state = tap_->values[h.stream];
    const std::span<const float> h_now(state.data(), std::min<size_t>(state.size(), h.state_size));
    int value = kUnknown;
    h.event = false;
    std::span<const float> reason_state = h_now;
    if (h.cfg.kind == HeadConfig::Kind::kClasses) {
      probs.assign(y.begin(), y.end());
      if (is_fresh) {
        const float top = *std::max_element(probs.begin(), probs.end());
        float sum = 0.0f;
        for (float& p : probs) sum += (p = std::exp(p - top));
        for (float& p : probs) p /= sum;
      } else {
        std::fill(probs.begin(), probs.end(), 0.0f);
      }
      std::copy(probs.begin(), probs.end(), out.begin() + h.value_offset);
      const int arg = static_cast<int>(std::max_element(probs.begin(), probs.end()) - probs.begin());
      if (h.cfg.endpoint > 0) {
        const double last = tap_->time[h.stream];
        if (is_fresh && last > h.committed) {  // a burst in progress: keep its latest output
          h.cache_p = probs;
          h.cache_h.assign(h_now.begin(), h_now.end());
          h.cache_time = last;
          h.listening = arg;
        }
        value = kNone;
        if (h.cache_time > h.committed && time - h.cache_time >= h.cfg.endpoint) {
          const int c = static_cast<int>(std::max_element(h.cache_p.begin(), h.cache_p.end()) - h.cache_p.begin());
          h.p = h.cache_p[c];
          value = h.p >= h.cfg.threshold ? c : kNone;
          h.event = true;
          h.committed = h.cache_time;
          h.listening = kNone;
          reason_state = h.cache_h;
        } else if (!(h.cache_time > h.committed)) {
          h.listening = kNone;
        }
      } else if (is_fresh) {
        h.p = probs[arg];
        value = h.p >= h.cfg.threshold ? arg : kNone;
      }
    } else {
      h.p = is_fresh ? y[h.cfg.output] : 0.0f;
      out[h.value_offset] = h.p;
      value = is_fresh ? (h.p > h.cfg.threshold ? 1 : 0) : kUnknown;
    }
    if (value != h.value || h.event) h.since = time;
    h.value = value;

    explanation_ += k ? "," : "";
    append_quoted(explanation_, h.cfg.name);
    explanation_ += ":{\"value\":";
    if (h.cfg.endpoint > 0 && !h.event) explanation_ += "null";
    else append_quoted(explanation_, h.value_name(value));
    explanation_ += ",\"stream\":";
    append_quoted(explanation_, h.cfg.stream);
    if (h.cfg.endpoint > 0) {
      if (h.event) {
        explanation_ += ",\"heard\":true,\"p\":";
        append_number(explanation_, h.p);
        explanation_ += ",\"at\":";
        append_number(explanation_, h.cache_time, "%.3f");
        explanation_ += ",\"best\":";
        const int c = static_cast<int>(std::max_element(h.cache_p.begin(), h.cache_p.end()) - h.cache_p.begin());
        append_quoted(explanation_, h.cfg.classes[c]);
        explanation_ += ',';
        explain_neurons(h, c, reason_state, explanation_);
      } else if (h.listening != kNone) {
        explanation_ += ",\"listening\":";
        append_quoted(explanation_, h.cfg.classes[h.listening]);
      }
    } else if (value != kUnknown) {
      explanation_ += ",\"p\":";
      append_number(explanation_, h.p);
      const int cls = h.cfg.kind == HeadConfig::Kind::kLevel ? h.cfg.output : value;
      if (cls >= 0) {
        explanation_ += ',';
        explain_neurons(h, cls, reason_state, explanation_);
      }
    }
    explanation_ += '}';
  }
  explanation_ += "}";

  // Rules: the first trigger that fires sets (on list) or clears (off list) the latch.
  if (!config_.rules.empty()) explanation_ += ",\"rules\":{";
  for (size_t r = 0; r < config_.rules.size(); ++r) {
    const RuleConfig& rc = config_.rules[r];
    bool applied = false;
    for (size_t t = 0; t < triggers_[r].size(); ++t) {
      Trigger& tr = triggers_[r][t];
      const Head& h = heads_[tr.head];
      bool fires = false;
      if (h.cfg.endpoint > 0) {
        fires = h.event && h.value == tr.code;
      } else if (h.value == tr.code && time - h.since >= tr.for_s && tr.fired_since != h.since) {
        fires = true;
        tr.fired_since = h.since;
      }
      if (!fires) continue;
      const bool on = t < rc.on.size();
      const RuleTrigger& src = on ? rc.on[t] : rc.off[t - rc.on.size()];
      if (applied) continue;  // later triggers are still checked, so their holdings count as fired
      applied = true;
      rule_on_[r] = on;
      rule_at_[r] = time;
      rule_by_[r] = src.head + "=" + src.value + (src.for_s > 0 ? " for " + std::to_string(static_cast<long long>(src.for_s)) + " s" : "");
    }
    out[names_.size() - config_.rules.size() + r] = rule_on_[r] ? 1.0f : 0.0f;
    explanation_ += r ? "," : "";
    append_quoted(explanation_, rc.name);
    explanation_ += ":{\"on\":";
    explanation_ += rule_on_[r] ? "true" : "false";
    explanation_ += ",\"fired\":";
    explanation_ += rule_at_[r] == time ? "true" : "false";
    explanation_ += ",\"by\":";
    append_quoted(explanation_, rule_by_[r]);
    explanation_ += ",\"since\":";
    append_number(explanation_, rule_at_[r], "%.3f");
    explanation_ += '}';
  }
  if (!config_.rules.empty()) explanation_ += '}';
  explanation_ += '}';
}

std::vector<double> MultiHeadFusion::state() const {
  std::vector<double> s;
  for (const Head& h : heads_) {
    s.insert(s.end(), {static_cast<double>(h.value), h.since, static_cast<double>(h.p), h.cache_time, h.committed,
                       static_cast<double>(h.listening), static_cast<double>(h.cache_p.size()), static_cast<double>(h.cache_h.size())});
    s.insert(s.end(), h.cache_p.begin(), h.cache_p.end());
    s.insert(s.end(), h.cache_h.begin(), h.cache_h.end());
  }
  for (size_t r = 0; r < rule_on_.size(); ++r) {
    s.push_back(rule_on_[r]);
    s.push_back(rule_at_[r]);
    for (const Trigger& t : triggers_[r]) s.push_back(t.fired_since);
  }
  return s;
}

void MultiHeadFusion::set_state(std::span<const double> s) {
  size_t i = 0;
  auto take = [&]() {
    if (i >= s.size()) throw std::invalid_argument("MultiHeadFusion: the saved state is shorter than this fusion's");
    return s[i++];
  };
  for (Head& h : heads_) {
    h.value = static_cast<int>(take());
    h.since = take();
    h.p = static_cast<float>(take());
    h.cache_time = take();
    h.committed = take();
    h.listening = static_cast<int>(take());
    h.cache_p.resize(static_cast<size_t>(take()));
    h.cache_h.resize(static_cast<size_t>(take()));
    for (float& v : h.cache_p) v = static_cast<float>(take());
    for (float& v : h.cache_h) v = static_cast<float>(take());
  }
  for (size_t r = 0; r < rule_on_.size(); ++r) {
    rule_on_[r] = take() != 0.0;
    rule_at_[r] = take();
    rule_by_[r] = "restored";
    for (Trigger& t : triggers_[r]) t.fired_since = take();
  }
  if (i != s.size()) throw std::invalid_argument("MultiHeadFusion: the saved state is longer than this fusion's");
}

}  // namespace liquid::pipeline
