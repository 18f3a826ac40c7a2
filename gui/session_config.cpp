// Parsing of the dashboard's stream configuration (session_config.h): strict about types so a typo
// gives a message naming the field instead of a silently ignored option.
#include "gui/session_config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace liquid::gui {

namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& field, const std::string& what) {
  throw ConfigError(source + ": " + field + ": " + what);
}

void check_keys(const json& object, const std::set<std::string>& known, const std::string& source,
                const std::string& where) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!known.count(it.key())) fail(source, where + it.key(), "unknown field");
  }
}

std::string get_string(const json& object, const char* key, const std::string& source, const std::string& where) {
  const json& value = object.at(key);
  if (!value.is_string()) fail(source, where + key, "expected a string");
  return value.get<std::string>();
}

bool get_bool(const json& object, const char* key, bool fallback, const std::string& source,
              const std::string& where) {
  if (!object.contains(key)) return fallback;
  if (!object[key].is_boolean()) fail(source, where + key, "expected true or false");
  return object[key].get<bool>();
}

double get_number(const json& object, const char* key, double fallback, const std::string& source,
                  const std::string& where) {
  if (!object.contains(key)) return fallback;
  if (!object[key].is_number()) fail(source, where + key, "expected a number");
  return object[key].get<double>();
}

std::vector<float> get_floats(const json& array, const std::string& source, const std::string& where) {
  if (!array.is_array()) fail(source, where, "expected an array of numbers");
  std::vector<float> out;
  for (const json& v : array) {
    if (!v.is_number()) fail(source, where, "expected an array of numbers");
    out.push_back(v.get<float>());
  }
  return out;
}

StreamSpec parse_stream(const json& s, size_t index, const std::filesystem::path& base, const std::string& source) {
  const std::string where = "streams[" + std::to_string(index) + "].";
  if (!s.is_object()) fail(source, where, "expected an object");
  check_keys(s, {"name", "source", "model", "features", "timeout"}, source, where);
  StreamSpec spec;
  spec.name = s.contains("name") ? get_string(s, "name", source, where) : "stream" + std::to_string(index);
  if (!s.contains("source") || !s["source"].is_object())
    fail(source, where + "source", "expected an object such as {\"csv\": \"file.csv\"}");
  const json& src = s["source"];
  check_keys(src, {"csv", "time_column", "columns"}, source, where + "source.");
  if (!src.contains("csv")) fail(source, where + "source.csv", "missing (the CSV series file)");
  spec.csv = base / get_string(src, "csv", source, where + "source.");
  if (src.contains("time_column")) spec.time_column = get_string(src, "time_column", source, where + "source.");
  if (src.contains("columns")) {
    if (!src["columns"].is_array()) fail(source, where + "source.columns", "expected an array of names");
    for (const json& c : src["columns"]) {
      if (!c.is_string()) fail(source, where + "source.columns", "expected an array of names");
      spec.columns.push_back(c.get<std::string>());
    }
  }
  if (!s.contains("model")) fail(source, where + "model", "missing (a .safetensors model file)");
  spec.model = base / get_string(s, "model", source, where);
  if (s.contains("features")) {
    const json& f = s["features"];
    if (!f.is_object()) fail(source, where + "features", "expected an object");
    check_keys(f, {"masks", "time_since"}, source, where + "features.");
    spec.masks = get_bool(f, "masks", false, source, where + "features.");
    spec.time_since = get_bool(f, "time_since", false, source, where + "features.");
  }
  spec.timeout = get_number(s, "timeout", 0.0, source, where);
  if (!(spec.timeout >= 0.0)) fail(source, where + "timeout", "expected seconds >= 0");
  return spec;
}

}  // namespace

SessionConfig parse_session_config(const std::string& json_text, const std::filesystem::path& base_dir,
                                   const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    throw ConfigError(source + ": not valid JSON: " + e.what());
  }
  if (!root.is_object()) throw ConfigError(source + ": expected a JSON object with \"streams\"");
  check_keys(root, {"streams", "head", "speed"}, source, "");
  SessionConfig config;
  if (!root.contains("streams") || !root["streams"].is_array() || root["streams"].empty())
    fail(source, "streams", "expected a non-empty array of streams");
  std::set<std::string> names;
  for (size_t i = 0; i < root["streams"].size(); ++i) {
    config.streams.push_back(parse_stream(root["streams"][i], i, base_dir, source));
    if (!names.insert(config.streams.back().name).second)
      fail(source, "streams[" + std::to_string(i) + "].name", "duplicate name '" + config.streams.back().name + "'");
  }
  if (root.contains("head")) {
    const json& h = root["head"];
    if (!h.is_object()) fail(source, "head", "expected an object");
    check_keys(h, {"kind", "names", "weight", "bias"}, source, "head.");
    if (h.contains("kind")) {
      const std::string kind = get_string(h, "kind", source, "head.");
      if (kind != "classes" && kind != "values") fail(source, "head.kind", "expected \"classes\" or \"values\"");
      config.head.classes = kind == "classes";
    }
    if (h.contains("names")) {
      if (!h["names"].is_array()) fail(source, "head.names", "expected an array of names");
      for (const json& n : h["names"]) {
        if (!n.is_string()) fail(source, "head.names", "expected an array of names");
        config.head.names.push_back(n.get<std::string>());
      }
    }
    if (h.contains("weight")) {
      if (!h["weight"].is_array()) fail(source, "head.weight", "expected an array of rows");
      for (const json& row : h["weight"]) config.head.weight.push_back(get_floats(row, source, "head.weight"));
    }
    if (h.contains("bias")) config.head.bias = get_floats(h["bias"], source, "head.bias");
  }
  config.speed = get_number(root, "speed", 1.0, source, "");
  if (!(config.speed >= 0.0)) fail(source, "speed", "expected a number >= 0 (0: as fast as possible)");
  return config;
}

SessionConfig load_session_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_session_config(text.str(), path.parent_path(), path.string());
}

}  // namespace liquid::gui
