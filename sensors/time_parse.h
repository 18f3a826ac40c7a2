// Timestamps as CSV files write them, converted once, at the edge, to seconds since the Unix epoch
// (1970-01-01 00:00 UTC) as a double: ISO 8601 dates and times, plain or epoch seconds, .NET ticks
// (UCI person activity) and the slash dates of older files (UCI ozone). Times without an offset are
// UTC: a file's local zone is unknown, and the engine only needs differences between times.
//
// A double holds epoch seconds of this century to about 0.4 us, finer than all but .NET ticks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace liquid::sensors {

enum class TimeFormat {
  automatic,       // detect from the first data row (detect_time_format)
  iso8601,         // 2013-10-01, 2015-02-04 17:51:00, 2015-02-04T17:51:00.25Z, ...+01:00, ...-0530
  seconds,         // a decimal number of seconds: since the epoch or since any origin
  dotnet_ticks,    // integer count of 100 ns since 0001-01-01 00:00 UTC (.NET DateTime.Ticks)
  month_day_year,  // 1/5/1998 [hh:mm[:ss[.f]]] (US order; '/', '-' or '.' between the parts)
  day_month_year,  // 5/1/1998 [hh:mm[:ss[.f]]]
};

// "auto", "iso8601", "seconds", "ticks", "mdy", "dmy".
const char* time_format_name(TimeFormat format);
// The inverse of time_format_name; nullopt for an unknown name.
std::optional<TimeFormat> time_format_from_name(std::string_view name);

// The format of a first time field, or automatic when it is none of them:
//  - iso8601 if it parses as one;
//  - dotnet_ticks for an integer of 18 or more digits between the ticks of years 1800 and 2300
//    (epoch seconds, milliseconds or microseconds of those years are at most 16 digits);
//  - seconds for any other finite number;
//  - automatic for everything else, including slash dates: 1/5/1998 is January or May depending
//    on the country, so such a file must name its format (month_day_year or day_month_year).
TimeFormat detect_time_format(std::string_view text);

// Seconds since the epoch of `text` in `format` (not automatic). False if `text` is not exactly
// such a time (surrounding spaces are not allowed: the CSV reader trims fields) or a field is out
// of range (month 13, 31 April, hour 24, an offset beyond 23:59).
bool parse_time(std::string_view text, TimeFormat format, double& seconds);

// Seconds since the epoch of a UTC calendar time (proleptic Gregorian, any year); false if a field
// is out of range. second may be fractional and up to 60 (a leap second).
bool utc_seconds(int64_t year, int month, int day, int hour, int minute, double second, double& out);

}  // namespace liquid::sensors
