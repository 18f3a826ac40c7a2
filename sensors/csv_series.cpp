// The CSV reader: one pass, one reused line buffer and field list, fields split in place (quotes
// removed without copying), so a row costs its number parses and nothing else.
#include "sensors/csv_series.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string_view>

namespace liquid::sensors {

namespace {

bool is_missing(std::string_view f) { return f.empty() || f == "NA" || f == "NaN" || f == "nan" || f == "?"; }

bool parse_float(std::string_view f, float& out) {
  const char* b = f.data();
  const char* e = b + f.size();
  if (b != e && *b == '+') ++b;
  const auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e && b != e && std::isfinite(out);
}

template <class Int>
bool parse_int(std::string_view f, Int& out) {
  const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
  return ec == std::errc() && ptr == f.data() + f.size() && !f.empty();
}

// Splits `line` in place into `fields` (views into `line`). Spaces around a field are trimmed, as
// are tabs unless tab is the delimiter. Returns 0, or the 1-based number of a field whose quotes
// are broken (no closing quote, or text after it).
size_t split_fields(std::string& line, char delim, std::vector<std::string_view>& fields) {
  fields.clear();
  char* p = line.data();
  char* const end = p + line.size();
  auto blank = [delim](char c) { return c == ' ' || (c == '\t' && delim != '\t'); };
  for (size_t column = 1;; ++column) {
    while (p != end && blank(*p)) ++p;
    if (p != end && *p == '"') {
      char* const start = ++p;
      char* w = p;  // falls behind p after each "" escape, which unescapes in place
      bool closed = false;
      while (p != end) {
        if (*p == '"') {
          if (p + 1 != end && p[1] == '"') {
            *w++ = '"';
            p += 2;
            continue;
          }
          closed = true;
          ++p;
          break;
        }
        *w++ = *p++;
      }
      if (!closed) return column;
      fields.emplace_back(start, size_t(w - start));
      while (p != end && blank(*p)) ++p;
      if (p != end && *p != delim) return column;
    } else {
      char* const start = p;
      char* q = static_cast<char*>(std::memchr(p, delim, size_t(end - p)));
      if (!q) q = end;
      char* e = q;
      while (e != start && blank(e[-1])) --e;
      fields.emplace_back(start, size_t(e - start));
      p = q;
    }
    if (p == end) return 0;
    ++p;  // the delimiter
  }
}

class Reader {
 public:
  Reader(std::istream& in, const std::string& source, const CsvOptions& options)
      : in_(in), source_(source), opt_(options) {}

  CsvSeries read();

 private:
  bool next_row();  // the next non-blank, non-comment line, split; false at the end
  std::string at_line() const { return source_ + ":" + std::to_string(line_no_); }
  std::string at_layout() const { return source_ + ":" + std::to_string(layout_line_); }
  std::string where(size_t col) const {  // col is 0-based
    std::string s = at_line() + ": column " + std::to_string(col + 1);
    if (col < names_.size() && !names_[col].empty()) s += " ('" + names_[col] + "')";
    return s;
  }
  bool picks_by_name() const;
  size_t header_probe_column() const;
  bool first_row_is_header();
  size_t resolve(const CsvColumn& c, const char* role) const;
  void lay_out_columns();
  double row_time();
  double parts_time();

  std::istream& in_;
  const std::string& source_;
  const CsvOptions& opt_;
  std::string line_;
  std::vector<std::string_view> fields_;
  int line_no_ = 0;
  int layout_line_ = 0;  // the header's line, else the first row's: where column errors point

