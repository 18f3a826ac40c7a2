// Decisions as JSON lines (see decision_json.h).
#include "pipeline/decision_json.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace liquid::pipeline {

namespace {

template <typename T>
void append_number(std::string& out, T v) {  // shortest text that reads back as the same T
  char text[32];
  out.append(text, std::to_chars(text, text + sizeof text, v).ptr);
}

}  // namespace

DecisionJson::DecisionJson(const std::vector<std::string>& names, const std::vector<std::string>& streams) {
  for (const auto& n : names) names_.push_back(nlohmann::json(n).dump());
  for (const auto& s : streams) streams_.push_back(nlohmann::json(s).dump());
}

const std::string& DecisionJson::line(const Decision& d) {
  line_.assign("{\"time\":");
  append_number(line_, d.time);
  line_ += ",\"values\":{";
  for (size_t k = 0; k < d.values.size() && k < names_.size(); ++k) {
    if (k) line_ += ',';
    line_ += names_[k];
    line_ += ':';
    append_number(line_, d.values[k]);
  }
  line_ += '}';
  if (d.argmax >= 0 && size_t(d.argmax) < names_.size()) line_.append(",\"class\":").append(names_[size_t(d.argmax)]);
  for (const auto* list : {&d.fresh, &d.stale}) {
    line_ += list == &d.fresh ? ",\"fresh\":[" : "],\"stale\":[";
    for (size_t k = 0; k < list->size(); ++k) line_.append(k ? "," : "").append(streams_.at(size_t((*list)[k])));
  }
  line_ += "],\"samples\":";
  line_ += std::to_string(d.samples);
  if (!d.explanation.empty()) line_.append(",\"explanation\":").append(d.explanation);
  line_ += "}\n";
  return line_;
}

}  // namespace liquid::pipeline
