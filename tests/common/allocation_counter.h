// Counts heap allocations of the test executable that links allocation_counter.cpp with
// `liquid_count_allocations(target)`: operator new is replaced, and malloc/calloc/realloc (which
// Eigen calls directly from inline code) are wrapped at link time (GNU ld --wrap).
#pragma once

#include <cstddef>

namespace liquid::testing {

std::size_t allocation_count();

// Allocations made while `body` runs.
template <class Body>
std::size_t allocations_during(Body&& body) {
  const std::size_t before = allocation_count();
  body();
  return allocation_count() - before;
}

}  // namespace liquid::testing
