// A numeric time series from CSV: one time per row (one column in any format of time_parse.h, or
// a date spread over year, month, day, hour... columns) and value columns chosen by name or number.
// An optional header row names the columns; missing values (empty, NA, NaN, ?) are kept as NaN
// with present = 0, never as zeros. Bad input throws CsvError naming the file, the line, the column
// (number and name) and what was expected; nothing is dropped silently.
//
// The whole file is read into memory: 4 bytes a value, 1 byte a mask, 12 bytes a row (time and line
// number); the 43,824 x 8 Beijing weather file takes under 1 MB.
#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sensors/time_parse.h"

namespace liquid::sensors {

class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A column by its header name, or by its number counted from 1 as error messages, spreadsheets
// and dataset descriptions count them ("ticks in column 3").
struct CsvColumn {
  std::string name;
  int number = 0;

  CsvColumn(const char* column_name) : name(column_name) {}
  CsvColumn(std::string column_name) : name(std::move(column_name)) {}
  CsvColumn(int column_number) : number(column_number) {}
};

enum class CsvHeader {
  automatic,  // the first row is a header if its time field is not a time (always if a column is
              // chosen by name)
  present,
  absent,
};

// What to do with a row whose time is earlier than the previous kept row's. Equal times are always
// allowed (a burst of readings).
enum class BackwardsTime {
  error,  // throw, naming both lines (the default: out-of-order data is usually a mistake)
  drop,   // skip the row and count it in CsvSeries::dropped_rows
};

struct CsvOptions {
  // The time column; default the first column. When the header has one name fewer than the rows
  // have fields (R's write.table with row names, as in the UCI occupancy files), the unnamed first
  // column is a row id: it is never read, and "first column" means the first named one.
  std::optional<CsvColumn> time_column;
  // Instead of time_column: the columns holding year, month, day and optionally hour, minute and
  // second, in that order (e.g. {"year", "month", "day", "hour"}); the time is UTC.
  std::vector<CsvColumn> time_parts;
  TimeFormat time_format = TimeFormat::automatic;  // of time_column, detected from the first row
  // Value columns in output order; default every column but the time and row-id columns.
  std::vector<CsvColumn> value_columns;
  char delimiter = ',';  // ',', ';' or '\t'; fields may be "quoted" ("" is a quote inside one)
  CsvHeader header = CsvHeader::automatic;
  BackwardsTime backwards = BackwardsTime::error;
  int expected_width = 0;  // if > 0, the number of value columns required
};

struct CsvSeries {
  std::vector<std::string> columns;  // value column names (from the header, else "c1", "c2", ...)
  std::vector<double> times;         // seconds (since the epoch for dates and ticks), non-decreasing
  std::vector<int> lines;            // line number of each row in the file (1-based), for messages
  std::vector<float> values;         // row-major, times.size() x columns.size(); NaN where missing
  std::vector<unsigned char> present;  // 1 where a value was given, 0 where missing
  std::string time_column;             // its name ("time" without a header), or the parts' joined with '+'
  TimeFormat time_format = TimeFormat::automatic;  // as read (automatic when built from parts)
  size_t dropped_rows = 0;                         // rows skipped by BackwardsTime::drop

  size_t rows() const { return times.size(); }
  size_t width() const { return columns.size(); }
  const float* row(size_t r) const { return values.data() + r * width(); }
  const unsigned char* row_present(size_t r) const { return present.data() + r * width(); }
};

// `source` names the stream in error messages (usually the file name). Blank lines and lines
// starting with '#' are skipped. An input with no rows and no header is an error.
CsvSeries read_csv_series(std::istream& in, const std::string& source, const CsvOptions& options);
CsvSeries read_csv_series(const std::filesystem::path& path, const CsvOptions& options);

// Default options with expected_width: `time,v1,...,vN`, header optional.
CsvSeries read_csv_series(std::istream& in, const std::string& source, int expected_width = 0);
CsvSeries read_csv_series(const std::filesystem::path& path, int expected_width = 0);

}  // namespace liquid::sensors
