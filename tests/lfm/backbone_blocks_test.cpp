// The backbone blocks: hand-written backward against double central differences, and the step
// face against the sequence face (float, 1e-5), on small random shapes.
#include <gtest/gtest.h>

#include "lfm/backbone/attention.h"
#include "lfm/backbone/gated_conv.h"
#include "lfm/backbone/liquid_block.h"
#include "lfm/backbone/swiglu.h"
#include "tests/common/allocation_counter.h"
#include "tests/lfm/backbone_test_util.h"

namespace liquid::lfm::backbone {
namespace {

using testing::check_gradients;
using testing::check_step_matches_sequence;
using testing::random_mat;

constexpr int kD = 6, kBatch = 2, kSteps = 5;

// Gradient and face checks for one layer type built by `make(seed)`.
template <class Make>
void check_layer(Make make, double x_scale = 1.0) {
  {
    auto layer = make.template operator()<double>(11);
    auto grads = layer->zeros_like();
    std::mt19937_64 rng(5);
    const Mat<double> x = random_mat<double>(kD, kBatch * kSteps, rng, x_scale);
    check_gradients<double>(*layer, *grads, x, Seq<double>{kBatch, kSteps, nullptr}, 7);
  }
  {
    auto layer = make.template operator()<float>(11);
    std::mt19937_64 rng(6);
    const Mat<float> x = random_mat<float>(kD, kBatch * kSteps, rng, x_scale);
    check_step_matches_sequence<float>(*layer, x, Seq<float>{kBatch, kSteps, nullptr});
  }
}

TEST(BackboneBlocks, GatedConvKernel3) {
  check_layer([]<class S>(uint64_t seed) {
    auto l = std::make_unique<GatedConv<S>>(kD, 3);
    l->init(seed);
    return l;
  });
}

TEST(BackboneBlocks, GatedConvKernel1AndLongerThanSequence) {
  for (int k : {1, 7})
    check_layer([k]<class S>(uint64_t seed) {
      auto l = std::make_unique<GatedConv<S>>(kD, k);
      l->init(seed);
      return l;
    });
}

TEST(BackboneBlocks, SwiGlu) {
  check_layer([]<class S>(uint64_t seed) {
    auto l = std::make_unique<SwiGlu<S>>(kD, 5);
    l->init(seed);
    return l;
  });
}

template <class S>
std::unique_ptr<Attention<S>> make_attention(int heads, int kv, int window, uint64_t seed) {
  auto l = std::make_unique<Attention<S>>(AttentionConfig{kD, heads, kv, 4, window, 10.0});
  l->init(seed);
  // Non-trivial norm weights so their gradients are tested away from 1.
  std::mt19937_64 rng(seed + 1);
  l->q_norm = Mat<S>::Ones(4, 1) + random_mat<S>(4, 1, rng, 0.3);
  l->k_norm = Mat<S>::Ones(4, 1) + random_mat<S>(4, 1, rng, 0.3);
  return l;
}

TEST(BackboneBlocks, AttentionFullGqa) {
  check_layer([]<class S>(uint64_t seed) { return make_attention<S>(4, 2, 0, seed); }, 2.0);
}

TEST(BackboneBlocks, AttentionSlidingWindowMha) {
  check_layer([]<class S>(uint64_t seed) { return make_attention<S>(2, 2, 2, seed); }, 2.0);
}

TEST(BackboneBlocks, AttentionSingleKvHeadWindowLongerThanSequence) {
  check_layer([]<class S>(uint64_t seed) { return make_attention<S>(3, 1, 9, seed); }, 2.0);
}

TEST(BackboneBlocks, AttentionWindowedCacheStaysBoundedOnLongStreams) {
  // Window 3: the ring holds 3 tokens however long the stream; the step face still matches.
  auto l = make_attention<float>(2, 1, 3, 3);
  std::mt19937_64 rng(8);
  const int T = 40;
  const Mat<float> x = random_mat<float>(kD, T, rng);
  check_step_matches_sequence<float>(*l, x, Seq<float>{1, T, nullptr});
}

TEST(BackboneBlocks, FullAttentionBeyondMaxContextIsAnError) {
  auto l = make_attention<float>(2, 1, 0, 3);
  auto st = l->new_state(2);
  Vec<float> x = Vec<float>::Ones(kD), y(kD);
  l->step(x, 1.0f, *st, y);
  l->step(x, 1.0f, *st, y);
  EXPECT_THROW(l->step(x, 1.0f, *st, y), std::length_error);
}

TEST(BackboneBlocks, BadConfigurationsNameTheField) {
  try {
    Attention<float>(AttentionConfig{8, 4, 3, 2, 0});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("kv_heads"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Attention<float>(AttentionConfig{8, 2, 1, 3, 0}), std::invalid_argument);  // odd head_dim
  EXPECT_THROW(GatedConv<float>(8, 0), std::invalid_argument);
  EXPECT_THROW(LiquidBlock(8, 0), std::invalid_argument);
}

// The liquid block reuses the float CfcCell, so its check runs in float (as cfc_backward_test):
// step 4e-3, tolerance 2e-3 of the largest gradient. Real, irregular gaps between tokens.
TEST(BackboneBlocks, LiquidBlockGradientsAndFaces) {
  for (int backbone_units : {0, 5}) {
    LiquidBlock l(kD, 4, backbone_units);
    l.init(13);
    auto grads = l.zeros_like();
    std::mt19937_64 rng(9);
    const Mat<float> x = random_mat<float>(kD, kBatch * kSteps, rng);
    RowVec<float> dt = (random_mat<float>(1, kBatch * kSteps, rng).array() + 1.2f).matrix();
    const Seq<float> seq{kBatch, kSteps, &dt};
    check_gradients<float>(l, static_cast<LiquidBlock&>(*grads), x, seq, 3, {4e-3, 2e-3});
    check_step_matches_sequence<float>(l, x, seq);
  }
}

TEST(BackboneBlocks, StepFacesAllocateNothing) {
  std::vector<std::unique_ptr<Layer<float>>> layers;
  auto conv = std::make_unique<GatedConv<float>>(kD, 3);
  conv->init(1);
  layers.push_back(std::move(conv));
  layers.push_back(make_attention<float>(4, 2, 3, 2));
  auto mlp = std::make_unique<SwiGlu<float>>(kD, 8);
  mlp->init(3);
  layers.push_back(std::move(mlp));
  auto liquid = std::make_unique<LiquidBlock>(kD, 4);
  liquid->init(4);
  layers.push_back(std::move(liquid));
  for (auto& l : layers) {
    auto st = l->new_state(64);
    Vec<float> x = Vec<float>::Ones(kD), y(kD);
    l->step(x, 0.5f, *st, y);  // warm-up
    EXPECT_EQ(liquid::testing::allocations_during([&] {
                for (int i = 0; i < 20; ++i) l->step(x, 0.5f, *st, y);
              }),
              0u)
        << l->kind();
  }
}

}  // namespace
}  // namespace liquid::lfm::backbone
