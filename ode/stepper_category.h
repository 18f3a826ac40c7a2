// liquid::ode stepper categories: what a stepper can do, as a type, so that the integrate
// functions pick their loop at compile time (as odeint's stepper_categories.hpp does).
#pragma once

#include <concepts>

namespace liquid::ode {

// One explicit step of a given size from any System (Euler, Rk4): n equal substeps per gap.
struct FixedStepTag {};
// One step of a given size that needs the conductance split of a ConductanceSystem
// (FusedSemiImplicit): n equal substeps per gap, like ncps's ode_unfolds.
struct ConductanceFusedTag {};
// Error-controlled steps whose size the stepper chooses (Dopri5): the loop runs until the gap is
// covered and reports how many steps it took.
struct AdaptiveTag {};

// Specialise for a stepper that cannot carry a nested `Category` type.
template <class Stepper>
struct StepperCategory {
  using type = typename Stepper::Category;
};
template <class Stepper>
using stepper_category_t = typename StepperCategory<Stepper>::type;

template <class Stepper>
concept FixedStepStepper = std::same_as<stepper_category_t<Stepper>, FixedStepTag> ||
                           std::same_as<stepper_category_t<Stepper>, ConductanceFusedTag>;

template <class Stepper>
concept AdaptiveStepper = std::same_as<stepper_category_t<Stepper>, AdaptiveTag>;

}  // namespace liquid::ode
