// Reading the engine configuration; the format is documented in stream_config.h.
#include "pipeline/stream_config.h"

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace liquid::pipeline {

namespace {

using nlohmann::json;

// One JSON object at a known path: typed getters that fail with "FILE: PATH.KEY: expected ..., got ...".
class Obj {
 public:
  Obj(const json& j, std::string path, std::string file, std::initializer_list<const char*> allowed)
      : j_(j), path_(std::move(path)), file_(std::move(file)) {
    if (!j.is_object()) fail_here("expected a JSON object, got " + show(j));
    std::set<std::string> ok(allowed.begin(), allowed.end());
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!ok.count(it.key())) {
        std::string list;
        for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(it.key(), "unknown field (expected one of: " + list + ")");
      }
  }
  bool has(const char* key) const { return j_.contains(key); }
  const json& at(const char* key) const { return j_.at(key); }
  std::string at_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
    throw StreamConfigError(file_ + ": " + at_path(key) + ": " + msg);
  }
  [[noreturn]] void fail_here(const std::string& msg) const {
    throw StreamConfigError(file_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " + msg);
  }
  static std::string show(const json& v) {
    std::string s = v.dump();
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
  }

  std::string str(const char* key, const std::string& def = {}, bool required = false) const {
    if (!has(key)) {
      if (required) fail(key, "missing (expected a string)");
      return def;
    }
    if (!at(key).is_string()) fail(key, "expected a string, got " + show(at(key)));
    return at(key).get<std::string>();
  }
  double num(const char* key, double def, double min, bool min_exclusive = false) const {
    if (!has(key)) return def;
    const json& v = at(key);
    const std::string want = std::string("expected a number ") + (min_exclusive ? "> " : ">= ") + fmt(min);
    if (!v.is_number()) fail(key, want + ", got " + show(v));
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < min || (min_exclusive && x == min)) fail(key, want + ", got " + show(v));
    return x;
  }
  int integer(const char* key, int def, int min) const {
    if (!has(key)) return def;
    const json& v = at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > 1'000'000'000)
      fail(key, "expected an integer >= " + std::to_string(min) + ", got " + show(v));
    return v.get<int>();
  }
  bool boolean(const char* key, bool def) const {
    if (!has(key)) return def;
    if (!at(key).is_boolean()) fail(key, "expected true or false, got " + show(at(key)));
    return at(key).get<bool>();
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    if (!at(key).is_array()) fail(key, "expected an array of strings, got " + show(at(key)));
    for (size_t k = 0; k < at(key).size(); ++k) {
      if (!at(key)[k].is_string())
        throw StreamConfigError(file_ + ": " + at_path(key) + "[" + std::to_string(k) + "]: expected a string, got " + show(at(key)[k]));
      out.push_back(at(key)[k].get<std::string>());
    }
    return out;
  }
  std::vector<float> floats(const char* key) const {
    std::vector<float> out;
    if (!at(key).is_array()) fail(key, "expected an array of numbers, got " + show(at(key)));
    for (size_t k = 0; k < at(key).size(); ++k) {
      if (!at(key)[k].is_number() || !std::isfinite(at(key)[k].get<double>()))
        throw StreamConfigError(file_ + ": " + at_path(key) + "[" + std::to_string(k) + "]: expected a finite number, got " +
                                show(at(key)[k]));
      out.push_back(at(key)[k].get<float>());
    }
    return out;
  }
  // One of `choices`, returned as its index.
  int choice(const char* key, std::initializer_list<const char*> choices, int def) const {
    if (!has(key)) return def;
    const std::string v = str(key);
    int k = 0;
    std::string list;
    for (const char* c : choices) {
      if (v == c) return k;
      list += (k++ ? ", " : "") + std::string("\"") + c + "\"";
    }
    fail(key, "expected one of " + list + ", got \"" + v + "\"");
  }
  Obj sub(const char* key, std::initializer_list<const char*> allowed) const {
    return Obj(at(key), at_path(key), file_, allowed);
  }
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

 private:
  static std::string fmt(double x) {
    std::ostringstream s;
    s << x;
    return s.str();
  }
  const json& j_;
  std::string path_, file_;
};

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  const std::filesystem::path path(p);
  return path.is_absolute() ? path : base / path;
}

