// The dashboard's stream configuration: a small JSON file naming CSV series, the model each one
// drives and the replay speed. It is the GUI's own format, kept deliberately small until
// `liquid stream` has its configuration; see gui/README.md for the full description.
//
//   {"streams": [{"name": "room",
//                 "source": {"csv": "room.csv", "time_column": "time", "columns": ["temp", "co2"]},
//                 "model": "room.safetensors",
//                 "features": {"masks": false, "time_since": false},
//                 "timeout": 600}],
//    "head": {"kind": "classes", "names": ["empty", "occupied"]},
//    "speed": 10}
//
// Relative paths are relative to the JSON file. Everything but "streams", a stream's "source.csv"
// and "model" is optional.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace liquid::gui {

// Every problem with a configuration (or a file it names) is one of these, with a message meant
// for the window: the file, the field and what was expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StreamSpec {
  std::string name;
  std::filesystem::path csv;
  std::string time_column;                // empty: the CSV's first column
  std::vector<std::string> columns;       // empty: every value column
  std::filesystem::path model;
  bool masks = false;                     // SeriesFeatures options: the model decides the width
  bool time_since = false;
  double timeout = 0.0;                   // seconds without a sample before "stale"; 0: never
};

struct HeadSpec {
  bool classes = true;                        // "classes" (softmax) or "values"
  std::vector<std::string> names;             // empty: out0, out1, ... over every output
  std::vector<std::vector<float>> weight;     // names x outputs; empty: identity
  std::vector<float> bias;                    // empty: zeros
};

struct SessionConfig {
  std::vector<StreamSpec> streams;
  HeadSpec head;
  double speed = 1.0;  // 0: as fast as possible
};

// Reads and checks the JSON; throws ConfigError.
SessionConfig load_session_config(const std::filesystem::path& path);
SessionConfig parse_session_config(const std::string& json_text, const std::filesystem::path& base_dir,
                                   const std::string& source);

}  // namespace liquid::gui
