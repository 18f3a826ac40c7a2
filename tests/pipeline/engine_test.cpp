// Engine: exact gaps, first and equal times, late samples, bad frames, staleness, decision modes,
// and 10,000 streams batched == one by one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "pipeline/engine.h"

namespace {

using namespace liquid::pipeline;
using liquid::encoders::FeatureFrame;
using liquid::lfm::Model;

std::shared_ptr<const Model> model_from(const nlohmann::json& j, uint64_t seed) {
  return std::make_shared<const Model>(liquid::lfm::config_from_json(j, "test"), seed);
}
std::shared_ptr<const Model> cfc(int in = 3, int units = 5, uint64_t seed = 1) {
  return model_from({{"model", "CfC"}, {"input_size", in}, {"units", units}, {"backbone_layers", 0}}, seed);
}

std::string name_of(int s) {
  std::string name = "s";  // not "s" + to_string(s): GCC 12 warns falsely on that (bug 105329)
  name += std::to_string(s);
  return name;
}

FeatureFrame frame(int stream, double time, int width, float phase = 0.0f) {
  FeatureFrame f;
  f.stream = stream;
  f.time = time;
  for (int k = 0; k < width; ++k) f.values.push_back(std::sin(0.7f * k + phase + static_cast<float>(time)));
  return f;
}

// Model::step by hand over the same samples: the reference every engine result must equal.
Eigen::VectorXf by_hand(const Model& m, const std::vector<FeatureFrame>& frames, double first_dt) {
  auto state = m.initial_state();
  auto ws = m.make_workspace();
  std::vector<float> y(m.output_size());
  double last = 0;
  bool first = true;
  for (const auto& f : frames) {
    m.step(f.values.data(), first ? first_dt : f.time - last, state, y.data(), ws);
    last = f.time;
    first = false;
  }
  return state.h;
}

TEST(Engine, IrregularGapsIntegrateExactlyTheElapsedTime) {
  auto m = cfc();
  const std::vector<double> times = {10.0, 10.013, 10.5, 10.5004, 13.25, 13.3, 100.0};  // a long dropout too
  std::vector<FeatureFrame> frames;
  for (double t : times) frames.push_back(frame(0, t, 3));
  for (bool one_call : {true, false}) {
    Engine e;
    e.add_model(m);
    e.add_stream({.name = "s", .first_dt = 0.25});
    if (one_call)
      e.process(frames);  // every sample of one stream in one call: seven rounds
    else
      for (const auto& f : frames) e.process(f);
    const Eigen::VectorXf expected = by_hand(*m, frames, 0.25);
    EXPECT_EQ(e.state(0), expected);  // bit for bit
    EXPECT_EQ(e.last_time(0), 100.0);
    EXPECT_EQ(e.stats(0).samples, times.size());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), e.latest_output(0).begin()));  // CfC: y == h
  }
}

TEST(Engine, EqualTimeIsAZeroGapThatStillMovesACfc) {
  auto m = cfc();
  Engine e;
  e.add_model(m);
  e.add_stream({.name = "s"});
  const std::vector<FeatureFrame> frames = {frame(0, 1.0, 3), frame(0, 2.0, 3), frame(0, 2.0, 3, 1.0f)};
  e.process(std::span(frames).first(2));
  const Eigen::VectorXf before = e.state(0);
  e.process(frames[2]);
  EXPECT_EQ(e.state(0), by_hand(*m, frames, 0.0));
  EXPECT_NE(e.state(0), before);  // sigmoid(t_b) still mixes ff1 and ff2 at dt 0 (documented)
}

TEST(Engine, EqualTimeLeavesAnLtcWhereItWas) {
  auto m = model_from({{"model", "LTC"}, {"input_size", 3}, {"units", 4}}, 5);
  Engine e;
  e.add_model(m);
  e.add_stream({.name = "s"});
  e.process(std::vector{frame(0, 1.0, 3), frame(0, 2.0, 3)});
  const Eigen::VectorXf before = e.state(0);
  e.process(frame(0, 2.0, 3, 1.0f));
  EXPECT_TRUE(e.state(0).allFinite());
  EXPECT_LT((e.state(0) - before).cwiseAbs().maxCoeff(), 1e-6f);
}

