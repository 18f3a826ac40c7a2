// Losses against hand-computed values and gradients, and against central differences (taken in
// double from the exact float perturbations) on random inputs with masks and weights; metrics on
// small hand-computed examples.
#include "lfm/loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace liquid::lfm {
namespace {

using Floats = std::vector<float>;

void expect_near_all(const Floats& got, const std::vector<double>& expected, double tolerance) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tolerance) << "element " << i;
}

// d loss / d x[i] for every i by central differences. The step is taken in float and the actual
// perturbation (x+h) - (x-h), exact in double, divides the difference.
void expect_matches_differences(Floats x, const std::function<double(const Floats&, Floats&)>& loss) {
  Floats grad(x.size()), scratch(x.size());
  loss(x, grad);
  double scale = 0;
  for (float g : grad) scale = std::max(scale, double(std::abs(g)));
  ASSERT_GT(scale, 1e-3);
  for (size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    x[i] = saved + 1e-3f;
    const double plus_at = x[i], plus = loss(x, scratch);
    x[i] = saved - 1e-3f;
    const double minus_at = x[i], minus = loss(x, scratch);
    x[i] = saved;
    EXPECT_NEAR(grad[i], (plus - minus) / (plus_at - minus_at), 1e-5 * std::max(1.0, scale)) << "element " << i;
  }
}

Floats random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, scale);
  Floats out(n);
  for (float& x : out) x = normal(rng);
  return out;
}

TEST(CrossEntropy, HandComputed) {
  // Row [1, 2, 3], label 2: log-sum-exp = 3 + log(e^-2 + e^-1 + 1) = 3.4076060, nll = 0.4076060,
  //   softmax = [0.0900306, 0.2447285, 0.6652410].
  // Row [0, 0, 0], label 0: nll = log 3 = 1.0986123, softmax = 1/3 each.
  // Mean: (0.4076060 + 1.0986123) / 2 = 0.7531091; gradient (softmax - onehot) / 2.
  const Floats logits = {1, 2, 3, 0, 0, 0};
  const std::vector<int32_t> labels = {2, 0};
  Floats d(6);
  EXPECT_NEAR(cross_entropy_loss(logits, labels, 1, 2, 3, d), 0.75310915, 1e-7);
  expect_near_all(d, {0.0900306 / 2, 0.2447285 / 2, (0.6652410 - 1) / 2, (1.0 / 3 - 1) / 2, 1.0 / 6, 1.0 / 6}, 1e-7);

  // Class weights [1, 1, 3]: (3 * 0.4076060 + 1 * 1.0986123) / (3 + 1) = 0.5803575; row gradients
  // w_y (softmax - onehot) / 4.
  const Floats weights = {1, 1, 3};
  EXPECT_NEAR(cross_entropy_loss(logits, labels, 1, 2, 3, d, {}, weights), 0.58035754, 1e-7);
  expect_near_all(d, {3 * 0.0900306 / 4, 3 * 0.2447285 / 4, 3 * (0.6652410 - 1) / 4, (1.0 / 3 - 1) / 4, 1.0 / 12,
                      1.0 / 12}, 1e-7);

  // Masking the second position leaves the first alone; its (invalid) label is not read.
  const std::vector<int32_t> padded = {2, -7};
  const Floats mask = {1, 0};
  EXPECT_NEAR(cross_entropy_loss(logits, padded, 1, 2, 3, d, mask), 0.40760596, 1e-7);
  expect_near_all(d, {0.0900306, 0.2447285, 0.6652410 - 1, 0, 0, 0}, 1e-7);
}

TEST(CrossEntropy, StableForHugeLogits) {
  Floats d(2);
  EXPECT_NEAR(cross_entropy_loss(Floats{1000, 0}, std::vector<int32_t>{1}, 1, 1, 2, d), 1000.0, 1e-9);
  expect_near_all(d, {1, -1}, 1e-7);
}

TEST(CrossEntropy, MatchesDifferences) {
  std::mt19937 rng(1);
  constexpr int kBatch = 2, kSteps = 3, kClasses = 4;
  const std::vector<int32_t> labels = {0, 3, 1, 2, 2, 0};
  const Floats mask = {1, 1, 0, 1, 1, 1}, weights = {0.5f, 2.0f, 1.0f, 1.5f};
  expect_matches_differences(random_floats(kBatch * kSteps * kClasses, rng, 2.0f), [&](const Floats& x, Floats& d) {
    return cross_entropy_loss(x, labels, kBatch, kSteps, kClasses, d, mask, weights);
  });
}

