// Boost.Odeint's Eigen support (boost/numeric/odeint/external/eigen), plus the two pieces that
// Boost 1.74 lacks for Eigen 3.4. Internal: include ode/ode.h instead.
//
// Note that odeint's eigen_algebra.hpp adds `matrix + scalar`, `matrix / matrix` (coefficient-wise)
// and `abs(matrix)` to namespace Eigen for every file that includes this header.
#pragma once

#include <type_traits>

#include <Eigen/Dense>
#include <boost/numeric/odeint/external/eigen/eigen.hpp>

namespace boost::numeric::odeint {

// Eigen 3.4 gave vectors begin()/end(), so odeint's is_range sees every Eigen type as a range and
// copies element by element; on a matrix with several columns (one column per batch sample) that
// path hits Eigen's YOU_TRIED_CALLING_A_VECTOR_METHOD_ON_A_MATRIX. Plain assignment is right for all
// dense types and never allocates once the destination is sized.
template <class Dense>
struct copy_impl_sfinae<Dense, Dense,
                        std::enable_if_t<std::is_base_of_v<Eigen::DenseBase<Dense>, Dense>>> {
  static void copy(const Dense& from, Dense& to) { to = from; }
};

// odeint only defines the infinity norm for Eigen::Matrix; the step-size controller needs it for
// Eigen::Array states too.
template <class Scalar, int kRows, int kCols, int kOptions, int kMaxRows, int kMaxCols>
struct vector_space_norm_inf<Eigen::Array<Scalar, kRows, kCols, kOptions, kMaxRows, kMaxCols>> {
  using result_type = Scalar;
  Scalar operator()(const Eigen::Array<Scalar, kRows, kCols, kOptions, kMaxRows, kMaxCols>& a) const {
    return a.abs().maxCoeff();
  }
};

}  // namespace boost::numeric::odeint
