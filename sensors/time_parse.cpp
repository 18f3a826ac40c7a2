// Hand-written parsers rather than strptime/std::chrono::parse: they run once per CSV row (a
// million rows a second is the target), must accept every variant listed in the header without
// locale or TZ environment surprises, and must reject anything else without reading past the field.
#include "sensors/time_parse.h"

#include <charconv>
#include <cmath>

namespace liquid::sensors {

namespace {

constexpr int64_t kTicksPerSecond = 10'000'000;
constexpr int64_t kTicksAtEpoch = 621'355'968'000'000'000;  // 1970-01-01 in .NET ticks

// Days since 1970-01-01 of a proleptic Gregorian date, by counting whole 400-year eras (146097
// days each) from 0000-03-01, so the leap day is the last day of the counted year.
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t day_of_year = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// A cursor over one field; every reader advances only on success.
struct Cursor {
  const char* p;
  const char* end;

  bool done() const { return p == end; }
  bool peek(char c) const { return p != end && *p == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++p;
    return true;
  }
  // Exactly n digits (n = 0: one or more, at most 9).
  bool digits(int n, int64_t& out) {
    const char* q = p;
    int64_t v = 0;
    int count = 0;
    while (q != end && *q >= '0' && *q <= '9' && (n == 0 ? count < 9 : count < n)) {
      v = v * 10 + (*q - '0');
      ++q;
      ++count;
    }
    if (count == 0 || (n > 0 && count != n)) return false;
    p = q;
    out = v;
    return true;
  }
};

// hh:mm[:ss[.f]] after a date; the fraction takes '.' or ','.
bool parse_clock(Cursor& c, int64_t& hour, int64_t& minute, double& second) {
  int64_t s = 0;
  if (!c.digits(2, hour) || !c.eat(':') || !c.digits(2, minute)) return false;
  second = 0.0;
  if (c.eat(':')) {
    if (!c.digits(2, s)) return false;
    second = double(s);
    if (c.peek('.') || c.peek(',')) {
      ++c.p;
      double scale = 0.1;
      bool any = false;
      while (!c.done() && *c.p >= '0' && *c.p <= '9') {
        second += (*c.p - '0') * scale;
        scale *= 0.1;
        ++c.p;
        any = true;
      }
      if (!any) return false;
    }
  }
  return true;
}

bool parse_iso8601(std::string_view text, double& out) {
  Cursor c{text.data(), text.data() + text.size()};
  int64_t y, mo, d, h = 0, mi = 0;
  double s = 0.0;
  if (!c.digits(4, y) || !c.eat('-') || !c.digits(2, mo) || !c.eat('-') || !c.digits(2, d)) return false;
  int64_t offset_s = 0;
  if (!c.done()) {
    if (!(c.eat('T') || c.eat('t') || c.eat(' '))) return false;
    if (!parse_clock(c, h, mi, s)) return false;
    if (c.peek(' ') && c.p + 1 != c.end && (c.p[1] == '+' || c.p[1] == '-' || c.p[1] == 'Z')) ++c.p;
    if (c.eat('Z') || c.eat('z')) {
    } else if (c.peek('+') || c.peek('-')) {
      const int sign = *c.p++ == '-' ? -1 : 1;
      int64_t oh, om = 0;
      if (!c.digits(2, oh)) return false;
      if (c.eat(':')) {
        if (!c.digits(2, om)) return false;
      } else if (!c.done() && !c.digits(2, om)) {
        return false;
      }
      if (oh > 23 || om > 59) return false;
      offset_s = sign * (oh * 3600 + om * 60);
    }
    if (!c.done()) return false;
  }
  if (!utc_seconds(y, int(mo), int(d), int(h), int(mi), s, out)) return false;
  out -= double(offset_s);  // local = UTC + offset
  return true;
}

bool parse_slash_date(std::string_view text, bool month_first, double& out) {
  Cursor c{text.data(), text.data() + text.size()};
  int64_t a, b, y, h = 0, mi = 0;
  double s = 0.0;
  if (!c.digits(0, a) || c.done()) return false;
  const char sep = *c.p;
  if (sep != '/' && sep != '-' && sep != '.') return false;
  ++c.p;
  if (!c.digits(0, b) || !c.eat(sep) || !c.digits(4, y)) return false;
  if (!c.done()) {
    if (!c.eat(' ') || !parse_clock(c, h, mi, s) || !c.done()) return false;
  }
  if (a > 99 || b > 99) return false;
  const int month = int(month_first ? a : b), day = int(month_first ? b : a);
  return utc_seconds(y, month, day, int(h), int(mi), s, out);
}

bool parse_seconds(std::string_view text, double& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;  // from_chars takes no '+'
  const auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e && b != e && std::isfinite(out);
}

bool parse_ticks(std::string_view text, double& out) {
  int64_t ticks = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ticks);
  if (ec != std::errc() || ptr != text.data() + text.size() || ticks < 0) return false;
  // Split into whole seconds and a remainder before converting: the ticks themselves (~6e17)
  // are past a double's 2^53 exact range.
  const int64_t since_epoch = ticks - kTicksAtEpoch;
  out = double(since_epoch / kTicksPerSecond) + double(since_epoch % kTicksPerSecond) * 1e-7;
  return true;
}

bool looks_like_ticks(std::string_view text) {
  int64_t ticks = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ticks);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.size() < 18) return false;
  constexpr int64_t kYear1800 = kTicksAtEpoch - 5'364'662'400LL * kTicksPerSecond;
  constexpr int64_t kYear2300 = kTicksAtEpoch + 10'413'792'000LL * kTicksPerSecond;
  return ticks >= kYear1800 && ticks < kYear2300;
}

}  // namespace