SourceSpec parse_source(const Obj& o, const std::filesystem::path& base) {
  SourceSpec s;
  const int kind = o.choice("kind", {"csv", "wav", "video", "mqtt", "clips"}, -1);
  if (kind < 0) o.fail("kind", "missing (expected \"csv\", \"wav\", \"video\", \"mqtt\" or \"clips\")");
  s.kind = static_cast<SourceKind>(kind);
  if (s.kind == SourceKind::kClips) s.schedule = resolve(base, o.str("schedule", {}, true));
  else if (s.kind != SourceKind::kMqtt) s.path = resolve(base, o.str("path", {}, true));
  s.time_offset = o.num("time_offset", 0.0, -1e12);
  s.time_column = o.str("time_column");
  s.columns = o.strings("columns");
  s.speed = o.num("speed", 0.0, 0.0);
  s.block_frames = o.integer("block_frames", 1024, 1);
  s.frame_step = o.integer("frame_step", 1, 1);
  if (s.kind == SourceKind::kMqtt) {
    s.topic.topic = o.str("topic", {}, true);
    if (s.topic.topic.empty() || s.topic.topic.find_first_of("+#") != std::string::npos)
      o.fail("topic", "expected a plain topic name (no wildcards: one topic is one stream)");
    s.topic.fields = o.strings("fields");
    s.topic.width = o.integer("width", s.topic.fields.empty() ? 1 : static_cast<int>(s.topic.fields.size()), 1);
    if (!s.topic.fields.empty() && static_cast<int>(s.topic.fields.size()) != s.topic.width)
      o.fail("fields", std::to_string(s.topic.fields.size()) + " fields for a width of " + std::to_string(s.topic.width));
  }
  // Fields that belong to another kind are mistakes worth naming.
  auto only = [&](const char* key, std::initializer_list<SourceKind> kinds) {
    if (!o.has(key)) return;
    for (SourceKind k : kinds)
      if (k == s.kind) return;
    o.fail(key, "not a field of this source kind");
  };
  only("path", {SourceKind::kCsv, SourceKind::kWav, SourceKind::kVideo});
  only("time_column", {SourceKind::kCsv});
  only("columns", {SourceKind::kCsv});
  only("speed", {SourceKind::kCsv});
  only("block_frames", {SourceKind::kWav, SourceKind::kClips});
  only("schedule", {SourceKind::kClips});
  only("time_offset", {SourceKind::kCsv, SourceKind::kWav, SourceKind::kVideo, SourceKind::kClips});
  only("frame_step", {SourceKind::kVideo});
  only("topic", {SourceKind::kMqtt});
  only("width", {SourceKind::kMqtt});
  only("fields", {SourceKind::kMqtt});
  return s;
}

