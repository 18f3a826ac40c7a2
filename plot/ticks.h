// Axis arithmetic for liquid::plot: "nice" tick values (1, 2 or 5 times a power of ten), decade
// ticks for log axes, and compact tick labels. Kept apart from drawing so it can be unit-tested
// exactly: a plot people trust needs ticks at round numbers and labels without float noise.
#pragma once

#include <string>
#include <vector>

namespace liquid::plot {

// The nice step (1, 2 or 5 x 10^k) that splits [lo, hi] into about `target` intervals.
double nice_step(double lo, double hi, int target = 6);

// Multiples of `step` inside [lo, hi] (ends included, with a little tolerance); values within
// 1e-9 of a step of zero are returned as exactly 0.
std::vector<double> ticks_at(double lo, double hi, double step);

// ticks_at(lo, hi, nice_step(lo, hi, target)).
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

// Ticks for a log axis over [lo, hi] (both > 0): powers of ten, with 2 and 5 in between when the
// range spans fewer than three decades, and a plain nice_ticks when it spans less than one.
std::vector<double> log_ticks(double lo, double hi);

// A tick label for `value` on an axis whose ticks are `step` apart: as few decimals as the step
// needs ("0.3", not "0.30000000004"), never "-0", and "1.5e6"-style exponents when `exponent`
// (by default: for magnitudes from 1e6 up or below 1e-4).
std::string format_tick(double value, double step);
std::string format_tick(double value, double step, bool exponent);

// Labels for a whole axis, all in one style: exponents for every tick or for none (an axis reading
// "500000, 1e6" is harder to read than "5e5, 1e6"). step 0 means log ticks, each its own step.
std::vector<std::string> format_ticks(const std::vector<double>& ticks, double step);

// A general-purpose compact number: up to `digits` significant digits, trailing zeros dropped.
std::string format_number(double value, int digits = 4);

}  // namespace liquid::plot
