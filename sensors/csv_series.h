// A numeric time series from CSV: a time column (seconds) and value columns. An optional header
// row names the columns; missing values (empty, NA, NaN, ?) are kept as NaN with a mask, never zeros.
// Bad input throws CsvError naming the file, the line, the column and what was expected.
#pragma once

#include <filesystem>
#include <istream>
#include <stdexcept>
#include <string>
#include <vector>

namespace liquid::sensors {

class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CsvSeries {
  std::vector<std::string> columns;  // value column names (from the header, else "c1", "c2", ...)
  std::vector<double> times;         // seconds, non-decreasing
  std::vector<int> lines;            // line number of each row in the file (1-based), for messages
  std::vector<float> values;         // row-major, times.size() x columns.size(); NaN where missing
  std::vector<unsigned char> present;  // 1 where a value was given, 0 where missing

  size_t rows() const { return times.size(); }
  size_t width() const { return columns.size(); }
  const float* row(size_t r) const { return values.data() + r * width(); }
};

// Reads `time,v1,...,vN`. expected_width (if > 0) is the number of value columns required.
// A time earlier than the previous row's is an error naming both lines.
CsvSeries read_csv_series(std::istream& in, const std::string& source, int expected_width = 0);
CsvSeries read_csv_series(const std::filesystem::path& path, int expected_width = 0);

}  // namespace liquid::sensors
