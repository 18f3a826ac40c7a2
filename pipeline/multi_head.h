// MultiHeadFusion: several named decision heads over the streams of one engine, a rule layer on top,
// and the reason of every decision. Where LinearHead turns all streams into one vector of values,
// this fusion keeps each stream's own model as the judge of its own question and says who decided:
//
//   heads   "classes": a stream's model is a classifier (logits out); the head's value is its
//           argmax when the probability reaches `threshold` (else "none"), or "unknown" while the
//           stream is stale. With `endpoint` > 0 the head is an event: the stream's last output is
//           committed once the stream has been silent for `endpoint` seconds (the end of an
//           utterance), once per burst of samples; otherwise the value is "none".
//           "level": one output of a stream's model; the value is "on" above `threshold`, else "off".
//   rules   a latch per rule (e.g. lights): set by the first of its `on` triggers that fires, cleared
//           by the first of its `off` triggers. A trigger names a head and a value; it fires at the
//           decision where the head takes that value (an event head: when it commits it), or, with
//           `for` seconds, where the head has held the value that long (once per holding).
//   reasons every head with a value names its stream and its top neurons by contribution: for a
//           model with a projection (CfC proj_size, ncps's "fc"), neuron j's contribution to class c
//           is (W[c][j] - mean_k W[k][j]) * h_j (softmax ignores what all classes share); for a
//           model whose outputs are neurons (LTC motor neurons, a CfC without projection), output c
//           is neuron c. A rule's reason is the trigger that set it, with that head's reason.
//
// The decision's values are, in order: each classes head's probabilities (names "head.class"; 0
// while stale), each level head's level ("head"), each rule's state 0/1 ("rule"). The rest (values,
// probabilities, reasons, the stream whose sample triggered the decision) is the JSON object
// explanation() returns, e.g.
//   {"trigger":"room","heads":{"occupancy":{"value":"1","p":0.97,"stream":"room",
//    "neurons":[{"n":12,"c":1.31,"h":0.82},...]},...},"rules":{"lights":{"on":true,"changed":false,
//    "by":"command=1","at":1422890460.3}}}
//
// Neuron states come through the engine's trace: tap() is a TraceSink to add to the engine, and
// the head streams must be traced (StreamConfig::trace). The engine hands the trace record of a
// sample to its sinks before the decision it triggers, so the reasons are those of the very sample.
// Endpointing needs a decision after every sample (DecisionMode kPerSample or kOnChange).
// Composing the explanation allocates; LinearHead stays the allocation-free head.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lfm/model.h"
#include "pipeline/fusion.h"
#include "pipeline/trace.h"

namespace liquid::pipeline {

class Engine;

struct HeadConfig {
  enum class Kind { kClasses, kLevel };
  std::string name{};
  std::string stream{};              // the engine stream whose model output the head reads
  Kind kind = Kind::kClasses;
  std::vector<std::string> classes{};  // kClasses: one per model output (default "0", "1", ...)
  float threshold = 0.0f;            // kClasses: minimum probability; kLevel: "on" above
  int output = 0;                    // kLevel: which output of the stream's model
  double endpoint = 0.0;             // kClasses: > 0: commit after this many seconds of silence
  int reasons = 3;                   // top neurons in the reason
};

struct RuleTrigger {
  std::string head{};
  std::string value{};  // a class name of a classes head; "on" / "off" for a level head
  double for_s = 0.0;  // held this long (seconds of decision time) before it fires
};

struct RuleConfig {
  std::string name{};
  std::vector<RuleTrigger> on{}, off{};
  bool initial = false;
};

struct MultiHeadConfig {
  std::vector<HeadConfig> heads{};
  std::vector<RuleConfig> rules{};
};

class MultiHeadFusion : public FusionModel {
 public:
  // The engine must have its models and streams; throws std::invalid_argument naming the head or
  // rule and what does not fit (an unknown stream or head, a class count that differs from the
  // model's outputs, a trigger value the head cannot take).
  MultiHeadFusion(MultiHeadConfig config, const Engine& engine);
  ~MultiHeadFusion() override;

  HeadKind kind() const override { return HeadKind::kValues; }
  const std::vector<std::string>& names() const override { return names_; }
  int input_size() const override { return input_size_; }
  void evaluate(double time, std::span<const float> input, std::span<const unsigned char> fresh,
                std::span<float> out) override;
  std::string_view explanation() const override { return explanation_; }
  // The earliest of: an endpoint head's silence running out, a held trigger's "for" running out.
  double next_wake() const override;
  std::vector<double> state() const override;
  void set_state(std::span<const double> state) override;

  std::shared_ptr<TraceSink> tap() const;
  const MultiHeadConfig& config() const { return config_; }

 private:
  struct Tap;
  struct Head;
  struct Trigger;
  void explain_neurons(const Head& h, int cls, std::span<const float> state, std::string& out) const;

  MultiHeadConfig config_;
  std::vector<std::string> stream_names_;
  std::vector<std::string> names_;
  int input_size_ = 0;
  std::vector<Head> heads_;
  std::shared_ptr<Tap> tap_;
  std::vector<std::vector<Trigger>> triggers_;  // per rule: its on triggers, then its off triggers
  std::vector<unsigned char> rule_on_;
  std::vector<double> rule_at_;  // decision time of the last change
  std::vector<std::string> rule_by_;
  std::string explanation_;
};

}  // namespace liquid::pipeline
