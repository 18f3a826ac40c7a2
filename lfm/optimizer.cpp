#include "lfm/optimizer.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <set>
#include <stdexcept>
#include <system_error>

namespace liquid::lfm {
namespace {

constexpr const char* kMetaPrefix = "optimizer.";
constexpr const char* kMomentPrefix = "optimizer.m.";
constexpr const char* kSecondPrefix = "optimizer.v.";

std::vector<ParamRef> trainable_parameters(Model& model) {
  std::vector<ParamRef> out;
  model.for_each_parameter([&](const ParamRef& p) {
    if (p.trainable) out.push_back(p);
  });
  return out;
}

std::vector<ParamRef> trainable_parameters(const Model& model) {
  std::vector<ParamRef> out;
  model.for_each_parameter([&](const ParamRef& p) {
    if (p.trainable) out.push_back(p);
  });
  return out;
}

// Shortest text that parses back to the same double, so saved hyperparameters resume exactly.
std::string exact_text(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) throw std::logic_error("optimizer: cannot format a double");
  return std::string(buf, end);
}

const std::string& metadata_value(const SafetensorsFile& in, const std::string& key) {
  const auto it = in.metadata().find(key);
  if (it == in.metadata().end())
    throw FormatError(in.source_name() + ": __metadata__ has no '" + key + "' (optimizer state)");
  return it->second;
}

template <class T>
T parse_metadata(const SafetensorsFile& in, const std::string& key) {
  const std::string& text = metadata_value(in, key);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throw FormatError(in.source_name() + ": __metadata__ '" + key + "' is not a number: '" + text + "'");
  return value;
}

void check_options(const char* kind, double lr, double beta1, double beta2, double eps, double weight_decay) {
  // The same checks torch.optim.Adam makes in its constructor.
  auto fail = [&](const std::string& what) { throw std::invalid_argument(std::string(kind) + ": invalid " + what); };
  if (!(lr >= 0)) fail("lr " + exact_text(lr));
  if (!(beta1 >= 0 && beta1 < 1)) fail("beta1 " + exact_text(beta1));
  if (!(beta2 >= 0 && beta2 < 1)) fail("beta2 " + exact_text(beta2));
  if (!(eps >= 0)) fail("eps " + exact_text(eps));
  if (!(weight_decay >= 0)) fail("weight_decay " + exact_text(weight_decay));
}

}  // namespace

AdamBase::AdamBase(bool decoupled, double lr, double beta1, double beta2, double eps, double weight_decay)
    : decoupled_(decoupled), lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay) {
  check_options(kind(), lr, beta1, beta2, eps, weight_decay);
}

Adam::Adam(const AdamOptions& o) : AdamBase(false, o.lr, o.beta1, o.beta2, o.eps, o.weight_decay) {}
AdamW::AdamW(const AdamWOptions& o) : AdamBase(true, o.lr, o.beta1, o.beta2, o.eps, o.weight_decay) {}