EncoderSpec parse_encoder(const Obj* o, SourceKind source) {
  EncoderSpec e;
  const bool audio_source = source == SourceKind::kWav || source == SourceKind::kClips;
  e.kind = audio_source ? EncoderKind::kAudio : source == SourceKind::kVideo ? EncoderKind::kVideo : EncoderKind::kSeries;
  if (!o) return e;
  e.kind = static_cast<EncoderKind>(o->choice("kind", {"series", "audio", "video"}, static_cast<int>(e.kind)));
  const bool series_source = source == SourceKind::kCsv || source == SourceKind::kMqtt;
  if ((e.kind == EncoderKind::kSeries) != series_source || (e.kind == EncoderKind::kAudio) != audio_source)
    o->fail("kind", "this encoder does not take this source's samples (csv, mqtt: series; wav, clips: audio; video: video)");
  std::initializer_list<const char*> series_fields = {"channels", "masks", "time_since"};
  std::initializer_list<const char*> audio_fields = {"feature", "window_seconds", "hop_seconds", "n_mels", "n_mfcc", "fmin", "fmax", "delta_order"};
  std::initializer_list<const char*> video_fields = {"working_width", "grid_cols", "grid_rows", "grey", "motion", "motion_mean", "flow"};
  auto reject_others = [&](std::initializer_list<std::initializer_list<const char*>> others) {
    for (auto list : others)
      for (const char* k : list)
        if (o->has(k)) o->fail(k, "not a field of this encoder kind");
  };
  if (e.kind == EncoderKind::kSeries) {
    reject_others({audio_fields, video_fields});
    e.channels = o->strings("channels");
    e.masks = o->boolean("masks", false);
    e.time_since = o->boolean("time_since", false);
  } else if (e.kind == EncoderKind::kAudio) {
    reject_others({series_fields, video_fields});
    e.audio.kind = static_cast<encoders::AudioFeatureKind>(
        o->choice("feature", {"magnitude", "power", "log_mel", "mfcc"}, static_cast<int>(encoders::AudioFeatureKind::kLogMel)));
    e.audio.window_seconds = o->num("window_seconds", 0.025, 0.0, true);
    e.audio.hop_seconds = o->num("hop_seconds", 0.010, 0.0, true);
    e.audio.n_mels = o->integer("n_mels", 40, 1);
    e.audio.n_mfcc = o->integer("n_mfcc", 13, 1);
    e.audio.fmin = o->num("fmin", 0.0, 0.0);
    e.audio.fmax = o->num("fmax", 0.0, 0.0);
    e.audio.delta_order = o->integer("delta_order", 0, 0);
  } else {
    reject_others({series_fields, audio_fields});
    e.video.working_width = o->integer("working_width", 160, 0);
    e.video.grid_cols = o->integer("grid_cols", 8, 1);
    e.video.grid_rows = o->integer("grid_rows", 6, 1);
    e.video.grey = o->boolean("grey", true);
    e.video.motion = o->boolean("motion", true);
    e.video.motion_mean = o->boolean("motion_mean", true);
    e.video.flow = o->boolean("flow", false);
  }
  if (o->has("normalization")) {
    const json& n = o->at("normalization");
    if (n.is_string()) {
      const int mode = o->choice("normalization", {"model", "none"}, 0);
      e.normalization = mode == 0 ? EncoderSpec::Normalization::kModel : EncoderSpec::Normalization::kNone;
      e.normalization_explicit = mode == 0;
    } else {
      const Obj no = o->sub("normalization", {"mean", "std"});
      e.normalization = EncoderSpec::Normalization::kGiven;
      if (!no.has("mean") || !no.has("std")) no.fail_here("expected both \"mean\" and \"std\" arrays");
      e.mean = no.floats("mean");
      e.std = no.floats("std");
      if (e.mean.size() != e.std.size()) no.fail("std", "has " + std::to_string(e.std.size()) + " values, \"mean\" " + std::to_string(e.mean.size()));
      for (float s : e.std)
        if (!(s > 0)) no.fail("std", "expected positive standard deviations");
    }
  }
  return e;
}

