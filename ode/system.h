// liquid::ode systems: the right-hand side of dx/dt = f(x, t), kept apart from any stepping.
//
// Time t is in seconds. A state is any plain Eigen dense object (VectorXd, VectorXf, ArrayXXf,
// MatrixXf with one column per batch sample, ...); systems and steppers work coefficient-wise, so
// a batch of independent samples is simply a wider state.
//
// A *system* is a callable
//     void operator()(const State& x, State& dxdt, double t) const;
// A *conductance system* (the LTC form) additionally provides
//     void conductances(const State& x, double t, State& numerator, State& denominator) const;
//     void capacitance(State& cm) const;            // cm > 0, same shape as x
// and means  dx/dt = (numerator - denominator ∘ x) / cm.
// Steppers hand dxdt, numerator, denominator and cm in already sized like x, so a system may
// write them element by element.
// The fused semi-implicit stepper needs that split; explicit steppers and Dormand-Prince only call
// operator(). A conductance system without its own operator() can be wrapped in ConductanceRhs.
#pragma once

#include <concepts>
#include <type_traits>

#include <Eigen/Dense>

namespace liquid::ode {

// A state owns its storage (Matrix or Array); expressions and Maps are not states.
template <class State>
concept EigenState = std::is_base_of_v<Eigen::PlainObjectBase<State>, State>;

template <class Sys, class State>
concept System = EigenState<State> && requires(const Sys& sys, const State& x, State& dxdt, double t) {
  sys(x, dxdt, t);
};

template <class Sys, class State>
concept ConductanceSystem =
    EigenState<State> &&
    requires(const Sys& sys, const State& x, double t, State& numerator, State& denominator, State& cm) {
      sys.conductances(x, t, numerator, denominator);
      sys.capacitance(cm);
    };

// dx/dt = (numerator - denominator ∘ x) / cm, using dxdt itself as the numerator buffer so only
// two scratch states are needed. Scratch is resized like x (a no-op once sized).
template <class State, ConductanceSystem<State> Sys>
void conductance_derivative(const Sys& system, const State& x, State& dxdt, double t,
                            State& denominator_scratch, State& cm_scratch) {
  dxdt.resizeLike(x);
  denominator_scratch.resizeLike(x);
  cm_scratch.resizeLike(x);
  system.conductances(x, t, dxdt, denominator_scratch);
  system.capacitance(cm_scratch);
  dxdt.array() = (dxdt.array() - denominator_scratch.array() * x.array()) / cm_scratch.array();
}

// Gives a conductance system the plain operator() that explicit steppers and Dopri5 call.
// Holds a reference to the system (so the system must outlive it) and its own scratch, so it
// must not be shared between threads (one per stream). Not copyable: a copy would allocate
// scratch; the liquid::ode integrate functions take systems by reference.
template <class State, ConductanceSystem<State> Sys>
class ConductanceRhs {
 public:
  explicit ConductanceRhs(const Sys& system) : system_(system) {}
  ConductanceRhs(const Sys& system, const State& like) : system_(system) {
    denominator_.resizeLike(like);
    cm_.resizeLike(like);
  }
  ConductanceRhs(const Sys&&) = delete;  // would dangle
  ConductanceRhs(const Sys&&, const State&) = delete;
  ConductanceRhs(const ConductanceRhs&) = delete;
  ConductanceRhs& operator=(const ConductanceRhs&) = delete;

  void operator()(const State& x, State& dxdt, double t) const {
    conductance_derivative(system_, x, dxdt, t, denominator_, cm_);
  }
  void conductances(const State& x, double t, State& numerator, State& denominator) const {
    system_.conductances(x, t, numerator, denominator);
  }
  void capacitance(State& cm) const { system_.capacitance(cm); }

 private:
  const Sys& system_;
  mutable State denominator_;
  mutable State cm_;
};

}  // namespace liquid::ode
