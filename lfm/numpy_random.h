// NumpyRandomState: the few draws of numpy's legacy np.random.RandomState that ncps's NCP and
// AutoNCP wirings make, reproduced bit for bit so a seed gives the same wiring in C++ and Python.
//
// Covered: RandomState(seed) with an integer seed in [0, 2^32 - 1], randint(low, high) with
// high - low <= 2^32, permutation(n), choice(list) and choice(list, size=k, replace=False).
// Not covered: floats, the 64-bit integer paths, weighted choice, default_rng (PCG64).
// tests/lfm/wiring_test.cpp checks every function against sequences printed by numpy 1.24.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace liquid::lfm {

class NumpyRandomState {
 public:
  // numpy's legacy integer seeding is MT19937's init_genrand, which is also what
  // std::mt19937's constructor does, so the engine state matches word for word.
  explicit NumpyRandomState(std::uint32_t seed) : engine_(seed) {}

  std::uint32_t next_uint32() { return static_cast<std::uint32_t>(engine_()); }

  // Uniform in [0, max]. numpy masks each 32-bit draw down to the smallest all-ones mask
  // covering max and rejects values above max, rather than using modulo or multiply-shift;
  // the number of words consumed therefore depends on max, and so does every later draw.
  std::uint32_t random_interval(std::uint32_t max) {
    if (max == 0) return 0;  // numpy returns without drawing
    const std::uint32_t mask = mask_covering(max);
    std::uint32_t value = 0;
    do {
      value = next_uint32() & mask;
    } while (value > max);
    return value;
  }

  // Uniform in [low, high), as RandomState.randint with the default dtype.
  std::int64_t randint(std::int64_t low, std::int64_t high) {
    if (high <= low) {
      throw std::invalid_argument("NumpyRandomState::randint: low " + std::to_string(low) +
                                  " must be less than high " + std::to_string(high));
    }
    const std::uint64_t span = static_cast<std::uint64_t>(high - low) - 1;
    if (span > 0xFFFFFFFFull) {
      throw std::out_of_range("NumpyRandomState::randint: range " + std::to_string(span + 1) +
                              " needs numpy's 64-bit path, which is not reproduced");
    }
    // randint's masked rejection is the same loop as random_interval.
    return low + random_interval(static_cast<std::uint32_t>(span));
  }

  // A permutation of 0..n-1: numpy's legacy Fisher-Yates, walking i from n-1 down to 1 and
  // swapping with an index drawn from [0, i].
  std::vector<int> permutation(int n) {
    if (n < 0) throw std::invalid_argument("NumpyRandomState::permutation: n is negative");
    std::vector<int> values(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = i;
    for (int i = n - 1; i > 0; --i) {
      const auto j = random_interval(static_cast<std::uint32_t>(i));
      std::swap(values[static_cast<std::size_t>(i)], values[j]);
    }
    return values;
  }

  // choice(population) with replacement and no size: one randint over the indices.
  template <class T>
  T choice(std::span<const T> population) {
    if (population.empty()) {
      throw std::invalid_argument("NumpyRandomState::choice: population is empty");
    }
    return population[static_cast<std::size_t>(
        randint(0, static_cast<std::int64_t>(population.size())))];
  }

  // choice(population, size, replace=False). numpy shuffles the whole index range and keeps the
  // first `size` entries, so it consumes the same draws whatever `size` is, even 0.
  template <class T>
  std::vector<T> choice_without_replacement(std::span<const T> population, int size) {
    if (size < 0 || static_cast<std::size_t>(size) > population.size()) {
      throw std::invalid_argument(
          "NumpyRandomState::choice_without_replacement: size " + std::to_string(size) +
          " must be in 0.." + std::to_string(population.size()) + " (the population size)");
    }
    const auto order = permutation(static_cast<int>(population.size()));
    std::vector<T> picked;
    picked.reserve(static_cast<std::size_t>(size));
    for (int k = 0; k < size; ++k) {
      picked.push_back(population[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])]);
    }
    return picked;
  }

 private:
  static std::uint32_t mask_covering(std::uint32_t max) {
    std::uint32_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    return mask;
  }

  std::mt19937 engine_;
};

}  // namespace liquid::lfm
