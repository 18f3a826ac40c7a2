// Shared checks for the backbone tests: central differences of L = Σ R ⊙ y + aux against a layer's
// hand-written backward, and the step face against the sequence face.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "lfm/backbone/layer.h"

namespace liquid::lfm::backbone::testing {

template <class S>
Mat<S> random_mat(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng, double scale = 1.0) {
  std::uniform_real_distribution<double> dist(-scale, scale);
  Mat<S> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<S>(dist(rng));
  return m;
}

// Every parameter of a layer (or anything with visit()), in visiting order.
template <class S, class L>
std::vector<std::pair<std::string, Mat<S>*>> params_of(L& layer) {
  std::vector<std::pair<std::string, Mat<S>*>> out;
  layer.visit("", [&](const std::string& n, const Shape&, Mat<S>& v) { out.emplace_back(n, &v); });
  return out;
}

struct GradCheck {
  double h = 1e-5;          // central-difference step
  double tolerance = 1e-6;  // relative to max(1, max |gradient|)
};

// Checks every parameter entry and every input entry. `model` has forward(x, seq, y, tape),
// backward(tape, dy, dx, grads), new_tape(), visit(); `grads` is its zeros_like(); prepare() is
// called after each perturbation.
template <class S, class L, class G>
void check_gradients(L& model, G& grads, const Mat<S>& x0, const Seq<S>& seq, uint64_t seed,
                     GradCheck opt = {}) {
  std::mt19937_64 rng(seed);
  auto tape = model.new_tape();
  Mat<S> y;
  model.forward(x0, seq, y, *tape);
  const Mat<S> r = random_mat<S>(y.rows(), y.cols(), rng);
  Mat<S> dx;
  model.backward(*tape, r, dx, grads);
  auto loss = [&](const Mat<S>& x) {
    auto t = model.new_tape();
    Mat<S> yy;
    model.forward(x, seq, yy, *t);
    return static_cast<double>(r.template cast<double>().cwiseProduct(yy.template cast<double>()).sum()) +
           static_cast<double>(model.aux_loss(*t));
  };
  std::vector<std::tuple<std::string, double, double>> entries;  // what, analytic, numeric
  auto p = params_of<S>(model), g = params_of<S>(grads);
  ASSERT_EQ(p.size(), g.size());
  for (size_t i = 0; i < p.size(); ++i) {
    ASSERT_EQ(p[i].first, g[i].first);
    Mat<S>& v = *p[i].second;
    for (Eigen::Index j = 0; j < v.size(); ++j) {
      const S keep = v.data()[j];
      v.data()[j] = keep + static_cast<S>(opt.h);
      model.prepare();
      const double up = loss(x0);
      v.data()[j] = keep - static_cast<S>(opt.h);
      model.prepare();
      const double down = loss(x0);
      v.data()[j] = keep;
      model.prepare();
      entries.emplace_back(p[i].first + "[" + std::to_string(j) + "]", double(g[i].second->data()[j]),
                           (up - down) / (2 * opt.h));
    }
  }
  Mat<S> x = x0;
  for (Eigen::Index j = 0; j < x.size(); ++j) {
    const S keep = x.data()[j];
    x.data()[j] = keep + static_cast<S>(opt.h);
    const double up = loss(x);
    x.data()[j] = keep - static_cast<S>(opt.h);
    const double down = loss(x);
    x.data()[j] = keep;
    entries.emplace_back("x[" + std::to_string(j) + "]", double(dx.data()[j]), (up - down) / (2 * opt.h));
  }
  double scale = 1.0;
  for (const auto& e : entries) scale = std::max(scale, std::abs(std::get<1>(e)));
  int nonzero = 0;
  for (const auto& [what, analytic, numeric] : entries) {
    EXPECT_NEAR(analytic, numeric, opt.tolerance * scale) << what;
    nonzero += std::abs(analytic) > 1e-6;
  }
  EXPECT_GT(nonzero, static_cast<int>(entries.size()) / 4) << "most gradients vanish: the check would be empty";
}

// Runs every sequence of the batch token by token through the step face and compares with the
// sequence face's output, to `tolerance` relative to max(1, |y|).
template <class S, class L>
void check_step_matches_sequence(const L& model, const Mat<S>& x, const Seq<S>& seq, double tolerance = 1e-5) {
  auto tape = model.new_tape();
  Mat<S> y;
  model.forward(x, seq, y, *tape);
  const double scale = std::max(1.0, static_cast<double>(y.cwiseAbs().maxCoeff()));
  Vec<S> xt(x.rows()), yt(y.rows());
  for (int b = 0; b < seq.batch; ++b) {
    auto state = model.new_state(seq.steps);
    for (int t = 0; t < seq.steps; ++t) {
      const int n = b * seq.steps + t;
      xt = x.col(n);
      model.step(xt, seq.dt ? (*seq.dt)(n) : S(1), *state, yt);
      for (Eigen::Index i = 0; i < yt.size(); ++i)
        ASSERT_NEAR(yt(i), y(i, n), tolerance * scale) << "sequence " << b << " token " << t << " row " << i;
    }
  }
}

}  // namespace liquid::lfm::backbone::testing
