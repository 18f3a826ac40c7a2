// A decision as the JSON line `liquid stream` writes (outputs.decisions) and liquidfusion's
// decisions-location, so that both can be read by the same tools (samples/smart-home's report):
//   {"time":1422886920,"values":{"occupancy.empty":0.71,...},"class":"...","fresh":["room"],
//    "stale":["voice"],"samples":12,"explanation":{...}}
// "class" only for a classes head; "explanation" only when the fusion gives one (multi_head.h).
// Numbers are the shortest text that reads back as the same double (time) or float (values).
#pragma once

#include <string>
#include <vector>

#include "pipeline/fusion.h"

namespace liquid::pipeline {

class DecisionJson {
 public:
  // `names`: the head's (FusionModel::names()); `streams`: the engine's stream names by id.
  DecisionJson(const std::vector<std::string>& names, const std::vector<std::string>& streams);
  // The line for `d`, ending in '\n' (valid until the next call).
  const std::string& line(const Decision& d);

 private:
  std::vector<std::string> names_, streams_;  // quoted
  std::string line_;
};

}  // namespace liquid::pipeline
