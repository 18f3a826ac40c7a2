// Argument checks shared by the integrate functions. Internal: include ode/ode.h instead.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace liquid::ode::detail {

// Shortest round-trip text for a double, so a message shows 1e-09 or nan rather than 0.000000.
inline std::string format_number(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof(text), value).ptr;
  return std::string(text, end);
}

// A gap of 0 s would silently skip the update and a negative or non-finite one would integrate
// backwards or forever; all are caller bugs (a buffer without timestamps, clock reset), so throw.
inline void check_gap(double dt, const char* function) {
  if (!(std::isfinite(dt) && dt > 0.0)) {
    throw std::invalid_argument(std::string("liquid::ode::") + function +
                                ": gap dt must be finite and > 0 s; got " + format_number(dt));
  }
}

inline void check_start_time(double t0, const char* function) {
  if (!std::isfinite(t0)) {
    throw std::invalid_argument(std::string("liquid::ode::") + function +
                                ": start time t0 must be finite; got " + format_number(t0));
  }
}

inline void check_substeps(std::size_t n, const char* function) {
  if (n == 0) {
    throw std::invalid_argument(std::string("liquid::ode::") + function +
                                ": substep count n must be >= 1; got 0");
  }
}

}  // namespace liquid::ode::detail