const char* time_format_name(TimeFormat format) {
  switch (format) {
    case TimeFormat::automatic: return "auto";
    case TimeFormat::iso8601: return "iso8601";
    case TimeFormat::seconds: return "seconds";
    case TimeFormat::dotnet_ticks: return "ticks";
    case TimeFormat::month_day_year: return "mdy";
    case TimeFormat::day_month_year: return "dmy";
  }
  return "?";
}

std::optional<TimeFormat> time_format_from_name(std::string_view name) {
  for (TimeFormat f : {TimeFormat::automatic, TimeFormat::iso8601, TimeFormat::seconds, TimeFormat::dotnet_ticks,
                       TimeFormat::month_day_year, TimeFormat::day_month_year})
    if (name == time_format_name(f)) return f;
  return std::nullopt;
}

TimeFormat detect_time_format(std::string_view text) {
  double t;
  if (parse_iso8601(text, t)) return TimeFormat::iso8601;
  if (looks_like_ticks(text)) return TimeFormat::dotnet_ticks;
  if (parse_seconds(text, t)) return TimeFormat::seconds;
  return TimeFormat::automatic;
}

bool parse_time(std::string_view text, TimeFormat format, double& seconds) {
  switch (format) {
    case TimeFormat::iso8601: return parse_iso8601(text, seconds);
    case TimeFormat::seconds: return parse_seconds(text, seconds);
    case TimeFormat::dotnet_ticks: return parse_ticks(text, seconds);
    case TimeFormat::month_day_year: return parse_slash_date(text, true, seconds);
    case TimeFormat::day_month_year: return parse_slash_date(text, false, seconds);
    case TimeFormat::automatic: return false;
  }
  return false;
}

bool utc_seconds(int64_t year, int month, int day, int hour, int minute, double second, double& out) {
  // The year bound keeps days * 86400 far inside int64 and the result exact to the second.
  if (year < -1'000'000 || year > 1'000'000 || month < 1 || month > 12) return false;
  if (day < 1 || day > days_in_month(year, month)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || !(second >= 0.0 && second < 61.0)) return false;
  const int64_t whole = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
  out = double(whole) + second;
  return true;
}

}  // namespace liquid::sensors
