#include "plot/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace liquid::plot {

namespace {

void check_range(double lo, double hi, const char* what) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    throw std::invalid_argument(std::string(what) + ": expected finite lo < hi, got [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
}

// "1.5e+06" -> "1.5e6", "2e-05" -> "2e-5": the exponent's padding only costs width.
std::string compact_exponent(std::string s) {
  const size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e);
  std::string exponent = s.substr(e + 1);
  const bool negative = !exponent.empty() && exponent[0] == '-';
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) exponent.erase(0, 1);
  exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  return mantissa + "e" + (negative ? "-" : "") + exponent;
}

}  // namespace

double nice_step(double lo, double hi, int target) {
  check_range(lo, hi, "nice_step");
  const double raw = (hi - lo) / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;  // in [1, 10)
  // Pick the nice multiple closest to the raw step (geometric midpoints), so the tick count stays
  // near `target` instead of always rounding one way.
  double nice = 10.0;
  if (fraction < 1.4142)
    nice = 1.0;
  else if (fraction < 3.1623)
    nice = 2.0;
  else if (fraction < 7.0711)
    nice = 5.0;
  return nice * power;
}

std::vector<double> nice_ticks(double lo, double hi, int target) { return ticks_at(lo, hi, nice_step(lo, hi, target)); }

std::vector<double> ticks_at(double lo, double hi, double step) {
  check_range(lo, hi, "ticks_at");
  if (!(step > 0) || !std::isfinite(step))
    throw std::invalid_argument("ticks_at: expected a finite step > 0, got " + std::to_string(step));
  if ((hi - lo) / step > 1e4) throw std::invalid_argument("ticks_at: step " + std::to_string(step) + " is too small");
  const double tolerance = step * 1e-9;
  std::vector<double> ticks;
  for (double k = std::ceil((lo - tolerance) / step); k * step <= hi + tolerance; k += 1.0) {
    // k * step, not a running sum: a sum accumulates 0.1 + 0.2 style error.
    double v = k * step;
    if (std::fabs(v) < tolerance) v = 0.0;
    ticks.push_back(v);
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  check_range(lo, hi, "log_ticks");
  if (lo <= 0) throw std::invalid_argument("log_ticks: expected lo > 0, got " + std::to_string(lo));
  const double decades = std::log10(hi) - std::log10(lo);
  if (decades < 1.0) return nice_ticks(lo, hi, 5);
  const int first = static_cast<int>(std::floor(std::log10(lo)));
  const int last = static_cast<int>(std::ceil(std::log10(hi)));
  // Beyond about eight decades, label every second or third power to keep the labels apart.
  const int every = std::max(1, static_cast<int>(std::ceil(decades / 8.0)));
  std::vector<double> ticks;
  for (int p = first; p <= last; ++p) {
    const double base = std::pow(10.0, p);
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && decades >= 3.0) continue;
      if (m == 1.0 && (p - first) % every != 0) continue;
      const double v = m * base;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  return ticks;
}

std::string format_tick(double value, double step) {
  const double magnitude = std::fabs(value);
  return format_tick(value, step, magnitude >= 1e6 || (magnitude > std::fabs(step) * 1e-9 && magnitude < 1e-4));
}

std::vector<std::string> format_ticks(const std::vector<double>& ticks, double step) {
  double largest = 0, smallest = INFINITY;
  for (double t : ticks) {
    const double a = std::fabs(t);
    largest = std::max(largest, a);
    if (a > (step > 0 ? step * 1e-9 : 0)) smallest = std::min(smallest, a);
  }
  const bool exponent = largest >= 1e6 || smallest < 1e-4;
  std::vector<std::string> labels;
  for (double t : ticks) labels.push_back(format_tick(t, step > 0 ? step : std::fabs(t), exponent));
  return labels;
}

std::string format_tick(double value, double step, bool exponent) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  step = std::fabs(step);
  if (!(step > 0) || !std::isfinite(step)) return format_number(value);
  if (std::fabs(value) < step * 1e-9) value = 0.0;
  char buffer[64];
  const double magnitude = std::fabs(value);
  if (value == 0.0) exponent = false;  // "0", not "0e0"
  if (exponent) {
    // Enough mantissa digits that neighbouring ticks differ.
    const int digits =
        std::clamp(static_cast<int>(std::floor(std::log10(magnitude)) - std::floor(std::log10(step))), 0, 6);
    std::snprintf(buffer, sizeof buffer, "%.*e", digits, value);
    std::string s = buffer;
    // Drop trailing zeros of the mantissa ("2.50e6" -> "2.5e6").
    const size_t e = s.find('e');
    std::string mantissa = s.substr(0, e);
    if (mantissa.find('.') != std::string::npos) {
      mantissa.erase(mantissa.find_last_not_of('0') + 1);
      if (mantissa.back() == '.') mantissa.pop_back();
    }
    return compact_exponent(mantissa + s.substr(e));
  }
  // A step of m x 10^k needs max(0, -k) decimals (one more when the step is not a multiple of
  // a power of ten, e.g. 0.25).
  int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  const double scaled = step * std::pow(10.0, decimals);
  if (std::fabs(scaled - std::round(scaled)) > 1e-6 * scaled) decimals = std::min(decimals + 1, 12);
  std::snprintf(buffer, sizeof buffer, "%.*f", std::min(decimals, 12), value);
  std::string s = buffer;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.0" -> "0.0"
  return s;
}

std::string format_number(double value, int digits) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  if (value == 0.0) return "0";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", std::clamp(digits, 1, 17), value);
  return compact_exponent(buffer);
}

}  // namespace liquid::plot