TEST(Engine, LtcAndMixedMemoryStreamsMatchTheStepFace) {
  auto ltc = model_from({{"model", "LTC"}, {"input_size", 2}, {"units", 4}}, 5);
  auto mixed = model_from({{"model", "CfC"}, {"input_size", 3}, {"units", 6}, {"mixed_memory", true}, {"proj_size", 2}}, 6);
  Engine e({.max_batch = 4});
  e.add_model(ltc);
  e.add_model(mixed);
  std::vector<std::vector<FeatureFrame>> per_stream(6);
  for (int s = 0; s < 6; ++s) e.add_stream({.name = name_of(s), .model = s % 2});
  std::vector<FeatureFrame> all;
  std::mt19937 rng(3);
  std::vector<double> t(6, 0.0);
  for (int k = 0; k < 60; ++k) {
    const int s = static_cast<int>(rng() % 6);
    t[s] += 0.01 + 0.1 * (rng() % 10);
    all.push_back(frame(s, t[s], s % 2 == 0 ? 2 : 3, 0.1f * k));
    per_stream[s].push_back(all.back());
  }
  e.process(all);
  for (int s = 0; s < 6; ++s) {
    if (per_stream[s].empty()) continue;
    const Eigen::VectorXf expected = by_hand(s % 2 == 0 ? *ltc : *mixed, per_stream[s], 0.0);
    if (s % 2 == 0)
      EXPECT_EQ(e.state(s), expected) << "stream " << s;
    else  // the LSTM's products round differently for 1 and for 2^k columns (a few ulp)
      EXPECT_LT((e.state(s) - expected).cwiseAbs().maxCoeff(), 1e-5f) << "stream " << s;
  }
  EXPECT_EQ(e.latest_output(1).size(), 2u);  // the projection's width
}

TEST(Engine, LateSampleRejectedWithAnErrorNamingTheStream) {
  Engine e;
  e.add_model(cfc());
  e.add_stream({.name = "thermostat", .late = LatePolicy::kReject});
  const std::vector<FeatureFrame> frames = {frame(0, 1.0, 3), frame(0, 2.0, 3), frame(0, 1.5, 3), frame(0, 3.0, 3)};
  try {
    e.process(frames);
    FAIL() << "no error";
  } catch (const LateSampleError& err) {
    EXPECT_NE(std::string(err.what()).find("thermostat"), std::string::npos) << err.what();
  }
  // The two frames before the late one were applied, the late one and those after it were not.
  EXPECT_EQ(e.stats(0).samples, 2u);
  EXPECT_EQ(e.last_time(0), 2.0);
  EXPECT_EQ(e.state(0), by_hand(*cfc(), {frames[0], frames[1]}, 0.0));
}

TEST(Engine, LateSampleDroppedAndCountedNeverReordered) {
  Engine e;
  auto m = cfc();
  e.add_model(m);
  e.add_stream({.name = "s", .late = LatePolicy::kDrop});
  const std::vector<FeatureFrame> frames = {frame(0, 1.0, 3), frame(0, 2.0, 3), frame(0, 1.5, 3), frame(0, 0.1, 3),
                                            frame(0, 3.0, 3)};
  e.process(frames);
  EXPECT_EQ(e.stats(0).dropped_late, 2u);
  EXPECT_EQ(e.stats(0).samples, 3u);
  EXPECT_EQ(e.state(0), by_hand(*m, {frames[0], frames[1], frames[4]}, 0.0));
}