TEST(CrossEntropy, RejectsBadInput) {
  Floats d(6);
  const Floats logits(6);
  EXPECT_THROW(cross_entropy_loss(logits, std::vector<int32_t>{0, 3}, 1, 2, 3, d), std::invalid_argument);
  EXPECT_THROW(cross_entropy_loss(logits, std::vector<int32_t>{0}, 1, 2, 3, d), std::invalid_argument);
  Floats short_d(5);
  EXPECT_THROW(cross_entropy_loss(logits, std::vector<int32_t>{0, 1}, 1, 2, 3, short_d), std::invalid_argument);
  EXPECT_THROW(cross_entropy_loss(logits, std::vector<int32_t>{0, 1}, 1, 2, 3, d, {}, Floats{1, 1}),
               std::invalid_argument);
}

TEST(CrossEntropy, NothingCountedIsZero) {
  Floats d(6, 9.0f);
  EXPECT_EQ(cross_entropy_loss(Floats(6, 1.0f), std::vector<int32_t>{0, 1}, 1, 2, 3, d, Floats{0, 0}), 0.0);
  for (float x : d) EXPECT_EQ(x, 0.0f);
}

TEST(Mse, HandComputed) {
  // (batch 1, steps 2, outputs 2): differences [1, 0, -2, 0] -> (1 + 4) / 4 = 1.25, gradient
  // 2 d / 4 = [0.5, 0, -1, 0]. Second position masked: (1 + 0) / 2 = 0.5, gradient [1, 0, 0, 0].
  const Floats output = {1, 2, 3, 4}, target = {0, 2, 5, 4};
  Floats d(4);
  EXPECT_DOUBLE_EQ(mse_loss(output, target, 1, 2, d), 1.25);
  expect_near_all(d, {0.5, 0, -1, 0}, 0);
  EXPECT_DOUBLE_EQ(mse_loss(output, target, 1, 2, d, Floats{1, 0}), 0.5);
  expect_near_all(d, {1, 0, 0, 0}, 0);
  EXPECT_THROW(mse_loss(output, Floats{0, 2, 5}, 1, 2, d), std::invalid_argument);
  EXPECT_THROW(mse_loss(output, target, 1, 3, d), std::invalid_argument);
}

TEST(Mse, MatchesDifferences) {
  std::mt19937 rng(2);
  const Floats target = random_floats(2 * 3 * 2, rng), mask = {1, 0, 1, 1, 1, 0};
  expect_matches_differences(random_floats(target.size(), rng),
                             [&](const Floats& x, Floats& d) { return mse_loss(x, target, 2, 3, d, mask); });
}

TEST(Huber, HandComputed) {
  // delta 1, differences [0.5, -3, 1, 2]: 0.5*0.25 = 0.125, 3 - 0.5 = 2.5, |1| is not < 1 so
  // 1 - 0.5 = 0.5, 2 - 0.5 = 1.5; mean 4.625 / 4 = 1.15625; gradient clamp(d, -1, 1) / 4.
  const Floats output = {0.5f, -3, 1, 2}, target(4, 0.0f);
  Floats d(4);
  EXPECT_DOUBLE_EQ(huber_loss(output, target, 2, 1, d), 1.15625);
  expect_near_all(d, {0.125, -0.25, 0.25, 0.25}, 0);
  // delta 2: 0.125, 2 * (3 - 1) = 4, 0.5, 2 * (2 - 1) = 2 (|2| is not < 2) -> 6.625 / 4.
  EXPECT_DOUBLE_EQ(huber_loss(output, target, 2, 1, d, 2.0), 1.65625);
  expect_near_all(d, {0.125, -0.5, 0.25, 0.5}, 0);
}

TEST(Huber, MatchesDifferences) {
  std::mt19937 rng(3);
  const Floats target = random_floats(3 * 2 * 3, rng), mask = {1, 1, 0, 1, 1, 1};
  Floats x = random_floats(target.size(), rng, 1.5f);
  // Keep clear of the kink at |d| = delta, where the difference quotient straddles two branches.
  for (size_t i = 0; i < x.size(); ++i)
    if (std::abs(std::abs(x[i] - target[i]) - 0.7f) < 0.01f) x[i] += 0.05f;
  expect_matches_differences(x, [&](const Floats& v, Floats& d) { return huber_loss(v, target, 3, 2, d, 0.7, mask); });
}

TEST(BceWithLogits, HandComputed) {
  // logits [0, 2, -1], targets [1, 0, 1]: softplus(0) = 0.6931472, softplus(2) = 2.1269280,
  // softplus(1) = 1.3132617; mean 1.3777790. Gradient (sigmoid(x) - y) / 3 =
  // [-0.5, 0.8807971, -0.7310586] / 3.
  const Floats logits = {0, 2, -1}, target = {1, 0, 1};
  Floats d(3);
  EXPECT_NEAR(bce_with_logits_loss(logits, target, 1, 1, d), 1.37777896, 1e-7);
  expect_near_all(d, {-0.5 / 3, 0.8807971 / 3, -0.7310586 / 3}, 1e-7);
  // pos_weight 2 doubles the positive terms: (2 * 0.6931472 + 2.1269280 + 2 * 1.3132617) / 3 =
  // 2.0465819; gradient for y = 1 is -pw sigmoid(-x): [-1, 0.8807971, -1.4621172] / 3.
  EXPECT_NEAR(bce_with_logits_loss(logits, target, 1, 1, d, {}, Floats{2, 2, 2}), 2.04658192, 1e-7);
  expect_near_all(d, {-1.0 / 3, 0.8807971 / 3, -1.4621172 / 3}, 1e-7);
}

