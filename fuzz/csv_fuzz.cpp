// libFuzzer target for the CSV series reader (sensors/csv_series.cpp), its time parsers
// (sensors/time_parse.cpp) and, on whatever parses, the series encoder's fit and encode
// (encoders/series_features.cpp). Each input is read with several fixed option sets, one per
// dataset layout the project uses, so the seed files (tests/data/series) are real inputs as they
// are and every time format gets detected. A CsvError is the expected answer to bad input; a crash,
// a sanitizer report or a broken invariant of the result is a bug. See CMakeLists.txt for commands.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "encoders/series_features.h"
#include "sensors/csv_series.h"
#include "sensors/time_parse.h"

namespace {

using namespace liquid::sensors;

std::vector<CsvOptions> option_sets() {
  std::vector<CsvOptions> sets(7);
  sets[1].delimiter = ';';
  sets[1].backwards = BackwardsTime::drop;
  sets[2].delimiter = '\t';
  sets[2].header = CsvHeader::present;
  sets[3].header = CsvHeader::absent;  // UCI person activity: ticks in column 3
  sets[3].time_column = 3;
  sets[3].value_columns = {5, 6, 7};
  sets[3].backwards = BackwardsTime::drop;
  sets[4].time_parts = {"year", "month", "day", "hour"};  // Beijing weather
  sets[4].value_columns = {"pm2.5", "TEMP"};
  sets[5].time_format = TimeFormat::month_day_year;  // UCI ozone
  sets[6].time_column = "date";                      // UCI occupancy
  sets[6].expected_width = 6;
  return sets;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void exercise(const CsvSeries& s) {
  check(s.values.size() == s.rows() * s.width() && s.present.size() == s.values.size());
  check(s.lines.size() == s.rows());
  for (size_t r = 1; r < s.rows(); ++r) check(s.times[r] >= s.times[r - 1] && s.lines[r] > s.lines[r - 1]);
  for (size_t k = 0; k < s.values.size(); ++k) check(s.present[k] ? std::isfinite(s.values[k]) : std::isnan(s.values[k]));
  if (s.width() == 0 || s.rows() == 0) return;
  const auto n = liquid::encoders::fit_series_normalization(s);
  liquid::encoders::SeriesFeatures enc(s.columns, n);
  std::vector<float> f(size_t(enc.width()));
  for (size_t r = 0; r < s.rows(); ++r) enc.encode_row(s.times[r], s.row(r), s.row_present(r), f.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<CsvOptions> sets = option_sets();
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const CsvOptions& o : sets) {
    std::istringstream in(text);
    try {
      exercise(read_csv_series(in, "fuzz.csv", o));
    } catch (const CsvError&) {
    }
  }
  if (size <= 64) {  // a single field: every time parser directly
    double t;
    detect_time_format(text);
    for (TimeFormat f : {TimeFormat::iso8601, TimeFormat::seconds, TimeFormat::dotnet_ticks,
                         TimeFormat::month_day_year, TimeFormat::day_month_year})
      if (parse_time(text, f, t)) check(std::isfinite(t));
  }
  return 0;
}
