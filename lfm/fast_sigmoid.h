// A vectorised logistic sigmoid for the LTC synapses, the engine's hottest loop (units^2 x unfolds
// evaluations a step). Eigen 3.4's logistic() evaluates exp() for the whole packet whenever one
// lane is below -9, which LTC synapses (sigma up to 8) hit nearly always. Here the same odd/even
// rational approximation is clamped to [-15.72, 15.72] instead, where it reaches 0 and 1: the
// absolute error stays under 2e-7 everywhere (tests/lfm/fast_sigmoid_test.cpp), which is what a
// sum of synaptic currents needs (a relative error on 1e-7-sized terms does not matter).
#pragma once

#include <Eigen/Core>
#include <algorithm>

namespace liquid::lfm {

// 1/q for q > 0, to float precision. A division costs ~5 cycles per 16 lanes on this CPU where the
// rest of the sigmoid costs ~6 in all, so where the ISA has a reciprocal estimate we refine that
// estimate with one Newton step instead (r' = r (2 - q r): 14 or 12 bits become 23).
template <typename Packet>
inline Packet reciprocal(const Packet& q) {
  return Eigen::internal::pdiv(Eigen::internal::pset1<Packet>(1.0f), q);
}
#if defined(EIGEN_VECTORIZE_AVX512)
template <>
inline Eigen::internal::Packet16f reciprocal(const Eigen::internal::Packet16f& q) {
  const __m512 r = _mm512_rcp14_ps(q);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(q, r, _mm512_set1_ps(2.0f)));
}
#endif
#if defined(EIGEN_VECTORIZE_AVX) && defined(EIGEN_VECTORIZE_FMA)
template <>
inline Eigen::internal::Packet8f reciprocal(const Eigen::internal::Packet8f& q) {
  const __m256 r = _mm256_rcp_ps(q);
  return _mm256_mul_ps(r, _mm256_fnmadd_ps(q, r, _mm256_set1_ps(2.0f)));
}
#endif

struct FastSigmoidOp {
  float operator()(const float& x) const { return scalar(x); }
  static float scalar(float x_in) {
    const float x = std::max(std::min(x_in, 15.7243833541870117f), -15.7243833541870117f);
    const float x2 = x * x;
    float p = x2 * 4.37031012579801e-11f + 1.15627324459942e-07f;
    p = x2 * p + 6.08574864600143e-05f;
    p = x2 * p + 8.51377133304701e-03f;
    p = x2 * p + 2.48287947061529e-01f;
    p = x * p;
    float q = x2 * 6.10247389755681e-13f + 5.76102136993427e-09f;
    q = x2 * q + 6.29106785017040e-06f;
    q = x2 * q + 1.70198817374094e-03f;
    q = x2 * q + 1.16817656904453e-01f;
    q = x2 * q + 9.93151921023180e-01f;
    return p / q + 0.5f;
  }

  template <typename Packet>
  Packet packetOp(const Packet& x_in) const {
    using namespace Eigen::internal;
    const Packet x = pmax(pmin(x_in, pset1<Packet>(15.7243833541870117f)), pset1<Packet>(-15.7243833541870117f));
    const Packet x2 = pmul(x, x);
    Packet p = pmadd(x2, pset1<Packet>(4.37031012579801e-11f), pset1<Packet>(1.15627324459942e-07f));
    p = pmadd(x2, p, pset1<Packet>(6.08574864600143e-05f));
    p = pmadd(x2, p, pset1<Packet>(8.51377133304701e-03f));
    p = pmadd(x2, p, pset1<Packet>(2.48287947061529e-01f));
    p = pmul(x, p);
    Packet q = pmadd(x2, pset1<Packet>(6.10247389755681e-13f), pset1<Packet>(5.76102136993427e-09f));
    q = pmadd(x2, q, pset1<Packet>(6.29106785017040e-06f));
    q = pmadd(x2, q, pset1<Packet>(1.70198817374094e-03f));
    q = pmadd(x2, q, pset1<Packet>(1.16817656904453e-01f));
    q = pmadd(x2, q, pset1<Packet>(9.93151921023180e-01f));
    return pmadd(p, reciprocal(q), pset1<Packet>(0.5f));
  }
};

template <class Derived>
auto fast_sigmoid(const Eigen::ArrayBase<Derived>& x) {
  return x.unaryExpr(FastSigmoidOp());
}

}  // namespace liquid::lfm

namespace Eigen::internal {
template <>
struct functor_traits<liquid::lfm::FastSigmoidOp> {
  enum { Cost = 20, PacketAccess = true };
};
}  // namespace Eigen::internal