MultiHeadConfig parse_heads(const Obj& f, const std::set<std::string>& streams) {
  MultiHeadConfig m;
  if (!f.has("heads") || !f.at("heads").is_array() || f.at("heads").empty())
    f.fail("heads", "expected a non-empty array of heads");
  std::set<std::string> names;
  for (size_t k = 0; k < f.at("heads").size(); ++k) {
    const Obj h(f.at("heads")[k], f.at_path("heads") + "[" + std::to_string(k) + "]", f.file(),
                {"name", "stream", "kind", "classes", "threshold", "output", "endpoint", "reasons"});
    HeadConfig c;
    c.name = h.str("name", {}, true);
    if (c.name.empty() || !names.insert(c.name).second) h.fail("name", "expected a unique, non-empty name");
    c.stream = h.str("stream", {}, true);
    if (!streams.count(c.stream)) h.fail("stream", "\"" + c.stream + "\" is not the name of a stream");
    c.kind = h.choice("kind", {"classes", "level"}, 0) == 0 ? HeadConfig::Kind::kClasses : HeadConfig::Kind::kLevel;
    c.classes = h.strings("classes");
    c.threshold = static_cast<float>(h.num("threshold", c.kind == HeadConfig::Kind::kLevel ? 0.5 : 0.0, -1e30));
    c.output = h.integer("output", 0, 0);
    c.endpoint = h.num("endpoint", 0.0, 0.0);
    c.reasons = h.integer("reasons", 3, 0);
    if (c.kind == HeadConfig::Kind::kLevel)
      for (const char* key : {"classes", "endpoint"})
        if (h.has(key)) h.fail(key, "not a field of a \"level\" head");
    if (c.kind == HeadConfig::Kind::kClasses && h.has("output")) h.fail("output", "only for a \"level\" head");
    m.heads.push_back(std::move(c));
  }
  if (f.has("rules")) {
    if (!f.at("rules").is_array()) f.fail("rules", "expected an array of rules");
    for (size_t k = 0; k < f.at("rules").size(); ++k) {
      const std::string path = f.at_path("rules") + "[" + std::to_string(k) + "]";
      const Obj r(f.at("rules")[k], path, f.file(), {"name", "initial", "on", "off"});
      RuleConfig rc;
      rc.name = r.str("name", {}, true);
      if (rc.name.empty() || !names.insert(rc.name).second) r.fail("name", "expected a non-empty name unused by heads and rules");
      rc.initial = r.boolean("initial", false);
      for (const char* list : {"on", "off"}) {
        if (!r.has(list)) continue;
        if (!r.at(list).is_array()) r.fail(list, "expected an array of {\"head\": ..., \"value\": ..., \"for\": seconds}");
        for (size_t t = 0; t < r.at(list).size(); ++t) {
          const Obj tr(r.at(list)[t], r.at_path(list) + "[" + std::to_string(t) + "]", f.file(), {"head", "value", "for"});
          RuleTrigger trig{tr.str("head", {}, true), tr.str("value", {}, true), tr.num("for", 0.0, 0.0)};
          if (!names.count(trig.head)) tr.fail("head", "\"" + trig.head + "\" is not the name of a head");
          (std::string(list) == "on" ? rc.on : rc.off).push_back(std::move(trig));
        }
      }
      if (rc.on.empty() && rc.off.empty()) r.fail_here("expected \"on\" or \"off\" triggers");
      m.rules.push_back(std::move(rc));
    }
  }
  return m;
}

}  // namespace

StreamSetup parse_stream_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw StreamConfigError(path.string() + ": cannot open the configuration file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_stream_config_text(text.str(), path);
}