void AdamBase::step(Model& model, const Model& grads) {
  const std::vector<ParamRef> params = trainable_parameters(model);
  const std::vector<ParamRef> grad_refs = trainable_parameters(grads);
  // Everything is checked before anything changes, so a throw leaves model and state as they were.
  if (params.size() != grad_refs.size())
    throw std::invalid_argument(std::string(kind()) + ": model has " + std::to_string(params.size()) +
                                " trainable parameters, grads " + std::to_string(grad_refs.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].name != grad_refs[i].name || params[i].shape != grad_refs[i].shape)
      throw std::invalid_argument(std::string(kind()) + ": parameter " + std::to_string(i) + " is '" +
                                  params[i].name + "' " + shape_to_string(params[i].shape) + " in the model but '" +
                                  grad_refs[i].name + "' " + shape_to_string(grad_refs[i].shape) + " in grads");
    if (!state_.empty() && (state_[i].name != params[i].name || state_[i].shape != params[i].shape))
      throw std::invalid_argument(std::string(kind()) + ": parameter '" + params[i].name +
                                  "' does not match the optimizer state's '" + state_[i].name + "'");
  }
  if (!state_.empty() && state_.size() != params.size())
    throw std::invalid_argument(std::string(kind()) + ": the model's trainable parameters differ from the state's");
  if (state_.empty()) {
    state_.reserve(params.size());
    for (const ParamRef& p : params) {
      state_.push_back({p.name, p.shape, Eigen::MatrixXf::Zero(p.value->rows(), p.value->cols()),
                        Eigen::MatrixXf::Zero(p.value->rows(), p.value->cols())});
    }
  }

  ++step_;
  // torch's _single_tensor_adam: Python-float (double) scalars, each converted to float32 where it
  // meets a float32 tensor; the element-wise order of operations below is torch's.
  const double step = static_cast<double>(step_);
  const double bias_correction1 = 1.0 - std::pow(beta1_, step);
  const double bias_correction2 = 1.0 - std::pow(beta2_, step);
  const float neg_step_size = static_cast<float>(-(lr_ / bias_correction1));
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float eps = static_cast<float>(eps_);
  const float one_minus_beta1 = static_cast<float>(1.0 - beta1_);
  const float beta2 = static_cast<float>(beta2_);
  const float one_minus_beta2 = static_cast<float>(1.0 - beta2_);
  const float weight_decay = static_cast<float>(weight_decay_);
  const float decay_factor = static_cast<float>(1.0 - lr_ * weight_decay_);

  for (size_t i = 0; i < params.size(); ++i) {
    auto p = params[i].value->array();
    auto m = state_[i].m.array();
    auto v = state_[i].v.array();
    Eigen::ArrayXXf g = grad_refs[i].value->array();
    if (weight_decay_ != 0) {
      if (decoupled_)
        p *= decay_factor;  // AdamW: param.mul_(1 - lr * weight_decay)
      else
        g = g + weight_decay * p;  // Adam: grad.add(param, alpha=weight_decay)
    }
    // exp_avg.lerp_(grad, 1 - beta1): ATen's lerp for weight < 0.5 is self + weight * (end - self);
    // the other branch covers beta1 < 0.5.
    if (one_minus_beta1 < 0.5f)
      m = m + one_minus_beta1 * (g - m);
    else
      m = g - (g - m) * (1.0f - one_minus_beta1);
    v = v * beta2 + one_minus_beta2 * g * g;  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    p = p + neg_step_size * m / (v.sqrt() / bias_correction2_sqrt + eps);  // addcdiv_(exp_avg, denom)
  }
  model.apply_constraints();
}

void AdamBase::save_state(SafetensorsFile& out) const {
  const std::string prefix = kMetaPrefix;
  out.set_metadata(prefix + "kind", kind());
  out.set_metadata(prefix + "step", std::to_string(step_));
  out.set_metadata(prefix + "lr", exact_text(lr_));
  out.set_metadata(prefix + "beta1", exact_text(beta1_));
  out.set_metadata(prefix + "beta2", exact_text(beta2_));
  out.set_metadata(prefix + "eps", exact_text(eps_));
  out.set_metadata(prefix + "weight_decay", exact_text(weight_decay_));
  for (const ParamState& s : state_) {
    // Row-major with the parameter's shape, as Model::to_tensors writes the parameter itself, so
    // the moments read like torch's state tensors.
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m = s.m, v = s.v;
    out.add_tensor(kMomentPrefix + s.name, s.shape, std::span<const float>(m.data(), m.size()));
    out.add_tensor(kSecondPrefix + s.name, s.shape, std::span<const float>(v.data(), v.size()));
  }
}

