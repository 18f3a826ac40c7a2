// Tests of sensors/csv_series and sensors/time_parse: real excerpts from tests/data/series (see its
// ATTRIBUTION.md) for each layout the project's datasets use, plus small inline files for the time
// formats and every error path. Expected epoch times were computed with Python's calendar.timegm.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "sensors/csv_series.h"
#include "sensors/time_parse.h"

namespace {

using namespace liquid::sensors;

const std::string kData = std::string(LIQUID_TEST_DATA) + "/series/";

CsvSeries parse(const std::string& text, const CsvOptions& options = {}) {
  std::istringstream in(text);
  return read_csv_series(in, "inline.csv", options);
}

// The message of the CsvError `text` raises; fails the test if it parses.
std::string error_of(const std::string& text, const CsvOptions& options = {}) {
  try {
    parse(text, options);
  } catch (const CsvError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

double time_of(std::string_view text, TimeFormat format) {
  double t = -1;
  EXPECT_TRUE(parse_time(text, format, t)) << text;
  return t;
}

TEST(TimeParse, IsoVariantsGiveUtcEpochSeconds) {
  EXPECT_EQ(time_of("2015-02-04 17:51:00", TimeFormat::iso8601), 1423072260.0);
  EXPECT_EQ(time_of("2015-02-04T17:51:00Z", TimeFormat::iso8601), 1423072260.0);
  EXPECT_EQ(time_of("2015-02-04T17:51Z", TimeFormat::iso8601), 1423072260.0);
  EXPECT_DOUBLE_EQ(time_of("2015-02-04T17:51:00.25Z", TimeFormat::iso8601), 1423072260.25);
  EXPECT_DOUBLE_EQ(time_of("2015-02-04 17:51:00,5", TimeFormat::iso8601), 1423072260.5);
  EXPECT_EQ(time_of("2015-02-04T18:51:00+01:00", TimeFormat::iso8601), 1423072260.0);
  EXPECT_EQ(time_of("2015-02-04T12:21:00-0530", TimeFormat::iso8601), 1423072260.0);
  EXPECT_EQ(time_of("2015-02-04 19:51:00 +02", TimeFormat::iso8601), 1423072260.0);
  EXPECT_EQ(time_of("2013-10-01", TimeFormat::iso8601), 1380585600.0);
  EXPECT_EQ(time_of("1969-12-31T23:59:59Z", TimeFormat::iso8601), -1.0);
  EXPECT_EQ(time_of("2016-02-29", TimeFormat::iso8601), 1456704000.0);
}

TEST(TimeParse, RejectsOutOfRangeAndMalformedTimes) {
  double t;
  for (const char* bad : {"2015-02-29", "2015-13-01", "2015-04-31", "2015-02-04 24:00", "2015-02-04 12:60",
                          "2015-02-04T12:00:00+24:00", "2015-2-4", "2015-02-04 12", "2015-02-04T", "2015-02-04 12:00:00.",
                          "2015-02-04 12:00:00 ", " 2015-02-04", "2015-02-04x", ""})
    EXPECT_FALSE(parse_time(bad, TimeFormat::iso8601, t)) << bad;
  EXPECT_FALSE(parse_time("1e400", TimeFormat::seconds, t));
  EXPECT_FALSE(parse_time("nan", TimeFormat::seconds, t));
  EXPECT_FALSE(parse_time("12a", TimeFormat::dotnet_ticks, t));
  EXPECT_FALSE(parse_time("13/1/1998", TimeFormat::month_day_year, t));
}

TEST(TimeParse, TicksAndSlashDates) {
  EXPECT_EQ(time_of("621355968000000000", TimeFormat::dotnet_ticks), 0.0);
  // UCI person activity, first row of the excerpt: the ticks are UTC; the file's date column
  // (27.05.2009 14:04:17:765) is Slovenian summer time, two hours ahead.
  EXPECT_NEAR(time_of("633790226577647085", TimeFormat::dotnet_ticks), 1243425857.765, 1e-3);
  EXPECT_EQ(time_of("1/5/1998", TimeFormat::month_day_year), 883612800.0 + 4 * 86400);
  EXPECT_EQ(time_of("5.1.1998", TimeFormat::day_month_year), 883612800.0 + 4 * 86400);
  EXPECT_EQ(time_of("1/5/1998 01:00", TimeFormat::month_day_year), 883612800.0 + 4 * 86400 + 3600);
  EXPECT_EQ(time_of("+12.5", TimeFormat::seconds), 12.5);
}

TEST(TimeParse, DetectsFormatsButNotAmbiguousSlashDates) {
  EXPECT_EQ(detect_time_format("2015-02-04 17:51:00"), TimeFormat::iso8601);
  EXPECT_EQ(detect_time_format("633790226051280488"), TimeFormat::dotnet_ticks);
  EXPECT_EQ(detect_time_format("1422886740"), TimeFormat::seconds);  // epoch seconds
  EXPECT_EQ(detect_time_format("1422886740123"), TimeFormat::seconds);  // epoch ms: 13 digits
  EXPECT_EQ(detect_time_format("0.027"), TimeFormat::seconds);
  EXPECT_EQ(detect_time_format("1/5/1998"), TimeFormat::automatic);
  EXPECT_EQ(detect_time_format("date"), TimeFormat::automatic);
  EXPECT_EQ(time_format_from_name("mdy"), TimeFormat::month_day_year);
  EXPECT_FALSE(time_format_from_name("julian").has_value());
}

TEST(CsvSeries, OccupancyQuotedHeaderWithRowIdsAndIsoDates) {
  const CsvSeries s = read_csv_series(kData + "occupancy_datatest_head.txt", CsvOptions{});
  ASSERT_EQ(s.rows(), 30u);
  EXPECT_EQ(s.columns, (std::vector<std::string>{"Temperature", "Humidity", "Light", "CO2", "HumidityRatio", "Occupancy"}));
  EXPECT_EQ(s.time_column, "date");
  EXPECT_EQ(s.time_format, TimeFormat::iso8601);
  EXPECT_EQ(s.times[0], 1422886740.0);  // 2015-02-02 14:19:00 UTC
  EXPECT_EQ(s.times[1] - s.times[0], 59.0);
  EXPECT_EQ(s.lines[0], 2);
  EXPECT_FLOAT_EQ(s.row(0)[0], 23.7f);
  EXPECT_FLOAT_EQ(s.row(0)[3], 749.2f);
  EXPECT_FLOAT_EQ(s.row(0)[5], 1.0f);
}

TEST(CsvSeries, OccupancyValueColumnsByName) {
  CsvOptions o;
  o.time_column = "date";
  o.value_columns = {"CO2", "Temperature"};
  const CsvSeries s = read_csv_series(kData + "occupancy_datatest_head.txt", o);
  EXPECT_EQ(s.columns, (std::vector<std::string>{"CO2", "Temperature"}));
  EXPECT_FLOAT_EQ(s.row(1)[0], 760.4f);
  EXPECT_FLOAT_EQ(s.row(1)[1], 23.718f);
}

TEST(CsvSeries, BeijingWeatherTimeFromPartsWithNaMasks) {
  CsvOptions o;
  o.time_parts = {"year", "month", "day", "hour"};
  o.value_columns = {"pm2.5", "DEWP", "TEMP", "PRES", "Iws"};
  const CsvSeries s = read_csv_series(kData + "prsa_beijing_head.csv", o);
  ASSERT_EQ(s.rows(), 48u);
  EXPECT_EQ(s.time_column, "year+month+day+hour");
  EXPECT_EQ(s.times[0], 1262304000.0);  // 2010-01-01 00:00 UTC
  for (size_t r = 0; r < s.rows(); ++r) EXPECT_EQ(s.times[r], 1262304000.0 + 3600.0 * double(r));
  for (size_t r = 0; r < 24; ++r) {
    EXPECT_EQ(s.row_present(r)[0], 0) << r;  // pm2.5 is NA the whole first day
    EXPECT_TRUE(std::isnan(s.row(r)[0]));
  }
  EXPECT_EQ(s.row_present(24)[0], 1);
  EXPECT_FLOAT_EQ(s.row(24)[0], 129.0f);
  EXPECT_FLOAT_EQ(s.row(24)[3], 1020.0f);
}

TEST(CsvSeries, TextInANumberColumnNamesFileLineColumnAndText) {
  CsvOptions o;
  o.time_parts = {"year", "month", "day", "hour"};  // every other column, including cbwd (wind direction)
  try {
    read_csv_series(kData + "prsa_beijing_head.csv", o);
    FAIL() << "cbwd is text";
  } catch (const CsvError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("prsa_beijing_head.csv:2: column 10 ('cbwd')"), std::string::npos) << m;
    EXPECT_NE(m.find("got 'NW'"), std::string::npos) << m;
  }
}

TEST(CsvSeries, PersonActivityTicksWithoutHeaderAndTheRowThatGoesBack) {
  CsvOptions o;
  o.time_column = 3;
  o.value_columns = {5, 6, 7};
  const std::string m = [&] {
    try {
      read_csv_series(kData + "person_activity_a01_1590-1620.txt", o);
    } catch (const CsvError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  }();
  EXPECT_NE(m.find("person_activity_a01_1590-1620.txt:14: column 3"), std::string::npos) << m;
  EXPECT_NE(m.find("before line 13"), std::string::npos) << m;

  o.backwards = BackwardsTime::drop;
  const CsvSeries s = read_csv_series(kData + "person_activity_a01_1590-1620.txt", o);
  // Line 13 is the one out of place (54 ms ahead); dropping rows earlier than the last kept one
  // discards lines 14 and 15, which fall between line 12 and line 13.
  EXPECT_EQ(s.dropped_rows, 2u);
  ASSERT_EQ(s.rows(), 29u);
  EXPECT_EQ(s.time_format, TimeFormat::dotnet_ticks);
  EXPECT_EQ(s.columns, (std::vector<std::string>{"c1", "c2", "c3"}));  // in value order, as before
  EXPECT_NEAR(s.times[0], 1243425857.7647085, 1e-6);
  EXPECT_NEAR(s.times[1] - s.times[0], 0.0270297, 1e-6);
  EXPECT_EQ(s.lines[12], 13);
  EXPECT_EQ(s.lines[13], 16);
  EXPECT_FLOAT_EQ(s.row(0)[0], 2.511730909347534f);
  for (size_t r = 1; r < s.rows(); ++r) EXPECT_GE(s.times[r], s.times[r - 1]);
}

TEST(CsvSeries, Sp500DateOnly) {
  const CsvSeries s = read_csv_series(kData + "sp500_2000_head.csv", CsvOptions{});
  ASSERT_EQ(s.rows(), 30u);
  EXPECT_EQ(s.width(), 6u);
  EXPECT_EQ(s.times[0], 946857600.0);  // 2000-01-03
  EXPECT_EQ(s.times[1] - s.times[0], 86400.0);
  EXPECT_FLOAT_EQ(s.row(0)[5], 931800000.0f);
}

TEST(CsvSeries, OzoneQuestionMarksAreMasksAndSlashDatesNeedAFormat) {
  const std::string m = [] {
    try {
      read_csv_series(kData + "ozone_eighthr_head.data", CsvOptions{});
    } catch (const CsvError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  }();
  EXPECT_NE(m.find("mdy or dmy"), std::string::npos) << m;
  CsvOptions o;
  o.time_format = TimeFormat::month_day_year;
  o.header = CsvHeader::absent;
  const CsvSeries s = read_csv_series(kData + "ozone_eighthr_head.data", o);
  ASSERT_EQ(s.rows(), 12u);
  ASSERT_EQ(s.width(), 73u);
  EXPECT_EQ(s.times[4], 883612800.0 + 4 * 86400);  // 1/5/1998
  size_t missing = 0;
  for (unsigned char p : s.present) missing += p == 0;
  EXPECT_EQ(missing, 22u);          // 19 + 1 + 2 question marks on lines 5, 6 and 9
  EXPECT_EQ(s.row_present(4)[52], 0);  // line 5, column 54
  EXPECT_TRUE(std::isnan(s.row(4)[52]));
}

TEST(CsvSeries, MissingTokensAreMasksNeverZeros) {
  const CsvSeries s = parse("t,a,b,c,d,e\n0,NA,?,,NaN,1.5\n");
  ASSERT_EQ(s.rows(), 1u);
  EXPECT_EQ(std::vector<unsigned char>(s.present.begin(), s.present.end()), (std::vector<unsigned char>{0, 0, 0, 0, 1}));
  for (int c = 0; c < 4; ++c) EXPECT_TRUE(std::isnan(s.row(0)[c]));
}

TEST(CsvSeries, DelimitersQuotesAndBursts) {
  const CsvSeries semi = parse("time;x\n1.5;2\n1.5;3\n", [] { CsvOptions o; o.delimiter = ';'; return o; }());
  EXPECT_EQ(semi.times, (std::vector<double>{1.5, 1.5}));  // equal times are a burst, allowed
  const CsvSeries tab = parse("time\tx\n0\t 7 \n", [] { CsvOptions o; o.delimiter = '\t'; return o; }());
  EXPECT_FLOAT_EQ(tab.row(0)[0], 7.0f);
  const CsvSeries q = parse("\"date\",\"a \"\"b\"\", c\"\r\n\"2015-02-04T17:51:00Z\" , \"4\"\r\n");
  EXPECT_EQ(q.columns, (std::vector<std::string>{"a \"b\", c"}));
  EXPECT_EQ(q.times[0], 1423072260.0);
  EXPECT_FLOAT_EQ(q.row(0)[0], 4.0f);
}

TEST(CsvSeries, ErrorsNameWhatWasExpected) {
  EXPECT_NE(error_of("").find("inline.csv: empty input"), std::string::npos);
  EXPECT_NE(error_of("\n# only a comment\n").find("empty input"), std::string::npos);
  EXPECT_NE(error_of("t,a\n0,1\n1,2,3\n").find("inline.csv:3: 3 fields, expected 2"), std::string::npos);
  EXPECT_NE(error_of("t,a\n0,1\nx,2\n").find("inline.csv:3: column 1 ('t'): expected a time in the format 'seconds'"),
            std::string::npos);
  EXPECT_NE(error_of("t,a\n5,1\n4,2\n").find("inline.csv:3: column 1 ('t'): time 4 goes back before line 2's time 5"),
            std::string::npos);
  EXPECT_NE(error_of("t,a\n0,\"1\n").find("inline.csv:2: column 2: a quoted field"), std::string::npos);
  EXPECT_NE(error_of("t,a\n0,\"1\"x\n").find("column 2: a quoted field"), std::string::npos);
  EXPECT_NE(error_of("t,a\n0,1e39\n").find("column 2 ('a'): expected a number"), std::string::npos);
  EXPECT_NE(error_of("t,a\n0,inf\n").find("got 'inf'"), std::string::npos);
  EXPECT_NE(error_of("t,a\n0,1\n", [] { CsvOptions o; o.value_columns = {"b"}; return o; }())
                .find("no value column 'b' in the header; it has 't', 'a'"),
            std::string::npos);
  EXPECT_NE(error_of("0,1\n", [] { CsvOptions o; o.value_columns = {"b"}; o.header = CsvHeader::absent; return o; }())
                .find("has no header row"),
            std::string::npos);
  EXPECT_NE(error_of("0,1\n", [] { CsvOptions o; o.time_column = 3; return o; }()).find("time column number 3 is out of range"),
            std::string::npos);
  EXPECT_NE(error_of("y,m,d,v\n2015,2,30,1\n", [] { CsvOptions o; o.time_parts = {"y", "m", "d"}; return o; }())
                .find("columns y+m+d are not a valid date"),
            std::string::npos);
  EXPECT_NE(error_of("t,a\n1,2\n", [] { CsvOptions o; o.delimiter = '"'; return o; }()).find("delimiter"), std::string::npos);
}

TEST(CsvSeries, HeaderOnlyIsAnEmptySeries) {
  const CsvSeries s = parse("time,a,b\n");
  EXPECT_EQ(s.rows(), 0u);
  EXPECT_EQ(s.columns, (std::vector<std::string>{"a", "b"}));
}

TEST(CsvSeries, ExpectedWidthKeepsTheRunCommandsContract) {
  std::istringstream with_header("time,x,y\n0,1,2\n0.5,3,NA\n");
  const CsvSeries s = read_csv_series(with_header, "run.csv", 2);
  EXPECT_EQ(s.rows(), 2u);
  EXPECT_EQ(s.present[3], 0);
  std::istringstream no_header("0,1,2\n1,3,4\n");
  EXPECT_EQ(read_csv_series(no_header, "run.csv", 2).columns, (std::vector<std::string>{"c1", "c2"}));
  std::istringstream too_narrow("time,x\n0,1\n");
  try {
    read_csv_series(too_narrow, "run.csv", 2);
    FAIL();
  } catch (const CsvError& e) {
    EXPECT_NE(std::string(e.what()).find("run.csv:1: 1 value columns, expected 2"), std::string::npos) << e.what();
  }
}

}  // namespace