StreamSetup parse_stream_config_text(const std::string& text, const std::filesystem::path& path) {
  const std::string file = path.string();
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw StreamConfigError(file + ": not valid JSON: " + e.what());
  }
  const std::filesystem::path base = path.parent_path();
  const Obj top(root, "", file, {"description", "engine", "models", "mqtt", "streams", "fusion", "decisions", "outputs"});
  StreamSetup setup;
  setup.file = path;

  if (top.has("engine")) {
    const Obj e = top.sub("engine", {"max_batch", "step_threads", "batch_frames", "time_ordered"});
    setup.time_ordered = e.boolean("time_ordered", false);
    setup.engine.max_batch = e.integer("max_batch", 256, 1);
    setup.engine.step_threads = e.integer("step_threads", 1, 1);
    setup.batch_frames = static_cast<size_t>(e.integer("batch_frames", 4096, 1));
  }
  if (!top.has("models")) top.fail("models", "missing (expected {\"name\": \"model.safetensors\", ...})");
  {
    const json& m = top.at("models");
    if (!m.is_object() || m.empty()) top.fail("models", "expected a non-empty object of name: model file");
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (!it->is_string()) top.fail("models", it.key() + ": expected a model file path, got " + Obj::show(*it));
      setup.models.emplace_back(it.key(), resolve(base, it->get<std::string>()));
    }
  }
  if (!top.has("streams") || !top.at("streams").is_array() || top.at("streams").empty())
    top.fail("streams", "expected a non-empty array of streams");
  std::set<std::string> names;
  bool any_mqtt = false;
  for (size_t k = 0; k < top.at("streams").size(); ++k) {
    const Obj s(top.at("streams")[k], "streams[" + std::to_string(k) + "]", file,
                {"name", "model", "dt_scale", "late", "first_dt", "timeout", "trace", "trace_inputs", "reset_after",
                 "queue", "source", "encoder"});
    StreamSpec spec;
    spec.engine.name = s.str("name", {}, true);
    if (spec.engine.name.empty() || !names.insert(spec.engine.name).second) s.fail("name", "expected a unique, non-empty name");
    spec.model = s.str("model", {}, true);
    int model = -1;
    for (size_t m = 0; m < setup.models.size(); ++m)
      if (setup.models[m].first == spec.model) model = static_cast<int>(m);
    if (model < 0) s.fail("model", "\"" + spec.model + "\" is not a key of \"models\"");
    spec.engine.model = model;
    spec.engine.dt_scale = s.num("dt_scale", 1.0, 0.0, true);
    spec.engine.late = s.choice("late", {"reject", "drop"}, 0) == 0 ? LatePolicy::kReject : LatePolicy::kDrop;
    spec.engine.first_dt = s.num("first_dt", 0.0, 0.0);
    if (s.has("timeout")) spec.engine.timeout = s.num("timeout", 1.0, 0.0, true);
    spec.engine.trace = s.boolean("trace", false);
    spec.engine.trace_inputs = s.boolean("trace_inputs", false);
    if (spec.engine.trace_inputs && !spec.engine.trace) s.fail("trace_inputs", "needs \"trace\": true");
    if (s.has("reset_after")) spec.engine.reset_after = s.num("reset_after", 1.0, 0.0);
    spec.queue.name = spec.engine.name;
    if (s.has("queue")) {
      const Obj q = s.sub("queue", {"capacity", "overflow"});
      spec.queue.capacity = static_cast<size_t>(q.integer("capacity", 1024, 1));
      spec.queue.overflow = q.choice("overflow", {"block", "drop_oldest"}, 0) == 0 ? Overflow::kBlock : Overflow::kDropOldest;
    }
    if (!s.has("source")) s.fail("source", "missing (expected {\"kind\": \"csv\" | \"wav\" | \"video\" | \"mqtt\", ...})");
    spec.source = parse_source(s.sub("source", {"kind", "path", "time_column", "columns", "speed", "block_frames",
                                                "frame_step", "topic", "width", "fields", "schedule", "time_offset"}),
                               base);
    if (spec.source.kind == SourceKind::kMqtt) {
      any_mqtt = true;
      setup.mqtt.topics.push_back(spec.source.topic);
    }
    if (s.has("encoder")) {
      const Obj e = s.sub("encoder", {"kind", "channels", "normalization", "masks", "time_since", "feature", "window_seconds",
                                      "hop_seconds", "n_mels", "n_mfcc", "fmin", "fmax", "delta_order", "working_width",
                                      "grid_cols", "grid_rows", "grey", "motion", "motion_mean", "flow"});
      spec.encoder = parse_encoder(&e, spec.source.kind);
    } else {
      spec.encoder = parse_encoder(nullptr, spec.source.kind);
    }
    setup.streams.push_back(std::move(spec));
  }
  if (top.has("mqtt")) {
    const Obj m = top.sub("mqtt", {"host", "port", "client_id", "qos", "keepalive", "time_field", "time_scale", "accept_retained"});
    if (!any_mqtt) m.fail_here("no stream has an mqtt source");
    setup.mqtt.host = m.str("host", "127.0.0.1");
    setup.mqtt.port = m.integer("port", 1883, 1);
    setup.mqtt.client_id = m.str("client_id", "liquid-stream");
    setup.mqtt.qos = m.integer("qos", 2, 0);
    if (setup.mqtt.qos > 2) m.fail("qos", "expected 0, 1 or 2");
    setup.mqtt.keepalive = m.integer("keepalive", 10, 5);
    setup.mqtt.time_field = m.str("time_field", "time");
    setup.mqtt.time_scale = m.num("time_scale", 1.0, 0.0, true);
    setup.mqtt.accept_retained = m.boolean("accept_retained", false);
  } else if (any_mqtt) {
    setup.mqtt.client_id = "liquid-stream";
  }

  if (top.has("fusion")) {
    const Obj f = top.sub("fusion", {"head", "stream", "path", "kind", "names", "heads", "rules", "context"});
    const int head = f.choice("head", {"stream", "mean", "file", "heads", "model"}, -1);
    if (head < 0) f.fail("head", "missing (expected \"stream\", \"mean\", \"file\", \"heads\" or \"model\")");
    constexpr HeadSource kHeadSources[] = {HeadSource::kStream, HeadSource::kMean, HeadSource::kFile, HeadSource::kHeads,
                                           HeadSource::kModel};
    setup.head = kHeadSources[head];
    if (setup.head == HeadSource::kHeads) {
      setup.heads = parse_heads(f, names);
      for (const HeadConfig& h : setup.heads.heads)
        for (StreamSpec& spec : setup.streams)
          if (spec.engine.name == h.stream) spec.engine.trace = true;  // the reasons read the neurons
      for (const char* key : {"kind", "names"})
        if (f.has(key)) f.fail(key, "not a field of \"head\": \"heads\" (each head has its own)");
    } else {
      for (const char* key : {"heads", "rules"})
        if (f.has(key)) f.fail(key, "only for \"head\": \"heads\"");
    }
    if (setup.head == HeadSource::kStream) {
      setup.head_stream = f.str("stream", {}, true);
      if (!names.count(setup.head_stream)) f.fail("stream", "\"" + setup.head_stream + "\" is not the name of a stream");
    } else if (f.has("stream")) {
      f.fail("stream", "only for \"head\": \"stream\"");
    }
    if (setup.head == HeadSource::kFile || setup.head == HeadSource::kModel) setup.head_path = resolve(base, f.str("path", {}, true));
    else if (f.has("path")) f.fail("path", "only for \"head\": \"file\" or \"model\"");
    if (setup.head == HeadSource::kModel) setup.head_context = f.integer("context", 8192, 1);
    else if (f.has("context")) f.fail("context", "only for \"head\": \"model\"");
    if (f.has("kind")) setup.head_kind = f.choice("kind", {"classes", "values"}, 0) == 0 ? HeadKind::kClasses : HeadKind::kValues;
    setup.head_names = f.strings("names");
  }
  const bool fused = setup.head != HeadSource::kNone;
  setup.engine.decisions.mode = fused ? DecisionMode::kPerSample : DecisionMode::kNone;
  if (top.has("decisions")) {
    const Obj d = top.sub("decisions", {"mode", "period", "threshold"});
    const int mode = d.choice("mode", {"none", "per_sample", "rate", "on_change"}, fused ? 1 : 0);
    setup.engine.decisions.mode = static_cast<DecisionMode>(mode);
    if (mode != 0 && !fused) d.fail("mode", "decisions need a \"fusion\" head");
    setup.engine.decisions.period = d.num("period", 1.0, 0.0, true);
    setup.engine.decisions.threshold = static_cast<float>(d.num("threshold", 0.0, 0.0));
  }
  if (top.has("outputs")) {
    const Obj o = top.sub("outputs", {"decisions", "trace", "checkpoint", "checkpoint_period"});
    setup.decisions_out = o.str("decisions", "-");
    if (setup.decisions_out != "-") setup.decisions_out = resolve(base, setup.decisions_out).string();
    if (o.has("trace")) setup.trace_path = resolve(base, o.str("trace"));
    if (o.has("checkpoint")) setup.checkpoint_path = resolve(base, o.str("checkpoint"));
    setup.checkpoint_period = o.num("checkpoint_period", 30.0, 0.0, true);
  }
  return setup;
}

}  // namespace liquid::pipeline
