#include "sensors/csv_series.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>

namespace liquid::sensors {

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  for (char ch : line) {
    if (ch == ',') {
      fields.push_back(field);
      field.clear();
    } else if (ch != '\r') {
      field += ch;
    }
  }
  fields.push_back(field);
  for (auto& f : fields) {  // trim spaces
    const auto b = f.find_first_not_of(" \t");
    const auto e = f.find_last_not_of(" \t");
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  }
  return fields;
}

bool is_missing(const std::string& f) { return f.empty() || f == "NA" || f == "NaN" || f == "nan" || f == "?"; }

bool parse_double(const std::string& f, double& out) {
  const char* end = f.data() + f.size();
  auto [ptr, ec] = std::from_chars(f.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

}  // namespace

CsvSeries read_csv_series(std::istream& in, const std::string& source, int expected_width) {
  CsvSeries s;
  std::string line;
  int line_no = 0;
  bool first = true;
  auto where = [&](size_t col) {
    const std::string name = col == 0 ? "time" : (col - 1 < s.columns.size() ? s.columns[col - 1] : "");
    return source + ":" + std::to_string(line_no) + ": column " + std::to_string(col + 1) +
           (name.empty() ? "" : " ('" + name + "')");
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    const auto fields = split(line);
    if (first) {
      first = false;
      double probe;
      if (!parse_double(fields[0], probe)) {  // a header row
        for (size_t c = 1; c < fields.size(); ++c) s.columns.push_back(fields[c]);
        if (expected_width > 0 && static_cast<int>(s.columns.size()) != expected_width)
          throw CsvError(source + ":" + std::to_string(line_no) + ": header has " + std::to_string(s.columns.size()) +
                         " value columns, expected " + std::to_string(expected_width) + " (time, then the inputs)");
        continue;
      }
      const size_t width = expected_width > 0 ? size_t(expected_width) : fields.size() - 1;
      for (size_t c = 1; c <= width; ++c) s.columns.push_back(std::string("c").append(std::to_string(c)));
    }
    if (fields.size() != s.columns.size() + 1)
      throw CsvError(source + ":" + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                     " fields, expected " + std::to_string(s.columns.size() + 1) + " (time and " +
                     std::to_string(s.columns.size()) + " values)");
    double t;
    if (!parse_double(fields[0], t)) throw CsvError(where(0) + ": expected a time in seconds, got '" + fields[0] + "'");
    if (!s.times.empty() && t < s.times.back())
      throw CsvError(where(0) + ": time " + fields[0] + " goes back before line " + std::to_string(s.lines.back()) +
                     "'s time " + std::to_string(s.times.back()));
    s.times.push_back(t);
    s.lines.push_back(line_no);
    for (size_t c = 1; c < fields.size(); ++c) {
      double v;
      if (is_missing(fields[c])) {
        s.values.push_back(std::numeric_limits<float>::quiet_NaN());
        s.present.push_back(0);
      } else if (parse_double(fields[c], v)) {
        s.values.push_back(static_cast<float>(v));
        s.present.push_back(1);
      } else {
        throw CsvError(where(c) + ": expected a number, got '" + fields[c] + "'");
      }
    }
  }
  return s;
}

CsvSeries read_csv_series(const std::filesystem::path& path, int expected_width) {
  std::ifstream in(path);
  if (!in) throw CsvError(path.string() + ": cannot open for reading");
  return read_csv_series(in, path.string(), expected_width);
}

}  // namespace liquid::sensors