void AdamBase::load_state(const SafetensorsFile& in, const Model& model) {
  const std::string prefix = kMetaPrefix;
  const std::string& saved_kind = metadata_value(in, prefix + "kind");
  if (saved_kind != kind())
    throw FormatError(in.source_name() + ": __metadata__ '" + prefix + "kind' is '" + saved_kind +
                      "', this optimizer is " + kind());
  // Parse everything into locals first: a bad file leaves this optimizer untouched.
  const auto step = parse_metadata<int64_t>(in, prefix + "step");
  if (step < 0) throw FormatError(in.source_name() + ": __metadata__ '" + prefix + "step' is negative");
  const auto lr = parse_metadata<double>(in, prefix + "lr");
  const auto beta1 = parse_metadata<double>(in, prefix + "beta1");
  const auto beta2 = parse_metadata<double>(in, prefix + "beta2");
  const auto eps = parse_metadata<double>(in, prefix + "eps");
  const auto weight_decay = parse_metadata<double>(in, prefix + "weight_decay");
  try {
    check_options(kind(), lr, beta1, beta2, eps, weight_decay);
  } catch (const std::invalid_argument& e) {
    throw FormatError(in.source_name() + ": " + e.what());
  }

  std::vector<ParamState> state;
  std::set<std::string> expected;
  if (step > 0) {
    for (const ParamRef& p : trainable_parameters(model)) {
      ParamState s{p.name, p.shape, {}, {}};
      for (const char* which : {kMomentPrefix, kSecondPrefix}) {
        const std::string name = which + p.name;
        expected.insert(name);
        const std::vector<float> values = in.get(name, p.shape).to_float();
        Eigen::MatrixXf& dst = which == kMomentPrefix ? s.m : s.v;
        dst = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            values.data(), p.value->rows(), p.value->cols());
      }
      state.push_back(std::move(s));
    }
  }
  // State for a parameter the model lacks means the checkpoint belongs to another model.
  for (const std::string& name : in.names()) {
    const bool is_state = name.rfind(kMomentPrefix, 0) == 0 || name.rfind(kSecondPrefix, 0) == 0;
    if (is_state && !expected.contains(name))
      throw FormatError(in.source_name() + ": optimizer state '" + name + "' matches no trainable parameter" +
                        (step == 0 ? " (step is 0)" : ""));
  }

  step_ = step;
  lr_ = lr;
  beta1_ = beta1;
  beta2_ = beta2;
  eps_ = eps;
  weight_decay_ = weight_decay;
  state_ = std::move(state);
}

float clip_grad_norm(Model& grads, float max_norm) {
  // torch takes each tensor's norm, then the norm of those norms; in double the result is the same
  // up to float32 rounding, without the chance of overflowing the sum of squares.
  double sum_sq = 0;
  const std::vector<ParamRef> refs = trainable_parameters(grads);
  for (const ParamRef& p : refs) sum_sq += p.value->cast<double>().squaredNorm();
  const float total_norm = static_cast<float>(std::sqrt(sum_sq));
  const float clip_coef = max_norm / (total_norm + 1e-6f);
  // torch multiplies by clamp(clip_coef, max=1); multiplying by 1 changes nothing, so skip it. NaN
  // (a non-finite norm) fails `>= 1` and propagates as in torch.
  if (!(clip_coef >= 1.0f))
    for (const ParamRef& p : refs) *p.value *= clip_coef;
  return total_norm;
}

double LrSchedule::lr_at(int64_t epoch) const {
  if (epoch < 0) throw std::invalid_argument("lr schedule: negative epoch " + std::to_string(epoch));
  if (epoch < warmup) {
    // LinearLR: start_factor + (end_factor - start_factor) * epoch / total_iters, end_factor 1.
    return lr * (warmup_start_factor + (1.0 - warmup_start_factor) * static_cast<double>(epoch) / warmup);
  }
  const int64_t e = epoch - warmup;
  switch (kind) {
    case LrScheduleKind::kConstant:
      return lr;
    case LrScheduleKind::kStep:  // StepLR: base_lr * gamma ** (last_epoch // step_size)
      return lr * std::pow(gamma, static_cast<double>(e / step_size));
    case LrScheduleKind::kCosine:  // CosineAnnealingLR's closed form
      return eta_min + (lr - eta_min) * (1.0 + std::cos(std::numbers::pi * static_cast<double>(e) / t_max)) / 2.0;
  }
  throw std::logic_error("lr schedule: unknown kind");
}

