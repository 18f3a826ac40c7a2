// Fusion: what turns the latest outputs of every stream's cell into a decision. The engine only
// knows the FusionModel interface, so the plain linear head of today and the shared LFM backbone
// of tomorrow plug in the same way.
//
// The engine hands the fusion model one vector: every stream's latest cell output, concatenated in
// stream-id order (stream s at offset input_offset(s), output_size floats), with the outputs of
// stale streams (and of streams that never reported) set to zero, plus the per-stream fresh mask
// for models that want to treat staleness another way.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace liquid::pipeline {

enum class HeadKind {
  kClasses,  // values are probabilities (softmax); a change of argmax is a change
  kValues,   // values are forecasts or scores; a move beyond a threshold is a change
};

class FusionModel {
 public:
  virtual ~FusionModel() = default;
  virtual HeadKind kind() const = 0;
  // Class or forecast names; evaluate() writes one value per name.
  virtual const std::vector<std::string>& names() const = 0;
  // Length of the concatenated input the model expects.
  virtual int input_size() const = 0;
  // Not const: a fusion model with memory (the LFM backbone) advances its state to `time`.
  virtual void evaluate(double time, std::span<const float> input, std::span<const unsigned char> fresh,
                        std::span<float> out) = 0;
  // What a checkpoint keeps of a fusion model with memory; a stateless head has none. set_state()
  // gets exactly what state() gave (on an identically configured model).
  virtual std::vector<double> state() const { return {}; }
  // Why the last evaluate() decided what it did, as a JSON object (copied into
  // Decision::explanation); empty when the model has nothing to add (LinearHead).
  virtual std::string_view explanation() const { return {}; }
  // The stream time at which the model wants to be evaluated even if no sample comes by then (an
  // event committed after a silence, a condition held long enough); infinity: none. The engine
  // decides at that time before it applies a later sample (and in advance_to), so such decisions
  // do not wait for the next sample of some other stream.
  virtual double next_wake() const { return std::numeric_limits<double>::infinity(); }
  virtual void set_state(std::span<const double> state) {
    if (!state.empty()) throw std::invalid_argument("this fusion model has no state, but was given " +
                                                    std::to_string(state.size()) + " values");
  }
};

// values = W input + b, then softmax for kClasses. W is (names x input_size).
class LinearHead : public FusionModel {
 public:
  LinearHead(HeadKind kind, std::vector<std::string> names, Eigen::MatrixXf weight, Eigen::VectorXf bias);
  // Uniform(-1/sqrt(n), 1/sqrt(n)) weights and biases from `seed` (torch's Linear default): a head
  // to wire up a pipeline before a trained one exists, and for tests.
  static std::unique_ptr<LinearHead> random(HeadKind kind, std::vector<std::string> names, int input_size,
                                            uint64_t seed);

  HeadKind kind() const override { return kind_; }
  const std::vector<std::string>& names() const override { return names_; }
  int input_size() const override { return static_cast<int>(weight_.cols()); }
  void evaluate(double time, std::span<const float> input, std::span<const unsigned char> fresh,
                std::span<float> out) override;

  const Eigen::MatrixXf& weight() const { return weight_; }
  const Eigen::VectorXf& bias() const { return bias_; }

 private:
  HeadKind kind_;
  std::vector<std::string> names_;
  Eigen::MatrixXf weight_;
  Eigen::VectorXf bias_;
};

// A trained head as a file: safetensors with "weight" [outputs, inputs] and "bias" [outputs], and
// optionally metadata "liquid.head" {"kind": "classes"|"values", "names": [...]} or
// "liquid.classes" [...] (a classifier's names). `liquid stream` (fusion.path) and liquidfusion
// (fusion-location) read it. kind and names stay empty when the file does not say.
struct HeadFile {
  Eigen::MatrixXf weight;
  Eigen::VectorXf bias;
  std::optional<HeadKind> kind;
  std::vector<std::string> names;
};
// Throws std::runtime_error naming the file and what is wrong (missing, no 2-D "weight", a width
// other than `inputs`, a bias or names that do not fit).
HeadFile read_head_file(const std::filesystem::path& path, int inputs);

// What the engine emits. The engine reuses one Decision (no allocation per decision); a callback
// that keeps it past its return must copy it.
struct Decision {
  double time = 0.0;                                     // stream time the decision is for
  std::shared_ptr<const std::vector<std::string>> names;  // the head's names, one per value
  std::vector<float> values;                             // probabilities or forecast values
  int argmax = -1;                                       // kClasses: the most probable class
  std::vector<int> fresh;                                // ids of the streams that were fresh
  std::vector<int> stale;                                // ids of reported but stale streams
  uint64_t samples = 0;                                  // samples the engine had applied
  std::string explanation;                               // FusionModel::explanation() (JSON), or empty
};

}  // namespace liquid::pipeline
