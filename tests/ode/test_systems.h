// ODE systems with known behaviour, shared by the ode tests. Times in seconds.
#pragma once

#include <cmath>
#include <initializer_list>

#include <Eigen/Dense>

namespace liquid::ode::test_systems {

// Dynamic-size on purpose: with -march=native on AVX-512, GCC 12 reports a false -Warray-bounds
// when a fixed-size Vector2d/3d/4d is copied into a VectorXd.
inline Eigen::VectorXd vec(std::initializer_list<double> values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (const double value : values) v(i++) = value;
  return v;
}

// dx/dt = -k x;  x(t) = x0 e^{-k t}. Coefficient-wise, so any state shape works.
template <class State>
struct Decay {
  using Scalar = typename State::Scalar;
  double k = 1.0;
  void operator()(const State& x, State& dxdt, double) const {
    dxdt = static_cast<Scalar>(-k) * x;
  }
  State exact(const State& x0, double t) const {
    return static_cast<Scalar>(std::exp(-k * t)) * x0;
  }
};

// q' = p, p' = -w^2 q from (q, p) = (1, 0);  q = cos(w t), p = -w sin(w t).
struct Oscillator {
  double w = 1.0;
  void operator()(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double) const {
    dxdt(0) = x(1);
    dxdt(1) = -w * w * x(0);
  }
  static Eigen::VectorXd start() { return vec({1.0, 0.0}); }
  Eigen::VectorXd exact(double t) const {
    return vec({std::cos(w * t), -w * std::sin(w * t)});
  }
};

// The linear conductance system dx/dt = (a - b x) / c, b > 0, c > 0:
//   x(t) = a/b + (x0 - a/b) e^{-b t / c}, fixed point a/b, time constant c/b.
struct LinearConductance {
  Eigen::VectorXd a = vec({1.0, -0.5, 2.0});
  Eigen::VectorXd b = vec({2.0, 1.0, 4.0});
  Eigen::VectorXd c = vec({0.5, 1.0, 2.0});

  void conductances(const Eigen::VectorXd&, double, Eigen::VectorXd& numerator,
                    Eigen::VectorXd& denominator) const {
    numerator = a;
    denominator = b;
  }
  void capacitance(Eigen::VectorXd& cm) const { cm = c; }
  void operator()(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double) const {
    dxdt = (a - b.cwiseProduct(x)).cwiseQuotient(c);
  }
  Eigen::VectorXd fixed_point() const { return a.cwiseQuotient(b); }
  Eigen::VectorXd exact(const Eigen::VectorXd& x0, double t) const {
    const Eigen::ArrayXd decay = (-b.array() * t / c.array()).exp();
    return (fixed_point().array() + (x0 - fixed_point()).array() * decay).matrix();
  }
  static Eigen::VectorXd start() { return vec({0.0, 1.0, -1.0}); }
};

// An LTC-like network of 4 neurons with sigmoid synapses (the ncps LTC cell without inputs):
//   s_ji = w_ji sigmoid(sigma_ji (x_j - mu_ji))               synapse j -> i
//   numerator_i   = gleak_i vleak_i + sum_j s_ji erev_ji
//   denominator_i = gleak_i + sum_j s_ji                       > 0
//   dx_i/dt = (numerator_i - denominator_i x_i) / cm_i
// Parameters are fixed numbers inside ncps's init ranges (w in [0.001, 1], sigma in [3, 8],
// mu in [0.3, 0.8], gleak in [0.001, 1], vleak in [-0.2, 0.2], cm in [0.4, 0.6]).
// operator() is written out separately, as a cell author would, and without scratch.
struct Ltc4 {
  static constexpr int kNeurons = 4;
  Eigen::VectorXd cm = vec({0.4, 0.6, 0.5, 0.45});
  Eigen::VectorXd gleak = vec({0.2, 0.5, 0.05, 0.9});
  Eigen::VectorXd vleak = vec({0.0, -0.2, 0.15, 0.1});
  Eigen::Matrix4d w, mu, sigma, erev;  // row j = presynaptic, column i = postsynaptic (ncps order)

  Ltc4() {
    for (int j = 0; j < kNeurons; ++j) {
      for (int i = 0; i < kNeurons; ++i) {
        w(j, i) = 0.1 + 0.2 * ((3 * j + 5 * i) % 5);
        mu(j, i) = 0.3 + 0.1 * ((j + 2 * i) % 6);
        sigma(j, i) = 3.0 + ((2 * j + i) % 6);
        erev(j, i) = ((j + i) % 3 == 0) ? -1.0 : 1.0;
      }
    }
  }

  double synapse(const Eigen::VectorXd& x, int j, int i) const {
    return w(j, i) / (1.0 + std::exp(-sigma(j, i) * (x(j) - mu(j, i))));
  }
  void conductances(const Eigen::VectorXd& x, double, Eigen::VectorXd& numerator,
                    Eigen::VectorXd& denominator) const {
    for (int i = 0; i < kNeurons; ++i) {
      numerator(i) = gleak(i) * vleak(i);
      denominator(i) = gleak(i);
      for (int j = 0; j < kNeurons; ++j) {
        const double s = synapse(x, j, i);
        numerator(i) += s * erev(j, i);
        denominator(i) += s;
      }
    }
  }
  void capacitance(Eigen::VectorXd& c) const { c = cm; }
  void operator()(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double) const {
    for (int i = 0; i < kNeurons; ++i) {
      double numerator = gleak(i) * vleak(i);
      double denominator = gleak(i);
      for (int j = 0; j < kNeurons; ++j) {
        const double s = synapse(x, j, i);
        numerator += s * erev(j, i);
        denominator += s;
      }
      dxdt(i) = (numerator - denominator * x(i)) / cm(i);
    }
  }
  static Eigen::VectorXd start() { return vec({0.9, -0.8, 0.3, 0.0}); }
};

}  // namespace liquid::ode::test_systems