TEST(BceWithLogits, StableForHugeLogits) {
  Floats d(2);
  EXPECT_NEAR(bce_with_logits_loss(Floats{100, -100}, Floats{0, 1}, 1, 2, d), 100.0, 1e-9);
  expect_near_all(d, {0.5, -0.5}, 1e-7);
}

TEST(BceWithLogits, MatchesDifferences) {
  std::mt19937 rng(4);
  constexpr int kBatch = 2, kSteps = 2, kOutputs = 3;
  Floats target = random_floats(kBatch * kSteps * kOutputs, rng);
  for (float& t : target) t = 1.0f / (1.0f + std::exp(-t));  // soft targets in (0, 1)
  const Floats mask = {1, 0, 1, 1}, pos_weight = {0.5f, 1.0f, 3.0f};
  expect_matches_differences(random_floats(target.size(), rng, 2.0f), [&](const Floats& x, Floats& d) {
    return bce_with_logits_loss(x, target, kBatch, kSteps, d, mask, pos_weight);
  });
}

TEST(Metrics, Accuracy) {
  // Predictions [1, 0, 0 (tie: first maximum)] against labels [1, 1, 0]: 2 of 3; without the
  // second position 2 of 2.
  const Floats logits = {1, 2, 3, 0, 0.5f, 0.5f};
  const std::vector<int32_t> labels = {1, 1, 0};
  EXPECT_DOUBLE_EQ(accuracy(logits, labels, 3, 1, 2), 2.0 / 3);
  EXPECT_DOUBLE_EQ(accuracy(logits, labels, 1, 3, 2, Floats{1, 0, 1}), 1.0);
  EXPECT_TRUE(std::isnan(accuracy(logits, labels, 1, 3, 2, Floats{0, 0, 0})));
}

TEST(Metrics, BinaryF1) {
  // Scores [0.9, 0.8, 0.3, 0.6, 0.1] at 0.5 predict [1, 1, 0, 1, 0] against [1, 0, 1, 1, 0]:
  // tp 2, fp 1, fn 1 -> 2 tp / (2 tp + fp + fn) = 4 / 6.
  const Floats scores = {0.9f, 0.8f, 0.3f, 0.6f, 0.1f}, labels = {1, 0, 1, 1, 0};
  EXPECT_DOUBLE_EQ(binary_f1(scores, labels), 2.0 / 3);
  // Threshold 0.2 predicts [1, 1, 1, 1, 0]: tp 3, fp 1 -> 6 / 7.
  EXPECT_DOUBLE_EQ(binary_f1(scores, labels, 0.2), 6.0 / 7);
  // Masking the false positive: tp 2, fn 1 -> 4 / 5.
  EXPECT_DOUBLE_EQ(binary_f1(scores, labels, 0.5, Floats{1, 0, 1, 1, 1}), 0.8);
  EXPECT_EQ(binary_f1(scores, Floats(5, 0.0f)), 0.0);
  EXPECT_THROW(binary_f1(scores, Floats{1, 0, 2, 1, 0}), std::invalid_argument);
}

TEST(Metrics, RocAuc) {
  // sklearn's example: scores [0.1, 0.4, 0.35, 0.8], labels [0, 0, 1, 1]: ranks 1, 3, 2, 4;
  // (2 + 4 - 2 * 3 / 2) / (2 * 2) = 0.75.
  EXPECT_DOUBLE_EQ(roc_auc(Floats{0.1f, 0.4f, 0.35f, 0.8f}, Floats{0, 0, 1, 1}), 0.75);
  // Ties: scores [0.5, 0.5, 0.2, 0.9], labels [1, 0, 0, 1]: ranks 2.5, 2.5, 1, 4;
  // (2.5 + 4 - 3) / 4 = 0.875 (the tied pair counts half).
  EXPECT_DOUBLE_EQ(roc_auc(Floats{0.5f, 0.5f, 0.2f, 0.9f}, Floats{1, 0, 0, 1}), 0.875);
  // Masking the tied negative: positives ranks 2 and 3 of 3 -> (5 - 3) / 2 = 1.
  EXPECT_DOUBLE_EQ(roc_auc(Floats{0.5f, 0.5f, 0.2f, 0.9f}, Floats{1, 0, 0, 1}, Floats{1, 0, 1, 1}), 1.0);
  EXPECT_TRUE(std::isnan(roc_auc(Floats{0.1f, 0.2f}, Floats{1, 1})));
}

}  // namespace
}  // namespace liquid::lfm
