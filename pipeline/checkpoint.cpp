// Engine checkpoints in safetensors files; checkpoint.h describes the layout and the guarantees.
#include "pipeline/checkpoint.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "lfm/model_config.h"
#include "lfm/safetensors.h"

namespace liquid::pipeline {

namespace {

constexpr const char* kKey = "liquid.checkpoint";
constexpr int kVersion = 1;
constexpr double kMaxExactCounter = 9007199254740992.0;  // 2^53: doubles hold every integer below

// FNV-1a over every tensor's name and bytes: two models with the same configuration but other
// weights must not share a checkpoint.
std::string weights_hash(const lfm::Model& model) {
  const lfm::SafetensorsFile tensors = model.to_tensors();
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  for (const std::string& name : tensors.names()) {
    mix(name.data(), name.size());
    const lfm::Tensor& t = tensors.tensor(name);
    mix(t.data.data(), t.data.size());
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

const char* mode_name(DecisionMode mode) {
  switch (mode) {
    case DecisionMode::kNone: return "none";
    case DecisionMode::kPerSample: return "per_sample";
    case DecisionMode::kRate: return "rate";
    case DecisionMode::kOnChange: return "on_change";
  }
  return "?";
}

std::string show(const nlohmann::json& j) {
  std::string text = j.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

// The first place where `a` (the checkpoint's) and `b` (this engine's) differ, as a field path.
std::optional<std::string> first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& path) {
  // JSON read back types 16 as unsigned where the engine has a signed 16: compare numbers by value.
  if (a.is_number() && b.is_number()) {
    if (a == b) return std::nullopt;
    return path + " is " + show(a) + " in the checkpoint but " + show(b) + " in this engine";
  }
  if (a.type() != b.type()) return path + " is " + show(a) + " in the checkpoint but " + show(b) + " in this engine";
  if (a.is_object() && path.empty()) {
    // The signature's parts in the order a reader thinks of them, rather than alphabetical.
    for (const char* key : {"models", "streams", "fusion", "decisions"})
      if (a.contains(key) && b.contains(key))
        if (auto d = first_difference(a.at(key), b.at(key), key)) return d;
  }
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      const std::string sub = path.empty() ? it.key() : path + "." + it.key();
      if (!b.contains(it.key())) return sub + " is in the checkpoint but not in this engine";
      if (auto d = first_difference(it.value(), b.at(it.key()), sub)) return d;
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key())) return (path.empty() ? it.key() : path + "." + it.key()) + " is in this engine but not in the checkpoint";
    return std::nullopt;
  }
  if (a.is_array()) {
    if (a.size() != b.size())
      return path + " has " + std::to_string(a.size()) + " entries in the checkpoint but " + std::to_string(b.size()) +
             " in this engine";
    for (size_t k = 0; k < a.size(); ++k)
      if (auto d = first_difference(a[k], b[k], path + "[" + std::to_string(k) + "]")) return d;
    return std::nullopt;
  }
  if (a != b) return path + " is " + show(a) + " in the checkpoint but " + show(b) + " in this engine";
  return std::nullopt;
}

std::vector<double> to_doubles(const std::vector<uint64_t>& v, const std::string& what) {
  std::vector<double> out;
  out.reserve(v.size());
  for (uint64_t x : v) {
    if (static_cast<double>(x) >= kMaxExactCounter) throw CheckpointError("checkpoint: counter " + what + " is too large to store exactly");
    out.push_back(static_cast<double>(x));
  }
  return out;
}

}  // namespace

nlohmann::json engine_signature(const Engine& engine) {
  nlohmann::json sig;
  sig["models"] = nlohmann::json::array();
  for (int k = 0; k < engine.model_count(); ++k)
    sig["models"].push_back({{"config", lfm::config_to_json(engine.model(k).config())},
                             {"weights_fnv1a", weights_hash(engine.model(k))}});
  sig["streams"] = nlohmann::json::array();
  for (int id = 0; id < engine.stream_count(); ++id) {
    const StreamConfig& s = engine.stream_config(id);
    const lfm::Model& m = engine.model(s.model);
    sig["streams"].push_back({{"name", s.name},
                              {"model", s.model},
                              {"inputs", m.input_size()},
                              {"state", m.state_size()},
                              {"outputs", m.output_size()},
                              {"dt_scale", s.dt_scale},
                              {"first_dt", s.first_dt},
                              // JSON has no infinity: a stream that never goes stale says null.
                              {"timeout", std::isfinite(s.timeout) ? nlohmann::json(s.timeout) : nlohmann::json()},
                              {"late", s.late == LatePolicy::kDrop ? "drop" : "reject"}});
  }
  if (const FusionModel* f = engine.fusion())
    sig["fusion"] = {{"kind", f->kind() == HeadKind::kClasses ? "classes" : "values"},
                     {"names", f->names()},
                     {"input_size", f->input_size()}};
  else
    sig["fusion"] = nullptr;
  const DecisionConfig& d = engine.config().decisions;
  sig["decisions"] = {{"mode", mode_name(d.mode)}, {"period", d.period}, {"threshold", d.threshold}};
  return sig;
}