  bool has_header_ = false;
  bool row_id_ = false;
  std::vector<std::string> names_;  // per physical column, for messages; "" for the row id
  size_t time_col_ = 0;
  std::vector<size_t> parts_;
  std::vector<size_t> value_cols_;
  TimeFormat format_ = TimeFormat::automatic;
  int format_line_ = 0;
  std::string last_time_text_;  // the last kept row's time column as written, for messages
  CsvSeries s_;
};

bool Reader::next_row() {
  while (std::getline(in_, line_)) {
    ++line_no_;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.find_first_not_of(" \t") == std::string::npos || line_[0] == '#') continue;
    if (const size_t bad = split_fields(line_, opt_.delimiter, fields_))
      throw CsvError(at_line() + ": column " + std::to_string(bad) +
                     ": a quoted field must end with a quote followed by the delimiter or the line's end");
    return true;
  }
  if (in_.bad()) throw CsvError(source_ + ": read error after line " + std::to_string(line_no_));
  return false;
}

bool Reader::picks_by_name() const {
  auto named = [](const CsvColumn& c) { return !c.name.empty(); };
  if (opt_.time_column && named(*opt_.time_column)) return true;
  for (const auto& c : opt_.time_parts) if (named(c)) return true;
  for (const auto& c : opt_.value_columns) if (named(c)) return true;
  return false;
}

size_t Reader::header_probe_column() const {
  if (!opt_.time_parts.empty()) return size_t(std::max(opt_.time_parts[0].number, 1) - 1);
  if (opt_.time_column) return size_t(std::max(opt_.time_column->number, 1) - 1);
  return 0;
}

bool Reader::first_row_is_header() {
  if (opt_.header != CsvHeader::automatic) return opt_.header == CsvHeader::present;
  if (picks_by_name()) return true;
  const size_t col = header_probe_column();
  if (col >= fields_.size()) return true;
  const std::string_view f = fields_[col];
  if (!opt_.time_parts.empty()) {
    int64_t year;
    return !parse_int(f, year);
  }
  double t;
  return opt_.time_format == TimeFormat::automatic ? detect_time_format(f) == TimeFormat::automatic
                                                   : !parse_time(f, opt_.time_format, t);
}

size_t Reader::resolve(const CsvColumn& c, const char* role) const {
  if (c.name.empty()) {
    if (c.number < 1 || size_t(c.number) > names_.size())
      throw CsvError(at_layout() + ": " + role + " column number " + std::to_string(c.number) +
                     " is out of range: the rows have " + std::to_string(names_.size()) + " columns");
    return size_t(c.number - 1);
  }
  if (!has_header_)
    throw CsvError(source_ + ": " + role + " column '" + c.name +
                   "' is given by name, but the file has no header row; give its number instead");
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == c.name && !(row_id_ && i == 0)) return i;
  std::string known;
  for (const auto& n : names_) if (!n.empty()) known += (known.empty() ? "'" : ", '") + n + "'";
  throw CsvError(source_ + ": no " + role + " column '" + c.name + "' in the header; it has " + known);
}

void Reader::lay_out_columns() {
  std::vector<bool> used(names_.size(), false);
  if (row_id_) used[0] = true;
  if (!opt_.time_parts.empty()) {
    if (opt_.time_parts.size() < 3 || opt_.time_parts.size() > 6)
      throw CsvError(source_ + ": time_parts lists " + std::to_string(opt_.time_parts.size()) +
                     " columns; expected 3 to 6 (year, month, day[, hour[, minute[, second]]])");
    for (const auto& c : opt_.time_parts) {
      parts_.push_back(resolve(c, "time part"));
      used[parts_.back()] = true;
    }
  } else {
    time_col_ = opt_.time_column ? resolve(*opt_.time_column, "time") : (row_id_ ? 1 : 0);
    if (time_col_ >= names_.size())
      throw CsvError(at_layout() + ": the row has no column after its row id to hold the time");
    used[time_col_] = true;
  }
  if (opt_.value_columns.empty()) {
    for (size_t i = 0; i < names_.size(); ++i)
      if (!used[i]) value_cols_.push_back(i);
  } else {
    for (const auto& c : opt_.value_columns) {
      const size_t i = resolve(c, "value");
      if (used[i] && !(row_id_ && i == 0))
        throw CsvError(source_ + ": value column " + std::to_string(i + 1) + " is also the time column");
      value_cols_.push_back(i);
    }
  }
  if (!has_header_) {  // names for messages and results: "time" (or the part), then c1, c2, ...
    static const char* const kParts[] = {"year", "month", "day", "hour", "minute", "second"};
    for (size_t k = 0; k < parts_.size(); ++k) names_[parts_[k]] = kParts[k];
    if (parts_.empty()) names_[time_col_] = "time";
    for (size_t k = 0; k < value_cols_.size(); ++k) names_[value_cols_[k]] = std::string("c").append(std::to_string(k + 1));
  }
  for (size_t i : parts_) s_.time_column += (s_.time_column.empty() ? "" : "+") + names_[i];
  if (parts_.empty()) s_.time_column = names_[time_col_];
  for (size_t i : value_cols_) s_.columns.push_back(names_[i]);
  if (opt_.expected_width > 0 && value_cols_.size() != size_t(opt_.expected_width))
    throw CsvError(at_layout() + ": " + std::to_string(value_cols_.size()) + " value columns, expected " +
                   std::to_string(opt_.expected_width) + " (a time column, then the inputs)");
}

double Reader::row_time() {
  const std::string_view f = fields_[time_col_];
  if (format_ == TimeFormat::automatic) {
    format_ = opt_.time_format == TimeFormat::automatic ? detect_time_format(f) : opt_.time_format;
    format_line_ = line_no_;
    s_.time_format = format_;
    if (format_ == TimeFormat::automatic) {
      const bool slashes = f.find('/') != std::string_view::npos || f.find('.') != f.rfind('.');
      throw CsvError(where(time_col_) + ": expected a time (an ISO 8601 date such as 2015-02-04 17:51:00, "
                     "seconds, or .NET ticks), got '" + std::string(f) + "'" +
                     (slashes ? "; dates like 1/5/1998 need the time format set to mdy or dmy" : ""));
    }
  }
  double t;
  if (!parse_time(f, format_, t))
    throw CsvError(where(time_col_) + ": expected a time in the format '" + time_format_name(format_) +
                   "' (as on line " + std::to_string(format_line_) + "), got '" + std::string(f) + "'");
  return t;
}