TEST(Engine, BadFramesAreErrorsThatSayWhatWasExpected) {
  Engine e;
  e.add_model(cfc());
  e.add_stream({.name = "mic"});
  auto message = [&](const FeatureFrame& f) {
    try {
      e.process(f);
    } catch (const std::invalid_argument& err) {
      return std::string(err.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(frame(7, 1.0, 3)).find("stream 7"), std::string::npos);
  EXPECT_NE(message(frame(0, 1.0, 2)).find("expected 3"), std::string::npos);
  EXPECT_NE(message(frame(0, NAN, 3)).find("not finite"), std::string::npos);
  FeatureFrame nan_value = frame(0, 1.0, 3);
  nan_value.values[1] = NAN;
  EXPECT_NE(message(nan_value).find("value that is not finite"), std::string::npos);
  EXPECT_EQ(e.stats(0).samples, 0u);
  EXPECT_THROW(e.add_stream({.name = "too late"}), std::logic_error);
}

// Two streams, a softmax head, and a log of the decisions.
struct Fused {
  std::shared_ptr<const Model> model = cfc(2, 4, 9);
  Engine engine;
  std::vector<Decision> log;
  LinearHead* head = nullptr;
  explicit Fused(DecisionConfig d, double timeout = 1.0, HeadKind kind = HeadKind::kClasses)
      : engine({.decisions = d}) {
    engine.add_model(model);
    engine.add_stream({.name = "door", .timeout = timeout});
    engine.add_stream({.name = "motion", .timeout = timeout});
    // Class 0 votes for a positive sum of the outputs, class 1 for a negative one, class 2 for
    // neither: the argmax moves as the inputs swing.
    Eigen::MatrixXf w(3, 8);
    w.row(0).setConstant(2.0f);
    w.row(1).setConstant(-2.0f);
    w.row(2).setZero();
    w(2, 0) = 1.5f;
    auto h = std::make_unique<LinearHead>(kind, std::vector<std::string>{"empty", "occupied", "away"}, w,
                                          Eigen::Vector3f(0.1f, 0.0f, -0.1f));
    head = h.get();
    engine.set_fusion(std::move(h), [this](const Decision& d) { log.push_back(d); });
  }
};

std::vector<FeatureFrame> two_stream_frames(int n, uint64_t seed) {
  std::mt19937 rng(seed);
  std::vector<FeatureFrame> out;
  double t = 0;
  for (int k = 0; k < n; ++k) {
    t += 0.05 + 0.01 * (rng() % 30);
    out.push_back(frame(static_cast<int>(rng() % 2), t, 2, 0.3f * k));
  }
  return out;
}

TEST(Decisions, StaleStreamsAreMarkedAndEnterTheHeadAsZeros) {
  Fused f({.mode = DecisionMode::kPerSample});
  f.engine.process(std::vector{frame(0, 1.0, 2), frame(1, 1.2, 2), frame(0, 2.1, 2), frame(0, 2.5, 2)});
  ASSERT_EQ(f.log.size(), 4u);
  EXPECT_EQ(f.log[0].fresh, std::vector<int>{0});  // motion has not reported: neither fresh nor stale
  EXPECT_TRUE(f.log[0].stale.empty());
  EXPECT_EQ(f.log[1].fresh, (std::vector<int>{0, 1}));
  EXPECT_EQ(f.log[2].fresh, (std::vector<int>{0, 1}));  // at 2.1 motion (1.2) is 0.9 s old: fresh
  EXPECT_EQ(f.log[3].stale, std::vector<int>{1});  // at 2.5 it is 1.3 s old: stale
  // The head saw door's output and zeros for motion.
  std::vector<float> input(8, 0.0f), expected(3);
  std::copy_n(f.engine.latest_output(0).begin(), 4, input.begin());
  f.head->evaluate(2.5, input, {}, expected);
  EXPECT_EQ(f.log[3].values, expected);
  EXPECT_EQ(*f.log[3].names, (std::vector<std::string>{"empty", "occupied", "away"}));
  EXPECT_NEAR(f.log[3].values[0] + f.log[3].values[1] + f.log[3].values[2], 1.0f, 1e-6f);
}

TEST(Decisions, PerSampleGivesOneDecisionPerSampleWhateverTheBatching) {
  const auto frames = two_stream_frames(200, 1);
  Fused batched({.mode = DecisionMode::kPerSample}), single({.mode = DecisionMode::kPerSample});
  batched.engine.process(frames);
  for (const auto& fr : frames) single.engine.process(fr);
  ASSERT_EQ(batched.log.size(), frames.size());
  ASSERT_EQ(single.log.size(), frames.size());
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(batched.log[k].time, frames[k].time);
    EXPECT_EQ(batched.log[k].values, single.log[k].values) << k;
    EXPECT_EQ(batched.log[k].samples, k + 1);
  }
}

TEST(Decisions, RateModeDecidesOnTheGridWithTheStatesOfThatTime) {
  const auto frames = two_stream_frames(300, 2);
  Fused rate({.mode = DecisionMode::kRate, .period = 0.5}, 1e9), every({.mode = DecisionMode::kPerSample}, 1e9);
  rate.engine.process(frames);
  every.engine.process(frames);
  ASSERT_FALSE(rate.log.empty());
  for (const Decision& d : rate.log) {
    const double k = d.time / 0.5;
    EXPECT_EQ(k, std::round(k)) << d.time;  // on the grid
    // The per-sample decision after the last sample at or before the boundary saw the same states.
    const auto last = std::find_if(every.log.rbegin(), every.log.rend(), [&](const Decision& e) { return e.time <= d.time; });
    ASSERT_NE(last, every.log.rend());
    EXPECT_EQ(d.values, last->values) << d.time;
    EXPECT_EQ(d.samples, last->samples);
  }
  for (size_t k = 1; k < rate.log.size(); ++k) EXPECT_GT(rate.log[k].time, rate.log[k - 1].time);
  // A clock tick with no sample emits the decision that is due.
  const size_t before = rate.log.size();
  rate.engine.advance_to(frames.back().time + 2.0);
  EXPECT_EQ(rate.log.size(), before + 1);
}

TEST(Decisions, OnChangeEmitsOnlyWhenTheArgmaxChanges) {
  const auto frames = two_stream_frames(400, 3);
  Fused change({.mode = DecisionMode::kOnChange}, 1e9), every({.mode = DecisionMode::kPerSample}, 1e9);
  change.engine.process(frames);
  every.engine.process(frames);
  std::vector<Decision> expected;
  for (const Decision& d : every.log)
    if (expected.empty() || d.argmax != expected.back().argmax) expected.push_back(d);
  ASSERT_GT(expected.size(), 1u) << "the test needs a head whose argmax changes";
  ASSERT_EQ(change.log.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(change.log[k].time, expected[k].time);
    EXPECT_EQ(change.log[k].argmax, expected[k].argmax);
  }
}

TEST(Decisions, OnChangeWithValuesUsesTheThreshold) {
  const auto frames = two_stream_frames(300, 4);
  const float threshold = 0.05f;
  Fused change({.mode = DecisionMode::kOnChange, .threshold = threshold}, 1e9, HeadKind::kValues);
  Fused every({.mode = DecisionMode::kPerSample}, 1e9, HeadKind::kValues);
  change.engine.process(frames);
  every.engine.process(frames);
  std::vector<Decision> expected;
  for (const Decision& d : every.log) {
    bool moved = expected.empty();
    for (size_t k = 0; !moved && k < d.values.size(); ++k) moved = std::abs(d.values[k] - expected.back().values[k]) > threshold;
    if (moved) expected.push_back(d);
  }
  ASSERT_EQ(change.log.size(), expected.size());
  EXPECT_LT(change.log.size(), every.log.size());
  for (size_t k = 0; k < expected.size(); ++k) EXPECT_EQ(change.log[k].values, expected[k].values);
  EXPECT_EQ(change.log[0].argmax, -1);
}

TEST(Decisions, HeadWidthMustMatchTheStreams) {
  Engine e({.decisions = {.mode = DecisionMode::kPerSample}});
  e.add_model(cfc());
  e.add_stream({.name = "a"});
  EXPECT_THROW(e.set_fusion(LinearHead::random(HeadKind::kClasses, {"x", "y"}, 6, 1), nullptr), std::invalid_argument);
  EXPECT_THROW(e.process(frame(0, 1.0, 3)), std::logic_error);  // decisions but no fusion
}

// 10,000 streams with irregular gaps, processed in big batches on two threads, give the same
// states as one frame at a time.
TEST(ManyStreams, TenThousandStreamsBatchedEqualOneByOne) {
  constexpr int kStreams = 10000, kFrames = 60000;
  auto m = cfc(8, 32, 11);
  std::mt19937_64 rng(5);
  std::vector<FeatureFrame> frames;
  std::vector<double> t(kStreams, 0.0);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (int k = 0; k < kFrames; ++k) {
    const int s = static_cast<int>(rng() % kStreams);
    t[s] += 0.001 + 0.002 * (rng() % 1000);
    FeatureFrame f;
    f.stream = s;
    f.time = t[s];
    for (int i = 0; i < 8; ++i) f.values.push_back(value(rng));
    frames.push_back(std::move(f));
  }
  Engine batched({.max_batch = 256, .step_threads = 2}), single({.max_batch = 1});
  for (Engine* e : {&batched, &single}) {
    e->add_model(m);
    for (int s = 0; s < kStreams; ++s) e->add_stream({.name = name_of(s), .first_dt = 0.1});
  }
  for (size_t pos = 0; pos < frames.size(); pos += 7000)  // uneven calls, many rounds each
    batched.process(std::span(frames).subspan(pos, std::min<size_t>(7000, frames.size() - pos)));
  for (const auto& f : frames) single.process(f);
  int differing = 0;
  for (int s = 0; s < kStreams; ++s)
    differing += batched.state(s) != single.state(s) ||
                 !std::ranges::equal(batched.latest_output(s), single.latest_output(s));
  EXPECT_EQ(differing, 0);
  EXPECT_EQ(batched.samples(), uint64_t(kFrames));
}

// Streams of three models whose outputs are all of h (dense CfC), the end of h (wired CfC's motor
// layer) or a projection of it, shared out between two threads: every latest output, every state
// and the saved state equal those of one-by-one processing (to a few ulp: products of one column
// and of 2^k columns round differently at these small sizes).
TEST(Engine, ThreadSharesOfSeveralModelsMatchOneByOne) {
  const std::vector<std::shared_ptr<const Model>> models = {
      cfc(4, 6, 1),
      model_from({{"model", "CfC"}, {"input_size", 4}, {"wiring", {{"class", "AutoNCP"}, {"units", 10}, {"output_dim", 3}}}}, 2),
      model_from({{"model", "CfC"}, {"input_size", 4}, {"units", 5}, {"proj_size", 2}, {"backbone_layers", 0}}, 3)};
  constexpr int kStreams = 300, kFrames = 5000;
  std::mt19937_64 rng(9);
  std::vector<FeatureFrame> frames;
  std::vector<double> t(kStreams, 0.0);
  for (int k = 0; k < kFrames; ++k) {
    const int s = static_cast<int>(rng() % kStreams);
    t[s] += 0.001 + 0.01 * (rng() % 100);
    frames.push_back(frame(s, t[s], 4, 0.01f * k));
  }
  Engine shared({.max_batch = 16, .step_threads = 2}), single({.max_batch = 1});
  for (Engine* e : {&shared, &single}) {
    for (const auto& m : models) e->add_model(m);
    for (int s = 0; s < kStreams; ++s) e->add_stream({.name = name_of(s), .model = s % 3});
  }
  shared.process(frames);
  for (const auto& f : frames) single.process(f);
  auto near = [](std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k)
      if (std::abs(a[k] - b[k]) > 1e-5f) return false;
    return true;
  };
  for (int s = 0; s < kStreams; ++s) {
    const Eigen::VectorXf a = shared.state(s), b = single.state(s);
    EXPECT_TRUE(near({a.data(), size_t(a.size())}, {b.data(), size_t(b.size())})) << "stream " << s;
    EXPECT_TRUE(near(shared.latest_output(s), single.latest_output(s))) << "stream " << s;
  }
  const Eigen::VectorXf wired = shared.state(1);
  EXPECT_TRUE(std::ranges::equal(shared.latest_output(1), std::span<const float>(wired.data() + 7, 3)));
  EXPECT_TRUE(near(shared.save_state().latest, single.save_state().latest));
}

}  // namespace