void save_checkpoint(const Engine& engine, const std::filesystem::path& path, const nlohmann::json& extra) {
  const EngineState st = engine.save_state();
  lfm::SafetensorsFile file;
  for (size_t k = 0; k < st.h.size(); ++k) {
    // Column-major (state x streams) is row-major (streams x state): one stream's state a row.
    const std::string prefix = "model." + std::to_string(k);
    file.add_tensor(prefix + ".h", {st.h[k].cols(), st.h[k].rows()}, std::span<const float>(st.h[k].data(), st.h[k].size()));
    if (st.c[k].size() > 0)
      file.add_tensor(prefix + ".c", {st.c[k].cols(), st.c[k].rows()}, std::span<const float>(st.c[k].data(), st.c[k].size()));
  }
  const auto n = static_cast<int64_t>(st.last_time.size());
  file.add_tensor("stream.last_time", {n}, std::span<const double>(st.last_time));
  file.add_tensor("stream.fused_time", {n}, std::span<const double>(st.fused_time));
  std::vector<double> has_time(st.has_time.begin(), st.has_time.end());
  file.add_tensor("stream.has_time", {n}, std::span<const double>(has_time));
  file.add_tensor("stream.samples", {n}, std::span<const double>(to_doubles(st.samples, "stream.samples")));
  file.add_tensor("stream.dropped_late", {n}, std::span<const double>(to_doubles(st.dropped_late, "stream.dropped_late")));
  file.add_tensor("latest", {static_cast<int64_t>(st.latest.size())}, std::span<const float>(st.latest));
  if (!st.decision_values.empty())
    file.add_tensor("decision.values", {static_cast<int64_t>(st.decision_values.size())},
                    std::span<const float>(st.decision_values));
  if (!st.fusion.empty()) file.add_tensor("fusion.state", {static_cast<int64_t>(st.fusion.size())}, std::span<const double>(st.fusion));

  // nlohmann writes doubles with enough digits to read back the same bits; the counters are
  // integers in JSON.
  const nlohmann::json sig = engine_signature(engine);
  nlohmann::json meta = {{"version", kVersion},
                         {"engine", sig},
                         {"state",
                          {{"samples", st.total_samples},
                           {"rate_started", st.rate_started},
                           {"next_boundary", st.next_boundary},
                           {"has_decision", st.has_decision},
                           {"decision_time", st.decision_time},
                           {"decision_argmax", st.decision_argmax},
                           {"decision_samples", st.decision_samples}}},
                         {"extra", extra}};
  file.set_metadata(kKey, meta.dump());
  file.set_metadata("liquid.engine", sig.dump());
  file.write_file(path);
}

nlohmann::json load_checkpoint(Engine& engine, const std::filesystem::path& path) {
  const std::string where = path.string();
  lfm::SafetensorsFile file;
  try {
    file = lfm::SafetensorsFile::read_file(path);
  } catch (const std::exception& e) {
    throw CheckpointError(std::string("checkpoint ") + e.what());
  }
  auto it = file.metadata().find(kKey);
  if (it == file.metadata().end())
    throw CheckpointError(where + ": not an engine checkpoint (no \"" + kKey + "\" metadata; a model file?)");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(it->second);
  } catch (const std::exception& e) {
    throw CheckpointError(where + ": metadata \"" + kKey + "\" is not JSON: " + e.what());
  }
  try {
    if (meta.at("version") != kVersion)
      throw CheckpointError(where + ": checkpoint version " + meta.at("version").dump() + ", this program reads version " +
                            std::to_string(kVersion));
    if (auto d = first_difference(meta.at("engine"), engine_signature(engine), ""))
      throw CheckpointError(where + ": made by another configuration: " + *d);

    EngineState st;
    for (int k = 0; k < engine.model_count(); ++k) {
      const lfm::Model& m = engine.model(k);
      int streams = 0;
      for (int id = 0; id < engine.stream_count(); ++id) streams += engine.stream_config(id).model == k;
      const std::string prefix = "model." + std::to_string(k);
      const std::vector<float> h = file.get(prefix + ".h", {streams, m.state_size()}).to_float();
      st.h.push_back(Eigen::Map<const Eigen::MatrixXf>(h.data(), m.state_size(), streams));
      if (m.config().mixed_memory) {
        const std::vector<float> c = file.get(prefix + ".c", {streams, m.state_size()}).to_float();
        st.c.push_back(Eigen::Map<const Eigen::MatrixXf>(c.data(), m.state_size(), streams));
      } else {
        st.c.push_back(Eigen::MatrixXf(0, streams));
      }
    }
    const int64_t n = engine.stream_count();
    st.last_time = file.get("stream.last_time", {n}).to_double();
    st.fused_time = file.get("stream.fused_time", {n}).to_double();
    for (double v : file.get("stream.has_time", {n}).to_double()) st.has_time.push_back(v != 0.0);
    for (double v : file.get("stream.samples", {n}).to_double()) st.samples.push_back(static_cast<uint64_t>(v));
    for (double v : file.get("stream.dropped_late", {n}).to_double()) st.dropped_late.push_back(static_cast<uint64_t>(v));
    st.latest = file.tensor("latest").to_float();
    if (file.contains("decision.values")) st.decision_values = file.tensor("decision.values").to_float();
    if (file.contains("fusion.state")) st.fusion = file.tensor("fusion.state").to_double();
    const nlohmann::json& s = meta.at("state");
    st.total_samples = s.at("samples").get<uint64_t>();
    st.rate_started = s.at("rate_started").get<bool>();
    st.next_boundary = s.at("next_boundary").get<int64_t>();
    st.has_decision = s.at("has_decision").get<bool>();
    st.decision_time = s.at("decision_time").get<double>();
    st.decision_argmax = s.at("decision_argmax").get<int>();
    st.decision_samples = s.at("decision_samples").get<uint64_t>();
    engine.restore_state(st);
  } catch (const CheckpointError&) {
    throw;
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(where + ": metadata \"" + kKey + "\" is incomplete: " + e.what());
  } catch (const std::exception& e) {
    throw CheckpointError(where + ": " + e.what());
  }
  return meta.value("extra", nlohmann::json());
}

}  // namespace liquid::pipeline