double Reader::parts_time() {
  int64_t year = 0;
  int part[4] = {1, 1, 0, 0};  // month, day, hour, minute
  double second = 0.0;
  for (size_t k = 0; k < parts_.size(); ++k) {
    const std::string_view f = fields_[parts_[k]];
    const bool ok = k == 0 ? parse_int(f, year) : k == 5 ? (parse_time(f, TimeFormat::seconds, second))
                                                          : parse_int(f, part[k - 1]);
    if (!ok)
      throw CsvError(where(parts_[k]) + ": expected " + (k == 5 ? "a number of seconds" : "an integer") +
                     " (time part " + std::to_string(k + 1) + " of " + std::to_string(parts_.size()) +
                     "), got '" + std::string(f) + "'");
  }
  double t;
  if (!utc_seconds(year, part[0], part[1], part[2], part[3], second, t))
    throw CsvError(at_line() + ": columns " + s_.time_column + " are not a valid date and time (" +
                   std::to_string(year) + "-" + std::to_string(part[0]) + "-" + std::to_string(part[1]) + " " +
                   std::to_string(part[2]) + ":" + std::to_string(part[3]) + ":" + std::to_string(second) + ")");
  return t;
}

CsvSeries Reader::read() {
  if (!next_row()) throw CsvError(source_ + ": empty input: expected a CSV header or rows of time and values");
  has_header_ = first_row_is_header();
  layout_line_ = line_no_;
  bool have_row = true;
  if (has_header_) {
    names_.assign(fields_.begin(), fields_.end());
    have_row = next_row();
    if (have_row && fields_.size() == names_.size() + 1) {
      row_id_ = true;
      names_.insert(names_.begin(), "");
    }
  } else {
    names_.assign(fields_.size(), "");
  }
  lay_out_columns();
  const size_t width = value_cols_.size();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (; have_row; have_row = next_row()) {
    if (fields_.size() != names_.size())
      throw CsvError(at_line() + ": " + std::to_string(fields_.size()) + " fields, expected " +
                     std::to_string(names_.size()) + (has_header_ ? " (as the header has)" : " (as the first row has)"));
    const double t = parts_.empty() ? row_time() : parts_time();
    if (!s_.times.empty() && t < s_.times.back()) {
      if (opt_.backwards == BackwardsTime::drop) {
        ++s_.dropped_rows;
        continue;
      }
      const size_t col = parts_.empty() ? time_col_ : parts_[0];
      const std::string text = parts_.empty() ? std::string(fields_[time_col_]) : std::to_string(t);
      throw CsvError(where(col) + ": time " + text + " goes back before line " + std::to_string(s_.lines.back()) +
                     "'s time " + (parts_.empty() ? last_time_text_ : std::to_string(s_.times.back())) +
                     " (times must not decrease; the drop policy would skip such rows)");
    }
    if (parts_.empty()) last_time_text_.assign(fields_[time_col_]);
    s_.times.push_back(t);
    s_.lines.push_back(line_no_);
    for (size_t k = 0; k < width; ++k) {
      const std::string_view f = fields_[value_cols_[k]];
      float v;
      if (is_missing(f)) {
        s_.values.push_back(nan);
        s_.present.push_back(0);
      } else if (parse_float(f, v)) {
        s_.values.push_back(v);
        s_.present.push_back(1);
      } else {
        throw CsvError(where(value_cols_[k]) + ": expected a number, got '" + std::string(f) +
                       "' (NA, NaN, ? or an empty field mark a missing value)");
      }
    }
  }
  return std::move(s_);
}

}  // namespace

CsvSeries read_csv_series(std::istream& in, const std::string& source, const CsvOptions& options) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r' || d == ' ' || d == '\0')
    throw CsvError(source + ": delimiter '" + std::string(1, d) + "' cannot separate CSV fields");
  return Reader(in, source, options).read();
}

CsvSeries read_csv_series(const std::filesystem::path& path, const CsvOptions& options) {
  std::ifstream in(path);
  if (!in) throw CsvError(path.string() + ": cannot open for reading");
  return read_csv_series(in, path.string(), options);
}

CsvSeries read_csv_series(std::istream& in, const std::string& source, int expected_width) {
  CsvOptions options;
  options.expected_width = expected_width;
  return read_csv_series(in, source, options);
}

CsvSeries read_csv_series(const std::filesystem::path& path, int expected_width) {
  CsvOptions options;
  options.expected_width = expected_width;
  return read_csv_series(path, options);
}

}  // namespace liquid::sensors