namespace {

[[noreturn]] void schedule_fail(const std::string& source, const std::string& field, const std::string& what) {
  throw std::invalid_argument(source + ": field '" + field + "': " + what);
}

double number_field(const nlohmann::json& j, const std::string& source, const std::string& field, double fallback,
                    double min, bool min_exclusive, double max = HUGE_VAL) {
  if (!j.contains(field)) return fallback;
  const nlohmann::json& v = j.at(field);
  if (!v.is_number()) schedule_fail(source, field, "expected a number, got " + v.dump());
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < min || (min_exclusive && x == min) || x > max)
    schedule_fail(source, field,
                  std::string("expected a number ") + (min_exclusive ? "> " : ">= ") + exact_text(min) +
                      (max < HUGE_VAL ? " and <= " + exact_text(max) : "") + ", got " + v.dump());
  return x;
}

int int_field(const nlohmann::json& j, const std::string& source, const std::string& field, int fallback, int min,
              bool required) {
  if (!j.contains(field)) {
    if (required) schedule_fail(source, field, "missing (required for kind '" + j.at("kind").get<std::string>() + "')");
    return fallback;
  }
  const nlohmann::json& v = j.at(field);
  if (!v.is_number_integer()) schedule_fail(source, field, "expected an integer, got " + v.dump());
  const auto x = v.get<int64_t>();
  if (x < min || x > std::numeric_limits<int>::max())
    schedule_fail(source, field, "expected an integer >= " + std::to_string(min) + ", got " + v.dump());
  return static_cast<int>(x);
}

}  // namespace

LrSchedule lr_schedule_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw std::invalid_argument(source + ": expected a JSON object as the lr schedule");
  if (!j.contains("kind")) schedule_fail(source, "kind", "missing (\"constant\", \"step\" or \"cosine\")");
  if (!j.at("kind").is_string()) schedule_fail(source, "kind", "expected a string, got " + j.at("kind").dump());
  const std::string kind = j.at("kind").get<std::string>();
  LrSchedule s;
  std::set<std::string> allowed = {"kind", "lr", "warmup", "warmup_start_factor"};
  if (kind == "constant") {
    s.kind = LrScheduleKind::kConstant;
  } else if (kind == "step") {
    s.kind = LrScheduleKind::kStep;
    allowed.insert({"step_size", "gamma"});
  } else if (kind == "cosine") {
    s.kind = LrScheduleKind::kCosine;
    allowed.insert({"t_max", "eta_min"});
  } else {
    schedule_fail(source, "kind", "expected \"constant\", \"step\" or \"cosine\", got \"" + kind + "\"");
  }
  for (const auto& [key, value] : j.items())
    if (!allowed.contains(key)) schedule_fail(source, key, "unknown for kind '" + kind + "'");

  s.lr = number_field(j, source, "lr", s.lr, 0.0, false);
  s.warmup = int_field(j, source, "warmup", s.warmup, 0, false);
  s.warmup_start_factor = number_field(j, source, "warmup_start_factor", s.warmup_start_factor, 0.0, true, 1.0);
  if (s.kind == LrScheduleKind::kStep) {
    s.step_size = int_field(j, source, "step_size", s.step_size, 1, true);
    s.gamma = number_field(j, source, "gamma", s.gamma, 0.0, true);
  } else if (s.kind == LrScheduleKind::kCosine) {
    s.t_max = int_field(j, source, "t_max", s.t_max, 1, true);
    s.eta_min = number_field(j, source, "eta_min", s.eta_min, 0.0, false);
  }
  return s;
}

nlohmann::json lr_schedule_to_json(const LrSchedule& s) {
  nlohmann::json j;
  switch (s.kind) {
    case LrScheduleKind::kConstant:
      j["kind"] = "constant";
      break;
    case LrScheduleKind::kStep:
      j["kind"] = "step";
      j["step_size"] = s.step_size;
      j["gamma"] = s.gamma;
      break;
    case LrScheduleKind::kCosine:
      j["kind"] = "cosine";
      j["t_max"] = s.t_max;
      j["eta_min"] = s.eta_min;
      break;
  }
  j["lr"] = s.lr;
  if (s.warmup > 0) {
    j["warmup"] = s.warmup;
    j["warmup_start_factor"] = s.warmup_start_factor;
  }
  return j;
}

}  // namespace liquid::lfm
